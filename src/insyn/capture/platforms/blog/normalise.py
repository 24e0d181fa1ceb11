"""The blog normaliser: WordPress REST API JSON and RSS 2.0 / Atom feeds, read purely.

Depends on nothing but its arguments (no clock, no network, no database) and raises
``MalformedPayload`` only. Feeds are parsed by feedparser from an in-memory stream (a
bytes or str argument to ``feedparser.parse`` may be read as a path or fetched as a URL);
feedparser drops external entities and sanitises the HTML, and this module turns what is
left into plain text. The original markup stays in the raw capture.

Ids: a WordPress post is ``post-<id>`` and a comment ``comment-<id>`` (the two tables number
independently); a feed entry keeps its ``<guid>`` / ``<id>`` (its link when it has none), or
``sha256:<hex>`` of it when longer than the archive's 200 characters.
"""

from __future__ import annotations

import calendar
import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import feedparser

from insyn.lib.html_text import html_to_text

from ..base import MalformedPayload, MediaRef, Normalised, NormalizedItem, StateSignal
from ..readers import as_str, load_json, normalise_safely

WP_ENDPOINTS = ("wp_posts", "wp_post", "wp_comments", "wp_comment")
FEED_ENDPOINTS = ("feed", "comment_feed")
# GET /wp/v2/<type>/<id> says the object is gone, or is no longer public (no credentials).
GONE_CODES = {"rest_post_invalid_id", "rest_comment_invalid_id"}
NOT_PUBLIC_CODES = {"rest_forbidden", "rest_cannot_read", "rest_forbidden_context"}
# comment.status (edit context) and post.status; "approved" is the only status a public
# read shows. Spam and the moderation queue are out of view, the trash is a removal.
COMMENT_STATES = {
    "approved": "visible",
    "hold": "hidden",
    "spam": "hidden",
    "trash": "deleted_on_platform",
}
POST_STATES = {
    "publish": "visible",
    "future": "hidden",
    "draft": "hidden",
    "pending": "hidden",
    "private": "hidden",
    "trash": "deleted_on_platform",
}
MAX_ID = 200


def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    """Read one page; raises MalformedPayload and nothing else."""
    return normalise_safely("blog", _normalise, body, context)


def _normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    if not isinstance(context, dict):
        raise MalformedPayload("blog: context is not a mapping")
    if not isinstance(body, (bytes, bytearray)):
        raise MalformedPayload("blog: body is not bytes")
    endpoint = context.get("endpoint")
    if endpoint == "exists":
        return Normalised()  # a HEAD answer that the entry's page is still there: evidence only
    if endpoint in WP_ENDPOINTS:
        return _wordpress(bytes(body), endpoint, context)
    if endpoint in FEED_ENDPOINTS:
        return _feed(bytes(body), endpoint, context)
    raise MalformedPayload(f"blog: unknown endpoint {str(endpoint)[:50]!r}")


# --- WordPress REST API -------------------------------------------------------------------


def _wordpress(body: bytes, endpoint: str, context: dict[str, Any]) -> Normalised:
    data = load_json("blog", body)
    if isinstance(data, dict) and "code" in data and "id" not in data:
        return _wp_error(data, endpoint, context)
    if endpoint in ("wp_posts", "wp_comments"):
        if not isinstance(data, list):
            raise MalformedPayload(f"blog: {endpoint} is not a list")
        rows = data
    else:
        if not isinstance(data, dict):
            raise MalformedPayload(f"blog: {endpoint} is not an object")
        rows = [data]
    read = _wp_post if endpoint in ("wp_posts", "wp_post") else _wp_comment
    out = Normalised()
    for row in rows:
        if not isinstance(row, dict):
            raise MalformedPayload("blog: list entry is not an object")
        out.items.append(read(row))
    return out


