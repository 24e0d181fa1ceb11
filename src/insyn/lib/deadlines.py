"""Response deadlines (R20): named rules over the Swedish working-day calendar, Django-free.

A rule comes from the policy file, one TOML table per rule under ``[response_rules]``::

    [response_rules.next_working_day_end]
    kind = "next_working_day_end"
    time = "17:00"

Kinds (docs/deadlines.md has the full description):

- ``next_working_day_end`` (the default): ``time`` on the first working day after the local date
  the item arrived.
- ``same_working_day``: ``time`` the same day if the item arrives on a working day before
  ``cutoff``, else ``time`` on the next working day.
- ``working_hours``: ``hours`` of working time, counting only ``day_start``–``day_end`` on working
  days, from the arrival (or from the start of the next working period).
- ``calendar_hours``: ``hours`` of elapsed time, nights and holidays included (crisis mode).

Everything is computed in Europe/Stockholm wall time and returned as an aware datetime in that
zone, except calendar hours, which are elapsed time and so are added in UTC. The library never
guesses a zone: naive datetimes are rejected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from insyn.lib.calendar import (
    STOCKHOLM,
    is_working_day,
    next_working_day,
    working_day_on_or_after,
)

Kind = Literal["next_working_day_end", "same_working_day", "working_hours", "calendar_hours"]
KINDS: tuple[str, ...] = get_args(Kind)

DEFAULT_RULE_NAME = "next_working_day_end"

# The keys each kind accepts in its policy table, with their defaults (None = required).
_KEYS: dict[str, dict[str, Any]] = {
    "next_working_day_end": {"time": "17:00"},
    "same_working_day": {"time": "17:00", "cutoff": None},
    "working_hours": {"hours": None, "day_start": "08:00", "day_end": "17:00"},
    "calendar_hours": {"hours": None},
}

# Reminders for the time-of-day kinds count office hours from here to the rule's time.
OFFICE_DAY_START = dt.time(8, 0)
# A reminder goes when 75 % of the time to the deadline has passed, but leaves at most
# this much before it.
REMINDER_MAX_LEAD = dt.timedelta(hours=2)
_MICROSECOND = dt.timedelta(microseconds=1)
# A response time beyond a month is a typo, and bounds the working-hours loop.
_MAX_HOURS = 24 * 31


@dataclass(frozen=True, slots=True)
class ResponseRule:
    """One named response rule. Build it with `from_dict` from a policy table; fields that do
    not apply to the kind are None. Two rules with the same timing are equal whatever their
    `description` (the sentence the account publishes about its response time)."""

    name: str
    kind: Kind
    time: dt.time | None = None
    cutoff: dt.time | None = None
    hours: float | None = None
    day_start: dt.time | None = None
    day_end: dt.time | None = None
    description: str = field(default="", compare=False)

    @classmethod
    def from_dict(cls, name: str, table: Mapping[str, Any]) -> ResponseRule:
        """Validate one ``[response_rules.NAME]`` table. Times may be "HH:MM" strings or TOML
        local times; every error names the rule and the key."""
        if not isinstance(table, Mapping):
            raise ValueError(f"response rule {name!r}: must be a table, got {table!r}")
        kind = table.get("kind")
        if not isinstance(kind, str) or kind not in _KEYS:
            raise ValueError(
                f"response rule {name!r}: kind must be one of {', '.join(KINDS)}, got {kind!r}"
            )
        allowed = _KEYS[kind]
        unknown = sorted(set(table) - set(allowed) - {"kind", "description"})
        if unknown:
            raise ValueError(
                f"response rule {name!r}: unknown key(s) {', '.join(unknown)} for kind {kind!r}"
                f" (allowed: {', '.join(allowed)}, description)"
            )
        description = table.get("description", "")
        if not isinstance(description, str):
            raise ValueError(f"response rule {name!r}: description must be a string")
        values: dict[str, Any] = {}
        for key, default in allowed.items():
            value = table.get(key, default)
            if key == "cutoff" and value is None:
                value = values["time"]  # no cutoff: anything before `time` is due that day
            if value is None:
                raise ValueError(f"response rule {name!r}: {key} is required for kind {kind!r}")
            values[key] = _hours(name, value) if key == "hours" else _time(name, key, value)

        rule = cls(name=name, kind=kind, description=description, **values)
        if rule.cutoff is not None and rule.time is not None and rule.cutoff > rule.time:
            # Otherwise an item arriving between the two would be due before it arrived.
            raise ValueError(f"response rule {name!r}: cutoff must not be after time")
        if rule.day_start is not None and rule.day_end is not None:
            if rule.day_start >= rule.day_end:
                raise ValueError(f"response rule {name!r}: day_start must be before day_end")
        return rule


# Any rule can tighten the others in crisis mode; the policy writes it in the same table form.
type CrisisRule = ResponseRule


def _time(name: str, key: str, value: Any) -> dt.time:
    if isinstance(value, dt.time):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.time.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f'response rule {name!r}: {key} must be a time like "17:00", got {value!r}'
            ) from None
    else:
        raise ValueError(f'response rule {name!r}: {key} must be a time like "17:00"')
    if parsed.tzinfo is not None:
        raise ValueError(f"response rule {name!r}: {key} is Swedish local time, without offset")
    return parsed


def _hours(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"response rule {name!r}: hours must be a positive number, got {value!r}")
    if value > _MAX_HOURS:
        raise ValueError(
            f"response rule {name!r}: hours must be at most {_MAX_HOURS} (31 days), got {value!r}"
        )
    return value


def rules_from_policy(tables: Mapping[str, Mapping[str, Any]]) -> dict[str, ResponseRule]:
    """All rules of a policy's ``response_rules`` table, by name."""
    return {name: ResponseRule.from_dict(name, table) for name, table in tables.items()}


