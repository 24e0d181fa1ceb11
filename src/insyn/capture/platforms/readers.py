"""Reading raw payloads in the normalisers: the pieces every JSON platform reads alike.

``normalise`` must raise ``MalformedPayload`` and nothing else (see ``base``): each platform
runs its reader through ``normalise_safely``, which turns the errors an unexpected shape can
cause into ``MalformedPayload``. Messages start with the platform's name, as they are shown
in the quarantine. Pure: no clock, no network, no database, no Django.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .base import MalformedPayload, Normalised

# What reading data of an unexpected shape can raise (``LookupError`` also covers an unknown
# codec, ``ValueError`` a bad encoding); an explicit check in a reader raises
# MalformedPayload itself.
PAYLOAD_ERRORS: tuple[type[Exception], ...] = (
    KeyError,
    IndexError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    AssertionError,
    RecursionError,
    OverflowError,
)


def normalise_safely(
    platform: str,
    read: Callable[[bytes, dict[str, Any]], Normalised],
    body: bytes,
    context: dict[str, Any],
) -> Normalised:
    """``read(body, context)``, with any of ``PAYLOAD_ERRORS`` raised as MalformedPayload."""
    try:
        return read(body, context)
    except PAYLOAD_ERRORS as exc:
        raise MalformedPayload(
            f"{platform}: unreadable payload ({type(exc).__name__}: {exc})"
        ) from exc


def load_json(platform: str, body: bytes) -> Any:
    """A UTF-8 JSON body, or MalformedPayload saying why it is not one."""
    try:
        return json.loads(bytes(body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"{platform}: body is not JSON ({exc})") from exc


def expect_list(platform: str, value: Any, what: str) -> list:
    """``value`` when it is a list; MalformedPayload naming ``what`` otherwise."""
    if not isinstance(value, list):
        raise MalformedPayload(f"{platform}: {what} is not a list")
    return value


def as_str(value: Any) -> str:
    """A string field, or '' for anything else (missing, null, a number)."""
    return value if isinstance(value, str) else ""


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 / RFC 3339 time (``2019-12-05T11:34:47.196Z``, fractions and offsets
    allowed) as aware UTC; a time without an offset is taken as UTC. None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
