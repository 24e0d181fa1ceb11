"""Instagram professional accounts through the Instagram Graph API: ``client`` (polling,
moderation verbs) and ``normalise`` (the pure normaliser). See docs/platforms/instagram.md."""

from __future__ import annotations

from .client import Instagram
from .normalise import normalise

__all__ = ["Instagram", "normalise"]
