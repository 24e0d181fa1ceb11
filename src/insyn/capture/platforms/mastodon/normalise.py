"""The pure Mastodon normaliser: statuses, notifications, conversations, thread contexts and
edit histories into Items (entities/Status, StatusEdit, MediaAttachment; api/guidelines).

``context["endpoint"]`` says what a page is (``statuses``, ``status``, ``notifications``,
``conversations``, ``context``, ``history``) and ``account_external_id`` whose it is. The kind,
direction and record type of a status follow from the status alone (``_classify``), so every
page that shows it agrees. Own boosts are kept as the account's own post (``[Boost av @acct]
url`` plus the boosted text): sharing a post on the official account is the authority's act.
Boosts by others are not our records and are skipped. A ``{"error": "Record not found"}`` body
for a context, history or status read (a 404 kept as evidence) gives a
``deleted_on_platform`` signal.

Nothing here reads the clock, the network or the database. Anything unreadable raises
``MalformedPayload`` with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from insyn.lib.html_text import html_to_text

from ..base import MalformedPayload, MediaRef, Normalised, NormalizedItem, StateSignal
from ..readers import as_str, expect_list, normalise_safely, parse_time

NOT_FOUND_BODY = "Record not found"  # Api::BaseController's 404 (methods/statuses)


def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    """Read one page. ``context["endpoint"]`` says which; ``account_external_id`` whose.

    statuses / status / notifications / conversations / context / history pages give
    NormalizedItems; a ``{"error": "Record not found"}`` body for a context, history or
    status read (a 404 kept as evidence) gives a ``deleted_on_platform`` signal.
    """
    return normalise_safely("mastodon", _read_page, body, context)


def _read_page(body: bytes, context: dict[str, Any]) -> Normalised:
    if not isinstance(context, dict):
        raise MalformedPayload("mastodon: context is not a mapping")
    endpoint = context.get("endpoint")
    account = as_id(context.get("account_external_id")) or ""
    if isinstance(body, (bytes, bytearray)):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPayload(f"mastodon: body is not UTF-8 ({exc})") from exc
    elif isinstance(body, str):
        text = body
    else:
        raise MalformedPayload("mastodon: body is not bytes")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MalformedPayload(f"mastodon: body is not JSON ({exc})") from exc

    if isinstance(data, dict) and "error" in data and "id" not in data:
        status_id = as_id(context.get("status_id"))
        if data.get("error") == NOT_FOUND_BODY and endpoint in ("context", "history", "status"):
            if status_id:
                return Normalised(signals=[StateSignal(status_id, "deleted_on_platform")])
        raise MalformedPayload(f"mastodon: error body {str(data.get('error'))[:200]!r}")

    if endpoint == "statuses":
        return _items(expect_list("mastodon", data, endpoint), account)
    if endpoint == "status":
        if not isinstance(data, dict):
            raise MalformedPayload("mastodon: status is not an object")
        return _items([data], account)
    if endpoint == "notifications":
        statuses = []
        for notification in expect_list("mastodon", data, endpoint):
            if not isinstance(notification, dict):
                raise MalformedPayload("mastodon: notification is not an object")
            status = notification_status(notification)
            if status is None:
                continue
            # A mention is addressed to us by definition; an edit of a status we boosted
            # counts only when that status concerns us (our boosts are our own records).
            if notification.get("type") == "mention" or _concerns(status, account):
                statuses.append(status)
        return _items(statuses, account)
    if endpoint == "conversations":
        lasts = []
        for conversation in expect_list("mastodon", data, endpoint):
            if not isinstance(conversation, dict):
                raise MalformedPayload("mastodon: conversation is not an object")
            if isinstance(conversation.get("last_status"), dict):
                lasts.append(conversation["last_status"])
        return _items(lasts, account)
    if endpoint == "context":
        if not isinstance(data, dict):
            raise MalformedPayload("mastodon: context is not an object")
        focal = as_id(context.get("status_id"))
        ancestors = expect_list("mastodon", data.get("ancestors", []), "context.ancestors")
        descendants = expect_list("mastodon", data.get("descendants", []), "context.descendants")
        extra: dict[str, str | None] = {}
        if focal:
            top = (
                as_id(ancestors[-1].get("id"))
                if ancestors and isinstance(ancestors[-1], dict)
                else None
            )
            extra[focal] = top
        return _items([*ancestors, *descendants], account, extra_parents=extra)
    if endpoint == "history":
        return _history(data, context, account)
    raise MalformedPayload(f"mastodon: unknown endpoint {str(endpoint)[:50]!r}")


def _items(
    statuses: list, account: str, *, extra_parents: dict[str, str | None] | None = None
) -> Normalised:
    parents: dict[str, str | None] = dict(extra_parents or {})
    for status in statuses:
        if not isinstance(status, dict):
            raise MalformedPayload("mastodon: status is not an object")
        sid = as_id(status.get("id"))
        if sid:
            parents.setdefault(
                sid,
                None
                if isinstance(status.get("reblog"), dict)
                else as_id(status.get("in_reply_to_id")),
            )
    out = Normalised()
    seen: set[str] = set()
    for status in statuses:
        item = _status_item(status, account, lambda sid: _root(sid, parents))
        if item is not None and item.platform_id not in seen:
            seen.add(item.platform_id)
            out.items.append(item)
    return out


def _root(status_id: str, parents: dict[str, str | None]) -> str:
    """The top of the thread as far as the page shows: the farthest known ancestor id."""
    current, seen = status_id, set()
    while current in parents and current not in seen:
        seen.add(current)
        parent = parents[current]
        if not parent:
            return current
        current = parent
    return current


def _status_item(
    status: dict, account: str, thread_of: Callable[[str], str]
) -> NormalizedItem | None:
    sid = as_id(status.get("id"))
    author = status.get("account")
    if not sid or not isinstance(author, dict) or not as_id(author.get("id")):
        raise MalformedPayload("mastodon: status without id or account")
    author_id = as_id(author.get("id")) or ""
    own = bool(account) and author_id == account
    reblog = status.get("reblog")
    if isinstance(reblog, dict):
        if not own:
            return None  # someone else's boost: the boosted status is not addressed to us
        return _own_boost(status, sid, author_id, author, reblog)
    visibility = status.get("visibility")
    parent = as_id(status.get("in_reply_to_id"))
    kind, direction, record_type = _classify(
        own, visibility, parent, as_id(status.get("in_reply_to_account_id")), account
    )
    return NormalizedItem(
        platform_id=sid,
        kind=kind,
        direction=direction,
        record_type=record_type,
        text=_status_text(status),
        author_id=author_id,
        author_name=_author_name(author),
        created_at=parse_time(status.get("created_at")),
        parent_platform_id=parent,
        thread_platform_id=thread_of(sid),
        edited_at=parse_time(status.get("edited_at")),
        state="visible",
        url=as_str(status.get("url")) or as_str(status.get("uri")),
        media=_media(status.get("media_attachments")),
    )


def _own_boost(
    status: dict, sid: str, author_id: str, author: dict, reblog: dict
) -> NormalizedItem:
    original = reblog.get("account") if isinstance(reblog.get("account"), dict) else {}
    acct = as_str(original.get("acct")) or "?"
    url = as_str(reblog.get("url")) or as_str(reblog.get("uri"))
    heading = f"[Boost av @{acct}] {url}".rstrip()
    return NormalizedItem(
        platform_id=sid,
        kind="post",
        direction="upprattad",
        record_type="own_post",
        text=f"{heading}\n\n{_status_text(reblog)}".strip(),
        author_id=author_id,
        author_name=_author_name(author),
        created_at=parse_time(status.get("created_at")),
        thread_platform_id=sid,
        state="visible",
        url=as_str(status.get("url")) or as_str(status.get("uri")) or url,
        media=_media(reblog.get("media_attachments")),
    )


def _classify(
    own: bool, visibility: Any, parent: str | None, parent_account: str | None, account: str
) -> tuple[str, str, str]:
    """(kind, direction, record_type) from the status alone, so every page agrees."""
    if own:
        if visibility == "direct":
            return "message", "upprattad", "own_post"
        return ("reply" if parent else "post"), "upprattad", "own_post"
    if visibility == "direct":
        return "message", "inkommen", "direct_message"
    if not parent:
        return "post", "inkommen", "public_comment"  # a resident's own post mentioning us
    if account and parent_account == account:
        return "comment", "inkommen", "public_comment"  # a reply to one of our statuses
    return "reply", "inkommen", "public_comment"  # a reply to someone else in the thread


def _history(data: Any, context: dict[str, Any], account: str) -> Normalised:
    edits = expect_list("mastodon", data, "history")
    if not edits:
        return Normalised()
    status_id = as_id(context.get("status_id"))
    if not status_id:
        raise MalformedPayload("mastodon: history without status_id in its context")
    versions: list[tuple[str, datetime | None]] = []
    for edit in edits:
        if not isinstance(edit, dict):
            raise MalformedPayload("mastodon: history entry is not an object")
        versions.append((_status_text(edit), parse_time(edit.get("created_at"))))
    last = edits[-1]
    author = last.get("account") if isinstance(last.get("account"), dict) else {}
    author_id = as_id(author.get("id")) or ""
    meta = context.get("status") if isinstance(context.get("status"), dict) else {}
    kind, direction, record_type = _classify(
        bool(account) and author_id == account,
        meta.get("visibility"),
        as_id(meta.get("parent_platform_id")),
        as_id(meta.get("in_reply_to_account_id")),
        account,
    )
    if meta.get("kind") in ("post", "comment", "reply", "message"):
        kind = meta["kind"]
    if meta.get("direction") in ("inkommen", "upprattad"):
        direction = meta["direction"]
    if meta.get("record_type") in ("public_comment", "direct_message", "own_post"):
        record_type = meta["record_type"]
    return Normalised(
        items=[
            NormalizedItem(
                platform_id=status_id,
                kind=kind,  # type: ignore[arg-type]
                direction=direction,  # type: ignore[arg-type]
                record_type=record_type,  # type: ignore[arg-type]
                text=versions[-1][0],
                author_id=author_id,
                author_name=_author_name(author),
                created_at=parse_time(meta.get("created_at")) or versions[0][1],
                parent_platform_id=as_id(meta.get("parent_platform_id")),
                thread_platform_id=as_id(meta.get("thread_platform_id")) or status_id,
                edited_at=versions[-1][1] if len(versions) > 1 else None,
                state="visible",
                url=as_str(meta.get("url")),
                media=_media(last.get("media_attachments")),
                history=tuple(versions[:-1]),
            )
        ]
    )


def history_meta(item: NormalizedItem) -> dict[str, Any]:
    """What a history page needs to stand on its own (kept in its context)."""
    return {
        "kind": item.kind,
        "direction": item.direction,
        "record_type": item.record_type,
        "parent_platform_id": item.parent_platform_id,
        "thread_platform_id": item.thread_platform_id,
        "url": item.url,
        "created_at": to_iso(item.created_at) if item.created_at else None,
        "edited_at": to_iso(item.edited_at) if item.edited_at else None,
    }


def notification_status(notification: Any) -> dict | None:
    if not isinstance(notification, dict):
        return None
    if notification.get("type") not in ("mention", "update", "status"):
        return None
    status = notification.get("status")
    return status if isinstance(status, dict) else None


def _concerns(status: dict, account: str) -> bool:
    if not account:
        return False
    if account_id_of(status) == account or as_id(status.get("in_reply_to_account_id")) == account:
        return True
    mentions = status.get("mentions")
    return isinstance(mentions, list) and any(
        isinstance(m, dict) and as_id(m.get("id")) == account for m in mentions
    )


def _status_text(status: dict) -> str:
    """Content warning, a blank line, then the text (``text`` when a delete returned it)."""
    content = status.get("content")
    body = html_to_text(content) if isinstance(content, str) else as_str(status.get("text")).strip()
    spoiler = as_str(status.get("spoiler_text")).strip()
    return "\n\n".join(part for part in (spoiler, body) if part)


def _author_name(account: dict) -> str:
    return (
        as_str(account.get("display_name")).strip()
        or as_str(account.get("acct"))
        or as_str(account.get("username"))
    )


_MIME_BY_EXTENSION = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "avif": "image/avif", "heic": "image/heic",
    "mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "mov": "video/quicktime",
    "mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
    "m4a": "audio/mp4", "wav": "audio/wav", "flac": "audio/flac", "aac": "audio/aac",
}  # fmt: skip
# entities/MediaAttachment#type; gifv is served as MP4 ("looping, soundless animation").
_MIME_BY_TYPE = {"image": "image/*", "gifv": "video/mp4", "video": "video/*", "audio": "audio/*"}


def _media(attachments: Any) -> tuple[MediaRef, ...]:
    refs = []
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict):
            continue
        url = as_str(attachment.get("url")) or as_str(attachment.get("remote_url"))
        if not url:
            continue
        kind = as_str(attachment.get("type"))
        extension = url.split("?", 1)[0].rsplit("/", 1)[-1].rpartition(".")[2].lower()
        mime = _MIME_BY_EXTENSION.get(extension, "")
        if not mime or (kind in _MIME_BY_TYPE and kind != "gifv" and not mime.startswith(kind)):
            mime = _MIME_BY_TYPE.get(kind, mime)
        refs.append(
            MediaRef(url=url, mime_type=mime, platform_id=as_id(attachment.get("id")) or "")
        )
    return tuple(refs)


# --- values ----------------------------------------------------------------------------


def as_id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def account_id_of(status: dict) -> str | None:
    account = status.get("account")
    return as_id(account.get("id")) if isinstance(account, dict) else None


def to_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
