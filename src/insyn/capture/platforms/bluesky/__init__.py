"""Bluesky (AT Protocol): ``client`` (sessions, polling, moderation over XRPC) and the pure
``normalise``. See client.py's docstring and docs/platforms/bluesky.md."""

from __future__ import annotations

from .client import Bluesky, Refused, forget_sessions, tid_for_key
from .normalise import normalise, web_url

__all__ = ["Bluesky", "Refused", "forget_sessions", "normalise", "tid_for_key", "web_url"]
