"""Reading Graph JSON (pure): the field readers shared by the Facebook and Instagram
normalisers, and Messenger Platform webhook events, which Instagram Messaging sends in the
same shape. Each raises ``MalformedPayload`` (never anything else) for what it cannot read;
nothing here reads the clock, the network or the database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..base import MalformedPayload, MediaRef, Normalised, NormalizedItem, State, StateSignal


def load_json(body: bytes) -> Any:
    if not isinstance(body, (bytes, bytearray)):
        raise MalformedPayload("the payload is not bytes")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"the payload is not UTF-8 JSON ({exc.reason})") from None
    except RecursionError:
        raise MalformedPayload("the payload is nested too deeply to read") from None
    except ValueError as exc:
        raise MalformedPayload(f"the payload is not JSON ({exc})") from None


def page_data(obj: Any, endpoint: str) -> list[dict]:
    if isinstance(obj, dict) and "error" in obj:
        raise MalformedPayload(
            f"a Graph error object, not a {endpoint} page: {obj['error']!r:.200}"
        )
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise MalformedPayload(f"a {endpoint} page must be an object with a 'data' list")
    for index, item in enumerate(obj["data"]):
        if not isinstance(item, dict):
            raise MalformedPayload(f"{endpoint} item {index} is not an object")
    return obj["data"]


def need_id(obj: dict, key: str, what: str) -> str:
    value = str_or_none(obj.get(key))
    if value is None:
        raise MalformedPayload(f"{what} without a usable {key!r}: {obj.get(key)!r:.80}")
    return value


def opt_id(obj: dict, key: str, what: str) -> str | None:
    if obj.get(key) is None:
        return None
    return need_id(obj, key, what)


def text_field(obj: dict, key: str, what: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedPayload(f"{what} {key!r} is not text: {value!r:.80}")
    return value


def parse_time(value: Any, what: str) -> datetime | None:
    """Graph's ``2026-11-25T09:30:00+0000`` (or any ISO 8601 with an offset) or unix
    seconds, as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedPayload(f"{what} is not a time: {value!r}")
    if isinstance(value, (int, float)):
        return parse_epoch(value, what, millis=False)
    if not isinstance(value, str):
        raise MalformedPayload(f"{what} is not a time: {value!r:.80}")
    try:
        # Python 3.11+ reads Graph's "+0000" offsets too, and far faster than strptime.
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedPayload(f"{what} is not a time: {value!r:.80}") from None
    if moment.tzinfo is None:
        raise MalformedPayload(f"{what} has no UTC offset: {value!r:.80}")
    return moment.astimezone(UTC)


def parse_epoch(value: Any, what: str, *, millis: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedPayload(f"{what} is not a unix time: {value!r:.80}")
    try:
        return datetime.fromtimestamp(value / 1000 if millis else value, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedPayload(f"{what} is out of range: {value!r:.80}") from None


def media_ref(url: Any, what: str, *, mime: Any = "", platform_id: Any = None) -> MediaRef | None:
    if url is None or url == "":
        return None
    if not isinstance(url, str):
        raise MalformedPayload(f"{what} media url is not text")
    return MediaRef(
        url=url,
        mime_type=mime if isinstance(mime, str) else "",
        platform_id=str_or_none(platform_id) or "",
    )


def as_object(value: Any, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} is not an object")
    return value


def hidden_state(value: Any, what: str) -> State | None:
    """An ``is_hidden`` / ``hidden`` flag as a state; None when Graph leaves it out."""
    if value is None:
        return None
    if not isinstance(value, bool):
        raise MalformedPayload(f"{what} is not true/false: {value!r:.80}")
    return "hidden" if value else "visible"


def str_or_none(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value else None


def time_or_none(value: Any) -> datetime | None:
    try:
        return parse_time(value, "time")
    except MalformedPayload:
        return None


# --- Messenger webhook events (Facebook Pages and Instagram Messaging) ------------------------


def messaging_event(event: dict, page_id: str | None, out: Normalised) -> None:
    """One Messenger event: ``message`` (incoming, or an echo of the Page's own when
    ``is_echo``), ``message_edit``; deliveries, reads, reactions and postbacks are ignored.
    Webhooks do not name the conversation, so ``thread_platform_id`` stays None; the
    ``mid`` is the message id the conversations edge uses."""
    sender = (
        opt_id(as_object(event.get("sender"), "messaging sender"), "id", "messaging sender") or ""
    )
    at = parse_epoch(event.get("timestamp"), "messaging timestamp", millis=True)
    if "message" in event:
        message = as_object(event.get("message"), "messaging message")
        mid = need_id(message, "mid", "messaging message")
        if message.get("is_deleted") is True:  # an unsent message (Instagram documents this)
            out.signals.append(StateSignal(mid, "deleted_on_platform", at))
            return
        media = []
        attachments = message.get("attachments") or []
        if not isinstance(attachments, list):
            raise MalformedPayload("messaging attachments is not a list")
        for att in attachments:
            payload = as_object(
                as_object(att, "messaging attachment").get("payload"), "attachment payload"
            )
            ref = media_ref(payload.get("url"), "messaging attachment")
            if ref:
                media.append(ref)
        own = message.get("is_echo") is True or (page_id is not None and sender == page_id)
        out.items.append(_dm(mid, message, sender, own, at, None, tuple(media)))
    elif "message_edit" in event:
        edit = as_object(event.get("message_edit"), "message_edit")
        mid = need_id(edit, "mid", "message_edit")
        own = page_id is not None and sender == page_id
        out.items.append(_dm(mid, edit, sender, own, None, at, ()))


def _dm(
    mid: str,
    message: dict,
    sender: str,
    own: bool,
    created: datetime | None,
    edited: datetime | None,
    media: tuple[MediaRef, ...],
) -> NormalizedItem:
    return NormalizedItem(
        platform_id=mid,
        kind="message",
        direction="upprattad" if own else "inkommen",
        record_type="direct_message",
        text=text_field(message, "text", "message"),
        author_id=sender,
        author_name="",
        created_at=created,
        edited_at=edited,
        media=media,
    )