def _wp_error(data: dict, endpoint: str, context: dict[str, Any]) -> Normalised:
    """A single-object read kept as evidence: 404 → deleted, 401/403 without credentials →
    no longer public (held, spam, trashed or unpublished)."""
    code = data.get("code")
    platform_id = context.get("platform_id")
    if endpoint in ("wp_post", "wp_comment") and isinstance(platform_id, str) and platform_id:
        if code in GONE_CODES:
            return Normalised(signals=[StateSignal(platform_id, "deleted_on_platform")])
        if code in NOT_PUBLIC_CODES:
            return Normalised(signals=[StateSignal(platform_id, "hidden")])
    raise MalformedPayload(f"blog: WordPress error {str(code)[:80]!r}")


def _wp_post(row: dict) -> NormalizedItem:
    pid = _wp_id(row.get("id"))
    if pid is None:
        raise MalformedPayload("blog: post without id")
    title = _rendered(row.get("title"))
    content = _rendered(row.get("content"))
    text = "\n\n".join(part for part in (html_to_text(title), html_to_text(content)) if part)
    created = wp_time(row.get("date_gmt"))
    modified = wp_time(row.get("modified_gmt"))
    status = row.get("status")
    return NormalizedItem(
        platform_id=f"post-{pid}",
        kind="post",
        direction="upprattad",
        record_type="own_post",
        text=text,
        author_id=_author(row.get("author")),
        author_name="",
        created_at=created,
        thread_platform_id=f"post-{pid}",
        edited_at=modified if modified and created and modified > created else None,
        state=POST_STATES.get(status) if isinstance(status, str) else None,  # type: ignore[arg-type]
        url=as_str(row.get("link")),
    )


def _wp_comment(row: dict) -> NormalizedItem:
    cid, post = _wp_id(row.get("id")), _wp_id(row.get("post"))
    if cid is None or post is None:
        raise MalformedPayload("blog: comment without id or post")
    parent = _wp_id(row.get("parent"))
    author = _author(row.get("author"))
    # A comment by a registered user of the authority's blog is the authority's own (its
    # staff's logins); a visitor's comment has author 0. docs/platforms/blog.md.
    own = bool(author)
    status = row.get("status")
    return NormalizedItem(
        platform_id=f"comment-{cid}",
        kind="reply" if parent else "comment",
        direction="upprattad" if own else "inkommen",
        record_type="own_post" if own else "public_comment",
        text=html_to_text(_rendered(row.get("content"))),
        author_id=author,
        author_name=as_str(row.get("author_name"))[:300],
        created_at=wp_time(row.get("date_gmt")),
        parent_platform_id=f"comment-{parent}" if parent else f"post-{post}",
        thread_platform_id=f"post-{post}",
        state=COMMENT_STATES.get(status) if isinstance(status, str) else None,  # type: ignore[arg-type]
        url=as_str(row.get("link")),
    )


def _wp_id(value: Any) -> str | None:
    """A positive integer id (0 means "none": a top-level comment's parent, a guest author)."""
    if isinstance(value, bool):
        raise MalformedPayload("blog: id is a boolean")
    if isinstance(value, int):
        return str(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value)) if int(value) > 0 else None
    if value is None:
        return None
    raise MalformedPayload(f"blog: id {str(value)[:40]!r} is not a number")


def _author(value: Any) -> str:
    return _wp_id(value) or ""


def _rendered(value: Any) -> str:
    """``{"rendered": "<p>…</p>"}`` (``raw`` too in the edit context, not used: a public
    and an authenticated read of the same comment must give the same text)."""
    if isinstance(value, dict):
        return as_str(value.get("rendered"))
    return as_str(value)


