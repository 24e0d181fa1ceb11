"""The pure Instagram normaliser: Graph pages and Instagram webhooks into Items.

What each context means (``FetchedPage.context`` of a polled page, or a webhook body):

- ``endpoint=media``: a page of ``GET /{ig-user-id}/media``. Every media object is the
  account's own publication (upprättad): kind ``post``, text = ``caption``. Captions can
  be edited on Instagram, so a changed caption is a new version.
- ``endpoint=comments`` (``media_id``): a page of ``GET /{ig-media-id}/comments``. Top-level
  comments, each with the first page of its ``replies`` expanded.
- ``endpoint=replies`` (``media_id``, ``comment_id``): a page of
  ``GET /{ig-comment-id}/replies``.
- ``endpoint=node``: one re-read comment or media object (``refetch``).
- ``source=webhook``: an ``{"object": "instagram"}`` POST: ``comments`` / ``live_comments``
  changes (a new comment; Instagram sends no edit or removal event for comments) and
  ``messaging`` events (direct messages, echoes of the account's own, edits and
  ``is_deleted`` unsend notices, read by the same code as Messenger's).

Who wrote a comment: the account itself when ``from.id`` is the account's Instagram user
id, or — when ``from`` is missing — when ``username`` is the account's handle. Everything
else is inkommen. Instagram comments have no edit history (users cannot edit them), so a
comment has one text; ``hidden`` is its state.

Nothing here reads the clock, the network or the database. Anything unreadable raises
``MalformedPayload`` with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..base import MalformedPayload, MediaRef, Normalised, NormalizedItem
from ..facebook.payload import (
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

ENDPOINTS = ("media", "comments", "replies", "node")
COMMENT_FIELDS_IN_WEBHOOK = ("comments", "live_comments")
MIME = {"IMAGE": "image/jpeg", "VIDEO": "video/mp4", "CAROUSEL_ALBUM": ""}


def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    """Read one raw page or webhook body (see the module docstring)."""
    try:
        data = load_json(body)
        if not isinstance(context, dict):
            raise MalformedPayload("context is not a mapping")
        account = str_or_none(context.get("account_external_id"))
        own_name = str_or_none(context.get("account_username")) or ""
        if context.get("source") == "webhook":
            return _webhook(data, account or str_or_none(context.get("page_id")))
        endpoint = context.get("endpoint")
        if endpoint not in ENDPOINTS:
            raise MalformedPayload(f"unknown Instagram endpoint in context: {endpoint!r}")
        if account is None:
            raise MalformedPayload("context has no account_external_id (the Instagram user id)")
        who = _Owner(account, own_name)
        if endpoint == "media":
            return Normalised(items=[_media(m, who) for m in page_data(data, "media")])
        if endpoint == "node":
            return Normalised(items=[_node(data, who)])
        media_id = str_or_none(context.get("media_id"))
        if media_id is None:
            raise MalformedPayload(f"a {endpoint} page needs media_id in its context")
        out = Normalised()
        if endpoint == "comments":
            for comment in page_data(data, "comments"):
                top = _comment(comment, who, media_id, parent_id=None)
                out.items.append(top)
                replies = as_object(comment.get("replies"), "comment replies")
                if replies:
                    out.items.extend(_comment(r, who, media_id, parent_id=top.platform_id)
                                     for r in page_data(replies, "replies"))
            return out
        comment_id = str_or_none(context.get("comment_id"))
        if comment_id is None:
            raise MalformedPayload("a replies page needs comment_id in its context")
        return Normalised(items=[_comment(r, who, media_id, parent_id=comment_id) for r in page_data(data, "replies")])
    except MalformedPayload:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
        # A safety net: the readers check explicitly.
        raise MalformedPayload(f"unreadable Instagram payload ({type(exc).__name__}: {exc})") from exc


class _Owner:
    """The account the payload belongs to: its Instagram user id and username."""

    def __init__(self, user_id: str, username: str) -> None:
        self.user_id, self.username = user_id, username.lstrip("@").lower()

    def is_own(self, author_id: str, username: str) -> bool:
        if author_id:
            return author_id == self.user_id
        return bool(self.username) and username.lower() == self.username


def _author(obj: dict, what: str) -> tuple[str, str]:
    """(id, username): ``from{id,username}`` where Graph gives it, else ``username`` alone."""
    sender = as_object(obj.get("from"), f"{what} from")
    author_id = opt_id(sender, "id", f"{what} from") or ""
    username = text_field(sender, "username", f"{what} from") or text_field(obj, "username", what)
    return author_id, username


def _media(media: dict, who: _Owner) -> NormalizedItem:
    media_id = need_id(media, "id", "media")
    kind = text_field(media, "media_type", "media")
    refs: list[MediaRef] = []
    for key in ("media_url", "thumbnail_url"):
        ref = media_ref(media.get(key), "media", mime=MIME.get(kind, "") if key == "media_url" else "image/jpeg",
                   platform_id=media_id)
        if ref:
            refs.append(ref)
    children = as_object(media.get("children"), "media children").get("data") or []
    if not isinstance(children, list):
        raise MalformedPayload("media children.data is not a list")
    for child in children:
        child = as_object(child, "media child")
        ref = media_ref(child.get("media_url"), "media child", mime=MIME.get(text_field(child, "media_type", "child"), ""),
                   platform_id=child.get("id"))
        if ref:
            refs.append(ref)
    return NormalizedItem(
        platform_id=media_id,
        kind="post",
        direction="upprattad",
        record_type="own_post",
        text=text_field(media, "caption", "media"),
        author_id=who.user_id,
        author_name=text_field(media, "username", "media"),
        created_at=parse_time(media.get("timestamp"), "media timestamp"),
        thread_platform_id=media_id,
        url=text_field(media, "permalink", "media"),
        media=tuple(refs),
    )


def _comment(comment: dict, who: _Owner, media_id: str, *, parent_id: str | None) -> NormalizedItem:
    """A comment (``parent_id`` None) or a reply. A reply's own ``parent_id`` field, when
    present, wins over the page's context."""
    comment_id = need_id(comment, "id", "comment")
    parent_id = opt_id(comment, "parent_id", "comment") or parent_id
    author_id, username = _author(comment, "comment")
    own = who.is_own(author_id, username)
    return NormalizedItem(
        platform_id=comment_id,
        kind="reply" if parent_id else "comment",
        direction="upprattad" if own else "inkommen",
        record_type="own_post" if own else "public_comment",
        text=text_field(comment, "text", "comment"),
        author_id=author_id or (who.user_id if own else ""),
        author_name=username,
        created_at=parse_time(comment.get("timestamp"), "comment timestamp"),
        parent_platform_id=parent_id or media_id,
        thread_platform_id=media_id,
        state=hidden_state(comment.get("hidden"), "comment hidden"),
    )


