"""Pagination by the ``Link`` header (api/guidelines#pagination) and the order of Mastodon ids
(api/guidelines#id)."""

from __future__ import annotations

from typing import Any

import httpx

from .normalise import as_id


def parse_link_header(value: str) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="prev"`` → {"next": url, "prev": url}."""
    links: dict[str, str] = {}
    for part in _split_outside_brackets(value or ""):
        target, _, params = part.partition(">")
        url = target.strip().removeprefix("<").strip()
        if not url:
            continue
        for param in params.split(";"):
            name, _, rel = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for relation in rel.strip().strip('"').split():
                    links.setdefault(relation.lower(), url)
    return links


def _split_outside_brackets(value: str) -> list[str]:
    parts, current, depth = [], [], 0
    for char in value:
        if char == "<":
            depth += 1
        elif char == ">":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


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
