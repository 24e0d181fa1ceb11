"""Pagination by the ``Link`` header (api/guidelines#pagination) and the order of Mastodon ids
(api/guidelines#id)."""

from __future__ import annotations

from typing import Any

import httpx

from ..responses import parse_link_header
from .normalise import as_id

__all__ = ["data_cursor", "id_key", "link_cursor", "max_id", "parse_link_header"]


def link_cursor(link: str | None) -> str | None:
    """The id a ``rel="prev"`` link pages forward from (``min_id``, or ``since_id``)."""
    if not link:
        return None
    params = httpx.URL(link).params
    return params.get("min_id") or params.get("since_id") or None


def data_cursor(items: list, context: dict[str, Any]) -> str | None:
    """Fallback when a page carries no ``prev`` link: the newest id the page itself shows."""
    if context.get("endpoint") == "conversations":
        ids = [
            as_id(c["last_status"].get("id"))
            for c in items
            if isinstance(c, dict) and isinstance(c.get("last_status"), dict)
        ]
    else:
        ids = [as_id(i.get("id")) for i in items if isinstance(i, dict)]
    return max((i for i in ids if i), key=id_key, default=None)


def id_key(value: str) -> tuple[int, str]:
    """Mastodon ids sort as numbers in strings: longer is newer, then lexically (guidelines#id)."""
    return (len(value), value)


def max_id(a: str | None, b: str | None) -> str | None:
    return max((x for x in (a, b) if x), key=id_key, default=None)
