"""The Data API's daily quota: units per Google Cloud project, reset at midnight Pacific time
(developers.google.com/youtube/v3/getting-started#quota, determine_quota_cost)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
DAILY_QUOTA = 10_000  # the default per project and day
POLL_BUDGET = 7_000  # what polling may spend; the rest is kept for replies and moderation
PACE_RESERVE = 0.1  # share of the poll budget usable ahead of the day's even pace
COST_LIST = 1
COST_WRITE = 50  # insert, update, setModerationStatus, delete


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight in Pacific time, when the daily quota resets, in UTC."""
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=PACIFIC)
    return midnight.astimezone(UTC)


def quota_day(now: datetime) -> str:
    return now.astimezone(PACIFIC).date().isoformat()