def wp_time(value: Any) -> datetime | None:
    """WordPress ``*_gmt`` fields: ``2025-03-01T09:15:02`` in UTC without an offset."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# --- RSS 2.0 and Atom -------------------------------------------------------------------------


def parse_feed(body: bytes) -> feedparser.FeedParserDict:
    """A feed, or MalformedPayload for anything that is not a well-formed RSS/Atom document."""
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=True, resolve_relative_uris=True)
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        # A wrong encoding declaration is harmless (feedparser re-decodes); anything else —
        # a truncated or not well-formed document — is not read at all, not half-read.
        if not isinstance(exc, feedparser.CharacterEncodingOverride):
            raise MalformedPayload(
                f"blog: feed is not well-formed ({type(exc).__name__}: {str(exc)[:200]})"
            )
    if not parsed.get("version"):
        raise MalformedPayload("blog: not an RSS or Atom feed")
    return parsed


def feed_entry_id(entry: dict) -> str:
    raw = as_str(entry.get("id")).strip() or as_str(entry.get("link")).strip()
    if not raw:
        raise MalformedPayload("blog: feed entry without guid, id or link")
    if len(raw) > MAX_ID:
        return "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return raw


def comment_feed_url(entry: dict) -> str:
    """RSS ``wfw:commentRss``, or an Atom ``link rel="replies"`` to a feed (RFC 4685)."""
    url = as_str(entry.get("wfw_commentrss")).strip()
    if url:
        return url
    for link in entry.get("links") or []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "replies"
            and "xml" in as_str(link.get("type"))
        ):
            return as_str(link.get("href"))
    return ""


def next_page_url(parsed: feedparser.FeedParserDict) -> str:
    """RFC 5005 paging: ``<atom:link rel="next">`` in an RSS channel or an Atom feed."""
    for link in parsed.get("feed", {}).get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return as_str(link.get("href"))
    return ""


def _feed(body: bytes, endpoint: str, context: dict[str, Any]) -> Normalised:
    parsed = parse_feed(body)
    post_id = context.get("post_id")
    if endpoint == "comment_feed" and not (isinstance(post_id, str) and post_id):
        raise MalformedPayload("blog: comment feed without post_id in its context")
    out = Normalised()
    seen: set[str] = set()
    for entry in parsed.get("entries") or []:
        item = _feed_item(entry, endpoint, post_id)
        if item.platform_id not in seen:
            seen.add(item.platform_id)
            out.items.append(item)
    return out


def _feed_item(entry: dict, endpoint: str, post_id: Any) -> NormalizedItem:
    pid = feed_entry_id(entry)
    content = entry.get("content")
    html = ""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        html = as_str(content[0].get("value"))
    html = html or as_str(entry.get("summary"))
    body = html_to_text(html)
    published = _struct_time(entry.get("published_parsed"))
    updated = _struct_time(entry.get("updated_parsed"))
    created = published or updated
    author = as_str(entry.get("author")).strip()[:300]
    if endpoint == "feed":
        title = as_str(entry.get("title")).strip()
        return NormalizedItem(
            platform_id=pid,
            kind="post",
            direction="upprattad",
            record_type="own_post",
            text="\n\n".join(p for p in (title, body) if p),
            author_id="",  # a feed names its authors but gives them no id
            author_name=author,
            created_at=created,
            thread_platform_id=pid,
            edited_at=updated if updated and published and updated > published else None,
            state="visible",
            url=as_str(entry.get("link")),
            media=_enclosures(entry),
        )
    # A comment feed's <title> is generated ("Av: Anna"); the text is the comment itself.
    return NormalizedItem(
        platform_id=pid,
        kind="comment",
        direction="inkommen",
        record_type="public_comment",
        text=body,
        author_id="",  # a feed names its authors but gives them no id
        author_name=author,
        created_at=created,
        parent_platform_id=post_id,
        thread_platform_id=post_id,
        state="visible",
        url=as_str(entry.get("link")),
    )


def _enclosures(entry: dict) -> tuple[MediaRef, ...]:
    refs = []
    for enclosure in entry.get("enclosures") or []:
        if isinstance(enclosure, dict) and as_str(enclosure.get("href")):
            refs.append(
                MediaRef(url=as_str(enclosure.get("href")), mime_type=as_str(enclosure.get("type")))
            )
    return tuple(refs)


def _struct_time(value: Any) -> datetime | None:
    """feedparser's dates are UTC ``time.struct_time``s."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
