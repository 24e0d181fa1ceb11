"""Fault injection and rate-limit accounting, shared by both platform apps.

A FaultRule matches requests (platform, subject = page or account id, method,
path regex) and answers the next `count` of them (None: until cleared) with a
fault instead of the real answer. Rules are checked in the order they were added;
the first that matches is used up by one.
"""

from __future__ import annotations

import math
import random
import re
import threading
from dataclasses import asdict, dataclass, field

FAULT_KINDS = ("http_error", "rate_limit", "delay", "auth_error", "malformed")
PLATFORMS = ("graph", "mastodon", "bluesky", "youtube", "blog", "any")


@dataclass
class FaultRule:
    """One injected fault.

    kind:
      http_error  answer `status` (500, 502, 503, …) with the platform's body for it
      rate_limit  Graph: error `code` (4, 17, 32, 613, 80001) on HTTP 400 with usage at 100 %;
                  Mastodon: 429 with X-RateLimit-* headers
      delay       wait `delay` seconds, then answer normally
      auth_error  Graph: OAuthException 190 with `subcode` (463 expired by default);
                  Mastodon: 401 {"error": "The access token is invalid"}
      malformed   200 with a truncated JSON body
    Any kind may also carry `delay` (seconds to wait before the fault is answered).
    """

    kind: str
    platform: str = "any"
    count: int | None = 1
    status: int = 503
    code: int | None = None
    subcode: int | None = None
    delay: float = 0.0
    subject: str | None = None
    method: str | None = None
    path: str | None = None
    probability: float = 1.0
    id: int = 0
    hits: int = 0

    def matches(self, platform: str, subject: str | None, method: str, path: str) -> bool:
        if self.platform not in ("any", platform):
            return False
        if self.subject is not None and self.subject != subject:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path is not None and not re.search(self.path, path):
            return False
        return self.count is None or self.count > 0

    def to_json(self) -> dict:
        return asdict(self)


def fault_from_json(data: dict) -> FaultRule:
    allowed = {f for f in FaultRule.__dataclass_fields__ if f not in ("id", "hits")}
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    rule = FaultRule(**data)
    if rule.kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    if rule.platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
    if rule.path is not None:
        re.compile(rule.path)
    return rule


class FaultInjector:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 0
        self._rng = random.Random(f"faults:{seed}")

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._next_id += 1
            rule.id = self._next_id
            self._rules.append(rule)
            return rule

    def clear(self, rule_id: int | None = None) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if rule_id is not None and r.id != rule_id]

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def take(self, platform: str, subject: str | None, method: str, path: str) -> FaultRule | None:
        """The fault that answers this request, if any (consuming one of its count)."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(platform, subject, method, path):
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.hits += 1
                if rule.count is not None:
                    rule.count -= 1
                self._rules = [r for r in self._rules if r.count is None or r.count > 0]
                return rule
            return None


@dataclass
class Window:
    start: float
    count: int = 0


@dataclass
class RateMeter:
    """Calls per key in fixed windows aligned to the epoch (as rack-attack does)."""

    limit: int
    period: float
    windows: dict[str, Window] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> tuple[int, int, float]:
        """Count one call; return (count in window, limit, window end)."""
        with self._lock:
            start = math.floor(now / self.period) * self.period
            window = self.windows.get(key)
            if window is None or window.start != start:
                window = self.windows[key] = Window(start)
            window.count += 1
            return window.count, self.limit, start + self.period

    def peek(self, key: str, now: float) -> tuple[int, int, float]:
        with self._lock:
            start = math.floor(now / self.period) * self.period
            window = self.windows.get(key)
            count = window.count if window and window.start == start else 0
            return count, self.limit, start + self.period

    def reset(self) -> None:
        with self._lock:
            self.windows.clear()
