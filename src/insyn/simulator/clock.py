"""Time for the simulated world, and the platforms' two ways of writing it.

The live demo runs on the wall clock so comments carry today's date; tests and
the determinism guarantee use a VirtualClock that only moves when told to.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """The wall clock (UTC epoch seconds)."""

    virtual = False

    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> None:  # noqa: B027 - the wall clock cannot be moved
        """The wall clock moves on its own; nothing to do."""

    def to_json(self) -> dict:
        return {"kind": "wall"}


class VirtualClock(Clock):
    """A clock that stands still until advance() is called."""

    virtual = True

    def __init__(self, start: float = 1_740_816_000.0) -> None:  # 2025-03-01T08:00:00Z
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += float(seconds)

    def set(self, t: float) -> None:
        with self._lock:
            self._now = float(t)

    def to_json(self) -> dict:
        return {"kind": "virtual", "now": self.now()}


def clock_from_json(data: dict | None) -> Clock:
    if data and data.get("kind") == "virtual":
        return VirtualClock(float(data["now"]))
    return Clock()


def fb_time(t: float) -> str:
    """Graph API time: ISO 8601 to the second with a +0000 offset."""
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def masto_time(t: float) -> str:
    """Mastodon time: ISO 8601 with milliseconds and a Z."""
    dt = datetime.fromtimestamp(t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def masto_date(t: float) -> str:
    """Mastodon's day-precision fields (Account.created_at is midnight UTC)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT00:00:00.000Z")


def iso_micro(t: float) -> str:
    """X-RateLimit-Reset as Mastodon's rack-attack writes it (iso8601(6))."""
    dt = datetime.fromtimestamp(t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time_param(value: str) -> float | None:
    """Graph `since`/`until`: a unix timestamp or an ISO 8601 date(-time)."""
    value = value.strip()
    if not value:
        return None
    try:
        return float(int(value))
    except ValueError:
        pass
    try:
        text = value.replace("Z", "+00:00")
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
            text = text[:-2] + ":" + text[-2:]
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
