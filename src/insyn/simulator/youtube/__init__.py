"""The simulated YouTube Data API v3 (``app``) and its Swedish traffic (``scenario``).

The records live in ``store/youtube.py``; docs/simulator.md describes the stand-in.
"""

from __future__ import annotations

from .app import YouTubeApp, error_body
from .scenario import YouTubeScenario

__all__ = ["YouTubeApp", "YouTubeScenario", "error_body"]