def _node(data: Any, who: _Owner) -> NormalizedItem:
    """A re-read object: a comment carries ``media{id}``, a media object does not."""
    if not isinstance(data, dict) or "error" in data:
        raise MalformedPayload("a re-read Instagram object must be an object without 'error'")
    if "media" in data:
        media_id = need_id(as_object(data.get("media"), "comment media"), "id", "comment media")
        return _comment(data, who, media_id, parent_id=None)
    return _media(data, who)


# --- webhooks ------------------------------------------------------------------------------


def _webhook(obj: Any, account_id: str | None) -> Normalised:
    """An Instagram webhook POST (Meta, "Instagram Webhooks"): ``entry[].changes`` with the
    ``comments`` field and ``entry[].messaging`` events. With ``account_id`` only that
    account's entries are read (one POST can batch several accounts)."""
    if not isinstance(obj, dict) or obj.get("object") != "instagram":
        raise MalformedPayload("not an Instagram webhook: 'object' must be \"instagram\"")
    entries = obj.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("an Instagram webhook needs an 'entry' list")
    out = Normalised()
    for entry in entries:
        if not isinstance(entry, dict):
            raise MalformedPayload("a webhook entry is not an object")
        entry_id = str_or_none(entry.get("id"))
        if account_id and entry_id and entry_id != account_id:
            continue
        owner = entry_id or account_id
        at = _entry_time(entry.get("time"))
        changes = entry.get("changes") or []
        if not isinstance(changes, list):
            raise MalformedPayload("webhook 'changes' is not a list")
        for change in changes:
            change = as_object(change, "webhook change")
            if change.get("field") in COMMENT_FIELDS_IN_WEBHOOK:
                out.items.append(_comment_change(as_object(change.get("value"), "comments value"), owner, at))
        events = entry.get("messaging") or []
        if not isinstance(events, list):
            raise MalformedPayload("webhook 'messaging' is not a list")
        for event in events:
            messaging_event(as_object(event, "messaging event"), owner, out)
    return out


def _entry_time(value: Any) -> datetime | None:
    """``entry.time``: unix seconds for changes, milliseconds for messaging batches."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedPayload(f"entry time is not a unix time: {value!r:.80}")
    return parse_epoch(value, "entry time", millis=value > 10**11)


def _comment_change(value: dict, owner: str | None, at: datetime | None) -> NormalizedItem:
    """A ``comments`` change value: ``id``, ``text``, ``from{id,username}``,
    ``media{id,media_product_type}`` and, for a reply, ``parent_id``."""
    comment_id = need_id(value, "id", "comments webhook")
    media_id = need_id(as_object(value.get("media"), "comments webhook media"), "id", "comments webhook media")
    parent_id = opt_id(value, "parent_id", "comments webhook")
    author_id, username = _author(value, "comments webhook")
    own = bool(owner) and author_id == owner
    return NormalizedItem(
        platform_id=comment_id,
        kind="reply" if parent_id else "comment",
        direction="upprattad" if own else "inkommen",
        record_type="own_post" if own else "public_comment",
        text=text_field(value, "text", "comments webhook"),
        author_id=author_id,
        author_name=username,
        created_at=at,
        parent_platform_id=parent_id or media_id,
        thread_platform_id=media_id,
    )
