"""Reading HTTP responses in the platform clients: JSON bodies, fetched pages, ``Link``
headers, and pacing by rate-limit headers. Each client keeps its own error mapping (the
platforms' error bodies and codes differ in meaning); what is here reads alike everywhere.

No Django; every request still goes through ``insyn.lib.http.HttpSeam``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from insyn.lib.http import HttpSeam, TransportFailure, default_retry_after

from .base import FetchedPage, PlatformError, RateLimited


def safe_json(content: bytes) -> Any:
    """The JSON in ``content``, or None when it is not JSON (an error page, an empty body)."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def response_json(platform: str, response: httpx.Response) -> Any:
    """The JSON of an answer the client needs to read; ``PlatformError`` when it is not JSON."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PlatformError(f"{platform}: unreadable response ({exc})") from exc


def fetched_page(url: str, response: httpx.Response, context: dict[str, Any]) -> FetchedPage:
    """A response as capture stores it: url (without the token), status, headers, raw body."""
    return FetchedPage(
        url=url,
        status=response.status_code,
        headers=dict(response.headers),
        body=response.content,
        context=context,
    )


def unreadable_page(platform: str, url: str) -> PlatformError:
    """The error a poll stops with after yielding a page it cannot walk on from."""
    return PlatformError(f"{platform}: unreadable page from {url}; the poll stops here")


def int_or_none(value: Any) -> int | None:
    """A header's integer value, or None when it is missing or not a number."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_link_header(value: str) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="prev"`` → {"next": url, "prev": url} (RFC 8288).

    Links are split at commas outside ``<…>`` only, so a URL may contain commas; the first
    link of each relation wins."""
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


class RateLimitPacing:
    """Pacing by ``<prefix>limit`` / ``<prefix>remaining`` / ``<prefix>reset`` headers, for a
    client (a ``Platform``) with ``now`` and ``http``.

    A 429 is retried by the seam after the reset (``RateLimited`` when that is further away
    than the seam will wait). Below ``low_water`` of the limit the remaining requests are
    spread over the rest of the window: before each request the client sleeps
    ``seconds_to_reset / (remaining + 1)``, measured against the response's ``Date`` header so
    a skewed local clock does not matter, and stops with ``RateLimited`` when that pause would
    be longer than the seam's ``max_wait``.

    A subclass names its headers (``ratelimit_prefix``), the limit assumed when none is sent
    (``default_limit``) and the code of its ``RateLimited`` (``rate_limited_code``), and reads
    its reset header in ``_seconds_until_reset``. It calls ``_wait_for_quota`` before and
    ``_note_quota`` after each request, passes ``_retry_after`` to the seam and raises
    ``_transport_error`` for a ``TransportFailure``.
    """

    ratelimit_prefix = "ratelimit-"
    default_limit = 300
    rate_limited_code: str | None = None
    low_water = 0.1

    name: str
    http: HttpSeam
    now: Callable[[], datetime]
    _pause: float = 0.0
    _pause_until: datetime | None = None

    def _seconds_until_reset(self, value: str | None, server_now: datetime) -> float | None:
        """Seconds from ``server_now`` to the reset header's ``value``; None if unreadable."""
        raise NotImplementedError

    def _retry_after(self, response: httpx.Response) -> float | None:
        if response.status_code == 429:
            wait = self._seconds_to_reset(response)
            return wait if wait is not None else default_retry_after(response)
        return default_retry_after(response)

    def _seconds_to_reset(self, response: httpx.Response) -> float | None:
        value = response.headers.get(f"{self.ratelimit_prefix}reset")
        try:
            server_now = parsedate_to_datetime(response.headers.get("date", ""))
        except (TypeError, ValueError, IndexError):
            server_now = None
        if server_now is None or server_now.tzinfo is None:
            server_now = self.now()
        seconds = self._seconds_until_reset(value, server_now)
        return None if seconds is None else max(0.0, seconds)

    def _note_quota(self, response: httpx.Response) -> None:
        prefix = self.ratelimit_prefix
        remaining = int_or_none(response.headers.get(f"{prefix}remaining"))
        limit = int_or_none(response.headers.get(f"{prefix}limit")) or self.default_limit
        self._pause, self._pause_until = 0.0, None
        if remaining is None or remaining >= max(5, int(limit * self.low_water)):
            return
        seconds = self._seconds_to_reset(response)
        if seconds is None:
            return
        self._pause = seconds / (remaining + 1)
        self._pause_until = self.now() + timedelta(seconds=seconds)

    def _wait_for_quota(self) -> None:
        pause, until = self._pause, self._pause_until
        self._pause, self._pause_until = 0.0, None
        if pause <= 0:
            return
        if pause > self.http.max_wait:
            raise RateLimited(
                f"{self.name}: rate limit nearly used up; waiting {pause:.0f}s is left to the "
                "scheduler",
                status=429,
                retry_at=until,
            )
        self.http.sleep(pause)

    def _transport_error(self, exc: TransportFailure) -> PlatformError:
        response = exc.response
        if response is not None and response.status_code == 429:
            seconds = self._seconds_to_reset(response)
            retry_at = self.now() + timedelta(seconds=seconds if seconds is not None else 60)
            return RateLimited(
                f"{self.name}: {exc}", status=429, code=self.rate_limited_code, retry_at=retry_at
            )
        status = response.status_code if response is not None else None
        return PlatformError(f"{self.name}: {exc}", status=status)
