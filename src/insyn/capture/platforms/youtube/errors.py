"""Google's error answers (docs/errors) mapped to the capture contract's errors.

A Google error body is ``{"error": {"code", "message", "errors": [{"domain", "reason",
"message"}]}}``; the ``reason`` decides, the HTTP status only where there is none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..base import NotFound, PlatformError, RateLimited, TokenInvalid
from ..responses import unreadable_page
from . import normalise as normaliser
from .quota import next_quota_reset

QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
SHORT_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
AUTH_REASONS = {"authError", "invalidCredentials", "unauthorized"}


class Refused(PlatformError):
    """A request YouTube will not grant as asked (400, 403 other than rate limits)."""

    permanent = True


def is_list_answer(status: int, data: Any) -> bool:
    """A 403/404 that documents an empty list (comments disabled, no uploads playlist)."""
    reasons = set(normaliser.error_reasons(data))
    return bool(reasons) and reasons <= normaliser.EMPTY_REASONS


def http_error(status: int, data: Any, headers: Any, now: datetime) -> PlatformError:
    """Map a Google error (``{"error": {"code", "message", "errors": [{"domain", "reason",
    "message"}]}}``, docs/errors) to the contract's errors."""
    reasons = normaliser.error_reasons(data)
    message = ""
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        message = str(data["error"].get("message") or "")
    reason = reasons[0] if reasons else ""
    text = f"youtube: {message or f'HTTP {status}'} ({reason or 'no reason'}, HTTP {status})"
    if set(reasons) & QUOTA_REASONS:
        return RateLimited(text, status=status, code=reason, retry_at=next_quota_reset(now))
    if set(reasons) & SHORT_LIMIT_REASONS or status == 429:
        wait = 60.0
        value = str((headers or {}).get("retry-after", "") or "")
        if value.isdigit():
            wait = float(value)
        return RateLimited(
            text,
            status=status,
            code=reason or "rateLimitExceeded",
            retry_at=now + timedelta(seconds=wait),
        )
    if status == 401 or set(reasons) & AUTH_REASONS:
        return TokenInvalid(text, status=status, code=reason or "authError")
    if status == 404:
        return NotFound(text, status=status, code=reason)
    if 400 <= status < 500:
        return Refused(text, status=status, code=reason)
    return PlatformError(text, status=status, code=reason)


def unreadable(url: str) -> PlatformError:
    return unreadable_page("youtube", url)