# The rules of the shipped policy (insyn/policy/ange.toml), for use without one; a test keeps
# the two in step. The descriptions live in the policy only.
DEFAULT_RULES: dict[str, ResponseRule] = rules_from_policy(
    {
        "next_working_day_end": {"kind": "next_working_day_end", "time": "17:00"},
        "same_working_day": {"kind": "same_working_day", "time": "17:00", "cutoff": "15:00"},
        "four_working_hours": {
            "kind": "working_hours",
            "hours": 4,
            "day_start": "08:00",
            "day_end": "17:00",
        },
        "crisis_two_hours": {"kind": "calendar_hours", "hours": 2},
    }
)

# The policy names it in `[response] crisis_rule`.
DEFAULT_CRISIS_RULE: CrisisRule = DEFAULT_RULES["crisis_two_hours"]


def deadline(
    received: dt.datetime, rule: ResponseRule, *, crisis: CrisisRule | None = None
) -> dt.datetime:
    """When an item received at `received` must be answered under `rule`, as an aware datetime
    in Europe/Stockholm. With `crisis` (crisis mode on), the earlier of the rule's deadline and
    the crisis rule's. The deadline is always strictly after `received`."""
    local = _local(received)
    due = _due(local, rule)
    if crisis is not None:
        due = min(due, _due(local, crisis), key=_utc)
    return due


def _due(local: dt.datetime, rule: ResponseRule) -> dt.datetime:
    # from_dict guarantees the fields each kind needs; the asserts tell the type checker.
    match rule.kind:
        case "next_working_day_end":
            assert rule.time is not None
            return _at(next_working_day(local.date()), rule.time)
        case "same_working_day":
            assert rule.time is not None and rule.cutoff is not None
            day = local.date()
            if not (is_working_day(day) and local.time() < rule.cutoff):
                day = next_working_day(day)
            return _at(day, rule.time)
        case "working_hours":
            hours, start, end = rule.hours, rule.day_start, rule.day_end
            assert hours is not None and start is not None and end is not None
            return _attach(_add_working_time(_wall(local), dt.timedelta(hours=hours), start, end))
        case "calendar_hours":
            assert rule.hours is not None
            return (_utc(local) + dt.timedelta(hours=rule.hours)).astimezone(STOCKHOLM)
    raise AssertionError(f"unhandled kind {rule.kind!r}")


