"""The YouTube normaliser: one raw Data API v3 page in, Items and state signals out. Pure.

Written from developers.google.com/youtube/v3: docs/commentThreads (list), docs/comments
(list, the Comment resource), docs/playlistItems (list), docs/videos (list),
guides/implementation/comments and docs/errors.

What a page becomes
-------------------
- ``playlistItems`` (the uploads playlist) and ``videos``: the channel's own videos, each a
  ``post`` drawn up by the authority (``upprattad``/``own_post``): title, a blank line, the
  description. A video is its own thread.
- ``commentThreads``: the top-level comment of each thread (``comment``, parent and thread the
  video) and the replies inlined in ``replies.comments`` (``reply``, parent the top-level
  comment). A comment by the channel itself is upprättad; everyone else's is inkommen.
- ``comments``: the replies to one comment (``parentId``) or the comments asked for by id.
  A comment asked for by id and absent from ``items`` no longer exists for us (deleted by its
  author, or rejected): a ``deleted_on_platform`` signal.
- State: ``moderationStatus`` ``published`` is visible; ``heldForReview`` and ``likelySpam``
  are held back from the public, ``hidden``. The field is present only for owner-authorised
  list calls, so the listing's own ``moderationStatus`` filter (kept in the page's context)
  stands in when it is missing.
- An error body that is a documented answer about the list itself (``commentsDisabled``, or
  ``playlistNotFound`` for a channel without uploads) normalises to nothing; any other error body, or data that is not the documented shape, is
  ``MalformedPayload``.

Texts are read from ``textOriginal`` when present (returned to the comment's author) and
otherwise from ``textDisplay``, which capture requests as ``textFormat=plainText``; HTML
entities that YouTube leaves in ``textDisplay`` are unescaped.
"""

from __future__ import annotations

import html
from typing import Any

from ..base import MalformedPayload, Normalised, NormalizedItem, StateSignal
from ..readers import as_str, expect_list, load_json, normalise_safely, parse_time

ENDPOINTS = ("channels", "playlistItems", "videos", "commentThreads", "comments")
MODERATION_STATES = {"published": "visible", "heldForReview": "hidden", "likelySpam": "hidden"}
# Documented error reasons that say something about a list, not about our data.
EMPTY_REASONS = {"commentsDisabled", "playlistNotFound"}
WATCH_URL = "https://www.youtube.com/watch?v="


def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    """Read one page; raises MalformedPayload and nothing else."""
    return normalise_safely("youtube", _normalise, body, context)


def error_reasons(data: Any) -> list[str]:
    """The ``reason`` of each entry in a Google error body (``{"error": {"errors": [...]}}``)."""
    if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
        return []
    errors = data["error"].get("errors")
    return (
        [str(e.get("reason")) for e in errors if isinstance(e, dict) and e.get("reason")]
        if isinstance(errors, list)
        else []
    )


def _normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    if not isinstance(context, dict):
        raise MalformedPayload("youtube: context is not a mapping")
    if not isinstance(body, (bytes, bytearray)):
        raise MalformedPayload("youtube: body is not bytes")
    data = load_json("youtube", body)
    if not isinstance(data, dict):
        raise MalformedPayload("youtube: body is not an object")
    if "error" in data:
        reasons = error_reasons(data)
        if reasons and set(reasons) <= EMPTY_REASONS:
            return Normalised()
        raise MalformedPayload(
            f"youtube: error body {', '.join(reasons)[:200] or 'without reason'}"
        )
    endpoint = context.get("endpoint")
    if endpoint not in ENDPOINTS:
        raise MalformedPayload(f"youtube: unknown endpoint {str(endpoint)[:50]!r}")
    items = data.get("items", [])
    if not isinstance(items, list):
        raise MalformedPayload("youtube: items is not a list")
    channel = as_str(context.get("account_external_id"))
    out = Normalised()
    if endpoint == "channels":
        for entry in items:
            _expect(entry, "youtube#channel")
        return out
    if endpoint in ("playlistItems", "videos"):
        for entry in items:
            out.items.append(_video(entry, endpoint, channel))
        if endpoint == "videos":
            out.signals += _missing(context, {i.platform_id for i in out.items})
        return out
    listed_status = as_str(context.get("moderation_status")) or None
    if endpoint == "commentThreads":
        for entry in items:
            thread = _expect(entry, "youtube#commentThread")
            snippet = _dict(thread.get("snippet"), "commentThread.snippet")
            video = as_str(snippet.get("videoId")) or None
            top = _dict(snippet.get("topLevelComment"), "commentThread.snippet.topLevelComment")
            top_item = _comment(top, channel, video=video, listed_status=listed_status)
            out.items.append(top_item)
            replies = thread.get("replies")
            if replies is not None:
                for reply in expect_list(
                    "youtube",
                    _dict(replies, "commentThread.replies").get("comments", []),
                    "replies.comments",
                ):
                    out.items.append(
                        _comment(
                            reply,
                            channel,
                            video=video or top_item.thread_platform_id,
                            parent=top_item.platform_id,
                            listed_status=None,
                        )
                    )
        return out
    # comments: the replies to one parent, or comments asked for by id
    video = as_str(context.get("video_id")) or None
    parent = as_str(context.get("parent_id")) or None
    for entry in items:
        out.items.append(_comment(entry, channel, video=video, parent=parent, listed_status=None))
    out.signals += _missing(context, {i.platform_id for i in out.items})
    return out


