"""Mastodon: ``client`` (polling and the verbs), ``normalise`` (the pure normaliser) and
``paging`` (Link headers, id order). Status HTML is read by ``insyn.lib.html_text``."""

from __future__ import annotations

from insyn.lib.html_text import html_to_text

from .client import Mastodon, Refused
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
