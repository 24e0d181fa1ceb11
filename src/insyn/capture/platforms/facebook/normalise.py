"""The pure Facebook Page normaliser: Graph pages and Page webhooks into Items.

What each context means (``FetchedPage.context`` of a polled page, or a webhook body):

- ``endpoint=feed``: a page of ``GET /{page-id}/feed``: posts, the Page's own (upprättad)
  and visitors' (inkommen).
- ``endpoint=comments`` (``post_id``): a page of ``GET /{post-id}/comments``, comments and
  replies in one flat list (a reply carries ``parent{id}``).
- ``endpoint=conversations``: Messenger threads, which hold no records of their own.
- ``endpoint=messages`` (``conversation_id``): the messages of one thread.
- ``source=webhook``: an ``{"object": "page"}`` POST: ``feed`` changes (adds, edits, hides,
  removals) and Messenger events (read by ``payload.messaging_event``, shared with Instagram).

Nothing here reads the clock, the network or the database. Anything unreadable raises
``MalformedPayload`` with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..base import (
    Direction,
    MalformedPayload,
    MediaRef,
    Normalised,
    NormalizedItem,
    RecordType,
    StateSignal,
)
from .payload import (
    as_object,
    hidden_state,
    load_json,
    media_ref,
    messaging_event,
    need_id,
    opt_id,
    page_data,
    parse_epoch,
    parse_time,
    str_or_none,
    text_field,
)

# Feed webhook `item` values that are posts. Reactions and likes are not records.
POST_ITEMS = {"status", "post", "photo", "video", "share", "link", "note", "event", "album"}
CONTENT_VERBS = {"add", "edited", "edit", "update"}
REMOVE_VERBS = {"remove", "delete"}


def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    """Read one raw page or webhook body (see the module docstring)."""
    try:
        data = load_json(body)
        if not isinstance(context, dict):
            raise MalformedPayload("context is not a mapping")
        if context.get("source") == "webhook":
            account = context.get("account_external_id") or context.get("page_id")
            return _normalise_webhook(data, str_or_none(account))
        endpoint = context.get("endpoint")
        page_id = str_or_none(context.get("account_external_id"))
        if endpoint not in ("feed", "comments", "conversations", "messages"):
            raise MalformedPayload(f"unknown Graph endpoint in context: {endpoint!r}")
        if page_id is None:
            raise MalformedPayload("context has no account_external_id (the Page id)")
        items = page_data(data, endpoint)
        if endpoint == "feed":
            return Normalised(items=[_post(p, page_id) for p in items])
        if endpoint == "comments":
            post_id = str_or_none(context.get("post_id"))
            if post_id is None:
                raise MalformedPayload("a comments page needs post_id in its context")
            return Normalised(items=[_comment(c, page_id, post_id) for c in items])
        if endpoint == "messages":
            conversation_id = str_or_none(context.get("conversation_id"))
            if conversation_id is None:
                raise MalformedPayload("a messages page needs conversation_id in its context")
            return Normalised(items=[_message(m, page_id, conversation_id) for m in items])
        for conv in items:  # conversations hold no records of their own
            need_id(conv, "id", "conversation")
        return Normalised()
    except MalformedPayload:
        raise
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        IndexError,
        OverflowError,
        RecursionError,
    ) as exc:  # a safety net: the readers above check explicitly
        raise MalformedPayload(f"unreadable Graph payload ({type(exc).__name__}: {exc})") from exc


def _actor(value: Any, what: str) -> tuple[str, str]:
    """(id, name) of a ``from`` object; ("", "") when Graph leaves it out."""
    if value is None:
        return "", ""
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} 'from' is not an object")
    return opt_id(value, "id", f"{what} author") or "", text_field(value, "name", f"{what} author")


def _attachment_media(attachment: Any, what: str, depth: int = 0) -> list[MediaRef]:
    """A post's or comment's StoryAttachment: ``media.image.src`` (or ``media.source`` for
    video), with album items under ``subattachments``."""
    att = as_object(attachment, what)
    media = as_object(att.get("media"), f"{what} media")
    target = as_object(att.get("target"), f"{what} target")
    src = media.get("source") or as_object(media.get("image"), f"{what} image").get("src")
    refs = [r for r in [media_ref(src, what, platform_id=target.get("id"))] if r]
    if depth == 0:
        for sub in as_object(att.get("subattachments"), f"{what} subattachments").get("data") or []:
            refs.extend(_attachment_media(sub, what, depth + 1))
    return refs


def _post_media(value: Any, what: str) -> tuple[MediaRef, ...]:
    data = as_object(value, f"{what} attachments").get("data") or []
    if not isinstance(data, list):
        raise MalformedPayload(f"{what} attachments.data is not a list")
    return tuple(ref for att in data for ref in _attachment_media(att, what))


def _direction(author_id: str, page_id: str | None) -> tuple[Direction, RecordType]:
    """(direction, record_type) of a post or comment."""
    if page_id and author_id == page_id:
        return "upprattad", "own_post"
    return "inkommen", "public_comment"


def _post(post: dict, page_id: str) -> NormalizedItem:
    post_id = need_id(post, "id", "post")
    author_id, author_name = _actor(post.get("from"), "post")
    direction, record_type = _direction(author_id, page_id)
    return NormalizedItem(
        platform_id=post_id,
        kind="post",
        direction=direction,
        record_type=record_type,
        text=text_field(post, "message", "post"),
        author_id=author_id,
        author_name=author_name,
        created_at=parse_time(post.get("created_time"), "post created_time"),
        thread_platform_id=post_id,
        state=hidden_state(post.get("is_hidden"), "post is_hidden"),
        url=text_field(post, "permalink_url", "post"),
        media=_post_media(post.get("attachments"), "post"),
    )


def _comment(comment: dict, page_id: str, post_id: str) -> NormalizedItem:
    comment_id = need_id(comment, "id", "comment")
    author_id, author_name = _actor(comment.get("from"), "comment")
    direction, record_type = _direction(author_id, page_id)
    parent = as_object(comment.get("parent"), "comment parent")
    parent_id = opt_id(parent, "id", "comment parent")
    is_reply = parent_id is not None and parent_id != post_id
    return NormalizedItem(
        platform_id=comment_id,
        kind="reply" if is_reply else "comment",
        direction=direction,
        record_type=record_type,
        text=text_field(comment, "message", "comment"),
        author_id=author_id,
        author_name=author_name,
        created_at=parse_time(comment.get("created_time"), "comment created_time"),
        parent_platform_id=parent_id if is_reply else post_id,
        thread_platform_id=post_id,
        state=hidden_state(comment.get("is_hidden"), "comment is_hidden"),
        url=text_field(comment, "permalink_url", "comment"),
        media=tuple(_attachment_media(comment.get("attachment"), "comment attachment")),
    )


def _message(message: dict, page_id: str, conversation_id: str) -> NormalizedItem:
    message_id = need_id(message, "id", "message")
    author_id, author_name = _actor(message.get("from"), "message")
    media = []
    data = as_object(message.get("attachments"), "message attachments").get("data") or []
    if not isinstance(data, list):
        raise MalformedPayload("message attachments.data is not a list")
    for att in data:
        att = as_object(att, "message attachment")
        url = (
            as_object(att.get("image_data"), "image_data").get("url")
            or as_object(att.get("video_data"), "video_data").get("url")
            or att.get("file_url")
        )
        ref = media_ref(
            url, "message attachment", mime=att.get("mime_type"), platform_id=att.get("id")
        )
        if ref:
            media.append(ref)
    return NormalizedItem(
        platform_id=message_id,
        kind="message",
        direction="upprattad" if author_id == page_id else "inkommen",
        record_type="direct_message",
        text=text_field(message, "message", "message"),
        author_id=author_id,
        author_name=author_name,
        created_at=parse_time(message.get("created_time"), "message created_time"),
        thread_platform_id=conversation_id,
        media=tuple(media),
    )


# --- webhooks ------------------------------------------------------------------------------


def _normalise_webhook(obj: Any, account_id: str | None) -> Normalised:
    """A Page webhook POST body: ``feed`` changes and Messenger events (Meta, "Webhooks for
    Pages" and the Messenger Platform's webhook event reference). One POST may batch entries
    for several Pages: with ``account_id`` only that Page's entries are read."""
    if not isinstance(obj, dict) or obj.get("object") != "page":
        raise MalformedPayload("not a Page webhook: 'object' must be \"page\"")
    entries = obj.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("a Page webhook needs an 'entry' list")
    out = Normalised()
    for entry in entries:
        if not isinstance(entry, dict):
            raise MalformedPayload("a webhook entry is not an object")
        entry_id = str_or_none(entry.get("id"))
        if account_id and entry_id and entry_id != account_id:
            continue  # another Page's entry: it belongs to that account's copy of the body
        page_id = entry_id or account_id
        changes = entry.get("changes") or []
        if not isinstance(changes, list):
            raise MalformedPayload("webhook 'changes' is not a list")
        for change in changes:
            change = as_object(change, "webhook change")
            value = change.get("value")
            if change.get("field") == "feed":
                _feed_change(as_object(value, "feed change value"), page_id, entry.get("time"), out)
            elif change.get("field") in ("messages", "message_echoes", "message_edits"):
                messaging_event(as_object(value, "messaging change value"), page_id, out)
        for key in ("messaging", "standby"):
            events = entry.get(key) or []
            if not isinstance(events, list):
                raise MalformedPayload(f"webhook {key!r} is not a list")
            for event in events:
                messaging_event(as_object(event, "messaging event"), page_id, out)
    return out


def _webhook_time(value: Any, what: str) -> datetime | None:
    """Feed webhook times are unix seconds (an ISO string is read too)."""
    return parse_time(value, what) if value is not None else None


def _feed_change(value: dict, page_id: str | None, entry_time: Any, out: Normalised) -> None:
    item, verb = value.get("item"), value.get("verb")
    if item != "comment" and item not in POST_ITEMS:
        return  # reactions, likes, follows, ...: not records
    what = f"feed {item} {verb}"
    if item == "comment":
        platform_id = need_id(value, "comment_id", what)
        post_id = need_id(value, "post_id", what)
    else:
        platform_id = (
            opt_id(value, "post_id", what)
            or opt_id(value, "photo_id", what)
            or opt_id(value, "video_id", what)
        )
        if platform_id is None:
            raise MalformedPayload(f"{what} without post_id")
        post_id = platform_id
    at = _webhook_time(value.get("created_time"), f"{what} created_time")
    if at is None and entry_time is not None and not isinstance(entry_time, bool):
        at = parse_epoch(
            entry_time,
            "entry time",
            millis=isinstance(entry_time, (int, float)) and entry_time > 10**11,
        )
    if verb in REMOVE_VERBS:
        out.signals.append(StateSignal(platform_id, "deleted_on_platform", at))
        return
    if verb in ("hide", "unhide"):
        out.signals.append(StateSignal(platform_id, "hidden" if verb == "hide" else "visible", at))
        return
    if verb not in CONTENT_VERBS:
        return  # block, unblock, mute, follow: nothing about the item's content
    author_id, author_name = _actor(value.get("from"), what)
    if not author_id:  # older payloads: sender_id / sender_name
        author_id = opt_id(value, "sender_id", what) or ""
        author_name = author_name or text_field(value, "sender_name", what)
    direction, record_type = _direction(author_id, page_id)
    added = verb == "add"
    media: list[MediaRef] = []
    if item == "comment":
        parent_id = opt_id(value, "parent_id", what)
        is_reply = parent_id is not None and parent_id != post_id
        kind, parent = ("reply", parent_id) if is_reply else ("comment", post_id)
        ref = media_ref(value.get("photo"), what)
        media = [ref] if ref else []
        url = ""
    else:
        kind, parent = "post", None
        if item in ("photo", "video"):
            ref = media_ref(
                value.get("link"), what, platform_id=value.get("photo_id") or value.get("video_id")
            )
            media = [ref] if ref else []
        photos = value.get("photos") or []
        if not isinstance(photos, list):
            raise MalformedPayload(f"{what} photos is not a list")
        media += [r for r in (media_ref(p, what) for p in photos) if r]
        post = as_object(value.get("post"), f"{what} post")
        url = (
            text_field(post, "permalink_url", what)
            if str_or_none(post.get("id")) == post_id
            else ""
        )
    out.items.append(
        NormalizedItem(
            platform_id=platform_id,
            kind=kind,
            direction=direction,
            record_type=record_type,
            text=text_field(value, "message", what),
            author_id=author_id,
            author_name=author_name,
            # An edit's created_time is not reliably the creation time: say nothing then.
            created_at=at if added else None,
            edited_at=None if added else at,
            parent_platform_id=parent,
            thread_platform_id=post_id,
            state=hidden_state(value.get("is_hidden"), f"{what} is_hidden"),
            url=url,
            media=tuple(media),
        )
    )
