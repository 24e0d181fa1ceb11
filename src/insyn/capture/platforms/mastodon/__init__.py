"""Mastodon: ``client`` (polling and the verbs), ``normalise`` (the pure normaliser),
``paging`` (Link headers, id order) and ``html_text`` (status HTML as text, used by the blog
normaliser too)."""

from __future__ import annotations

from .client import Mastodon, Refused
from .html_text import html_to_text
from .normalise import normalise
from .paging import id_key, max_id, parse_link_header

__all__ = [
    "Mastodon",
    "Refused",
    "html_to_text",
    "id_key",
    "max_id",
    "normalise",
    "parse_link_header",
]
