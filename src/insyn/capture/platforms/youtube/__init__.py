"""YouTube (Data API v3): a channel's videos, comment threads, replies and held comments.

``client`` holds the HTTP client and the moderation verbs, ``normalise`` the pure
normaliser, ``quota`` the daily unit quota and ``errors`` the mapping of Google's errors;
see their docstrings and docs/platforms/youtube.md.
"""

from __future__ import annotations

from .client import YouTube, is_video_id, oauth_credentials
from .errors import Refused
from .normalise import normalise
from .quota import next_quota_reset, quota_day

__all__ = [
    "Refused",
    "YouTube",
    "is_video_id",
    "next_quota_reset",
    "normalise",
    "oauth_credentials",
    "quota_day",
]