def reminder_at(received: dt.datetime, due: dt.datetime, rule: ResponseRule) -> dt.datetime:
    """When to remind the account's communicators about an unanswered item.

    The reminder goes when 75 % of the time between `received` and `due` has passed, but never
    more than two hours before `due`. Time is counted the way the rule counts it: working time
    (``day_start``–``day_end`` for working-hours rules, 08:00 to the rule's time for the
    time-of-day rules) on working days, or elapsed time for calendar-hours rules and whenever no
    working time lies between the two (a crisis deadline at night). So an item due Monday
    17:00 is reminded Monday 15:00, whenever it came in. The result is before `due` and not
    before `received` (strictly after it unless the two are microseconds apart).
    """
    received, due = _local(received), _local(due)
    if _utc(due) <= _utc(received):
        raise ValueError(f"due ({due.isoformat()}) must be after received ({received.isoformat()})")
    window: tuple[dt.time, dt.time] | None = None
    if rule.day_start is not None and rule.day_end is not None:  # working_hours
        window = (rule.day_start, rule.day_end)
    elif rule.time is not None and rule.time > OFFICE_DAY_START:  # the time-of-day kinds
        window = (OFFICE_DAY_START, rule.time)
    if window is not None:
        available = _working_time_between(_wall(received), _wall(due), *window)
        if available:
            return _attach(
                _add_working_time(_wall(received), available - _lead(available), *window)
            )
    start, end = _utc(received), _utc(due)
    return (end - _lead(end - start)).astimezone(STOCKHOLM)


def _lead(available: dt.timedelta) -> dt.timedelta:
    # At least a microsecond, so the reminder is always before the deadline.
    return min(max(available / 4, _MICROSECOND), REMINDER_MAX_LEAD)


def parse_received(text: str, *, naive_as_local: bool = False) -> dt.datetime:
    """Parse an ISO 8601 instant ('Z' or an offset). Without an offset it is rejected, or with
    `naive_as_local` read as Europe/Stockholm wall time — unless that wall time does not exist
    (clocks go forward) or happens twice (clocks go back), which is rejected too."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 date and time: {text!r}") from None
    if value.tzinfo is not None:
        return value
    if not naive_as_local:
        raise ValueError(f"{text!r} has no UTC offset: add 'Z' or one such as '+02:00'")
    local = value.replace(tzinfo=STOCKHOLM)
    if local.astimezone(dt.UTC).astimezone(STOCKHOLM).replace(tzinfo=None) != value:
        raise ValueError(f"{text!r} does not exist in Europe/Stockholm (clocks go forward)")
    if local.utcoffset() != local.replace(fold=1).utcoffset():
        raise ValueError(
            f"{text!r} happens twice in Europe/Stockholm (clocks go back): add the offset"
        )
    return local


def _local(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"naive datetime {value.isoformat()}: give a timezone-aware datetime "
            "(the received time's zone cannot be guessed)"
        )
    return value.astimezone(STOCKHOLM)


def _utc(value: dt.datetime) -> dt.datetime:
    """For comparing and subtracting: Python compares two datetimes in the same zone by their
    wall time, which is wrong in the hour that happens twice when the clocks go back."""
    return value.astimezone(dt.UTC)


def _wall(local: dt.datetime) -> dt.datetime:
    """Stockholm wall time without the zone; safe for working-time arithmetic because clocks
    change on Sunday nights, never inside a working period."""
    return local.replace(tzinfo=None)


def _attach(wall: dt.datetime) -> dt.datetime:
    # The round trip through UTC moves a wall time that does not exist (possible only if a
    # period were put inside a clock change) to a real instant.
    return wall.replace(tzinfo=STOCKHOLM).astimezone(dt.UTC).astimezone(STOCKHOLM)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return _attach(dt.datetime.combine(day, time))


def _add_working_time(
    start: dt.datetime, amount: dt.timedelta, day_start: dt.time, day_end: dt.time
) -> dt.datetime:
    """The wall time at which `amount` of working time (day_start–day_end on working days) has
    passed since `start`. Ending exactly at day_end stays on that day."""
    day = start.date()
    if is_working_day(day) and start.time() < day_end:
        cursor = max(start, dt.datetime.combine(day, day_start))
    else:
        cursor = dt.datetime.combine(next_working_day(day), day_start)
    while True:
        period_end = dt.datetime.combine(cursor.date(), day_end)
        if amount <= period_end - cursor:
            return cursor + amount
        amount -= period_end - cursor
        cursor = dt.datetime.combine(next_working_day(cursor.date()), day_start)


def _working_time_between(
    start: dt.datetime, end: dt.datetime, day_start: dt.time, day_end: dt.time
) -> dt.timedelta:
    total = dt.timedelta()
    day = working_day_on_or_after(start.date())
    while day <= end.date():
        begin = max(start, dt.datetime.combine(day, day_start))
        finish = min(end, dt.datetime.combine(day, day_end))
        if finish > begin:
            total += finish - begin
        day = next_working_day(day)
    return total