def _video(entry: Any, endpoint: str, channel: str) -> NormalizedItem:
    if endpoint == "playlistItems":
        item = _expect(entry, "youtube#playlistItem")
        snippet = _dict(item.get("snippet"), "playlistItem.snippet")
        details = item.get("contentDetails") if isinstance(item.get("contentDetails"), dict) else {}
        resource = _dict(snippet.get("resourceId"), "playlistItem.snippet.resourceId")
        video_id = as_str(details.get("videoId")) or as_str(resource.get("videoId"))
        published = parse_time(details.get("videoPublishedAt")) or parse_time(
            snippet.get("publishedAt")
        )
        owner = as_str(snippet.get("videoOwnerChannelId")) or as_str(snippet.get("channelId"))
        owner_name = as_str(snippet.get("videoOwnerChannelTitle")) or as_str(
            snippet.get("channelTitle")
        )
    else:
        item = _expect(entry, "youtube#video")
        snippet = _dict(item.get("snippet"), "video.snippet")
        video_id = as_str(item.get("id"))
        published = parse_time(snippet.get("publishedAt"))
        owner = as_str(snippet.get("channelId"))
        owner_name = as_str(snippet.get("channelTitle"))
    if not video_id:
        raise MalformedPayload("youtube: video without id")
    title = as_str(snippet.get("title")).strip()
    description = as_str(snippet.get("description")).strip()
    own = not channel or owner == channel
    return NormalizedItem(
        platform_id=video_id,
        kind="post",
        direction="upprattad" if own else "inkommen",
        record_type="own_post" if own else "public_comment",
        text="\n\n".join(p for p in (title, description) if p),
        author_id=owner,
        author_name=owner_name,
        created_at=published,
        thread_platform_id=video_id,
        state="visible",
        url=WATCH_URL + video_id,
    )


def _comment(
    entry: Any,
    channel: str,
    *,
    video: str | None,
    listed_status: str | None,
    parent: str | None = None,
) -> NormalizedItem:
    comment = _expect(entry, "youtube#comment")
    comment_id = as_str(comment.get("id"))
    if not comment_id:
        raise MalformedPayload("youtube: comment without id")
    snippet = _dict(comment.get("snippet"), "comment.snippet")
    author = snippet.get("authorChannelId")
    author_id = as_str(author.get("value")) if isinstance(author, dict) else as_str(author)
    parent = as_str(snippet.get("parentId")) or parent
    if parent == comment_id:
        parent = None
    video = as_str(snippet.get("videoId")) or video
    own = bool(channel) and author_id == channel
    text = snippet.get("textOriginal")
    if not isinstance(text, str):
        text = html.unescape(as_str(snippet.get("textDisplay")))
    published = parse_time(snippet.get("publishedAt"))
    updated = parse_time(snippet.get("updatedAt"))
    status = as_str(snippet.get("moderationStatus")) or listed_status or "published"
    if status not in MODERATION_STATES:
        raise MalformedPayload(f"youtube: unknown moderationStatus {status[:40]!r}")
    url = f"{WATCH_URL}{video}&lc={comment_id}" if video else ""
    return NormalizedItem(
        platform_id=comment_id,
        kind="reply" if parent else "comment",
        direction="upprattad" if own else "inkommen",
        record_type="own_post" if own else "public_comment",
        text=text,
        author_id=author_id,
        author_name=as_str(snippet.get("authorDisplayName")),
        created_at=published,
        parent_platform_id=parent or video,
        thread_platform_id=video,
        edited_at=updated if updated and published and updated > published else None,
        state=MODERATION_STATES[status],  # type: ignore[arg-type]
        url=url,
    )


def _missing(context: dict[str, Any], found: set[str]) -> list[StateSignal]:
    """Ids a by-id lookup asked for that did not come back: gone from the platform."""
    ids = context.get("ids")
    if ids is None:
        return []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise MalformedPayload("youtube: context ids is not a list of strings")
    return [StateSignal(i, "deleted_on_platform") for i in ids if i and i not in found]


def _expect(entry: Any, kind: str) -> dict:
    if not isinstance(entry, dict):
        raise MalformedPayload(f"youtube: {kind} is not an object")
    if entry.get("kind", kind) != kind:
        raise MalformedPayload(f"youtube: expected {kind}, got {str(entry.get('kind'))[:50]!r}")
    return entry


def _dict(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise MalformedPayload(f"youtube: {what} is not an object")
    return value
