"""Response rules: parsing, deadlines, crisis mode, reminders."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import insyn
from insyn.lib.calendar import is_working_day, next_working_day
from insyn.lib.deadlines import (
    DEFAULT_CRISIS_RULE,
    DEFAULT_RULE_NAME,
    DEFAULT_RULES,
    ResponseRule,
    deadline,
    parse_received,
    reminder_at,
    rules_from_policy,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NEXT_DAY = DEFAULT_RULES["next_working_day_end"]
SAME_DAY = DEFAULT_RULES["same_working_day"]
FOUR_HOURS = DEFAULT_RULES["four_working_hours"]


def at(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    assert value.tzinfo is not None, "examples carry their offset"
    return value


def due(received: str, rule: ResponseRule, **kwargs) -> str:
    result = deadline(at(received), rule, **kwargs)
    assert result.tzinfo is STOCKHOLM
    return result.isoformat()


def rule(kind: str, **keys) -> ResponseRule:
    return ResponseRule.from_dict("test", {"kind": kind, **keys})


# --- next_working_day_end -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-06-13T12:00:00+02:00", "2026-06-15T17:00:00+02:00"),  # Saturday → Monday
        ("2026-06-14T23:59:59+02:00", "2026-06-15T17:00:00+02:00"),  # late Sunday → Monday
        ("2026-06-15T00:01:00+02:00", "2026-06-16T17:00:00+02:00"),  # Monday 00:01 → Tuesday
        ("2026-06-15T16:59:00+02:00", "2026-06-16T17:00:00+02:00"),
        ("2026-06-15T23:59:00+02:00", "2026-06-16T17:00:00+02:00"),
        ("2026-06-18T10:00:00+02:00", "2026-06-22T17:00:00+02:00"),  # before midsommarafton
        ("2026-06-19T10:00:00+02:00", "2026-06-22T17:00:00+02:00"),  # midsommarafton
        ("2026-06-20T10:00:00+02:00", "2026-06-22T17:00:00+02:00"),  # midsommardagen
        ("2026-12-23T10:00:00+01:00", "2026-12-28T17:00:00+01:00"),  # before julafton
        ("2026-12-30T10:00:00+01:00", "2027-01-04T17:00:00+01:00"),  # year end
        ("2026-12-31T15:00:00+01:00", "2027-01-04T17:00:00+01:00"),
        ("2027-01-05T10:00:00+01:00", "2027-01-07T17:00:00+01:00"),  # trettondedag jul
        ("2026-04-02T10:00:00+02:00", "2026-04-07T17:00:00+02:00"),  # skärtorsdag over påsk
        ("2026-04-04T10:00:00+02:00", "2026-04-07T17:00:00+02:00"),  # påskafton
        ("2026-05-13T10:00:00+02:00", "2026-05-15T17:00:00+02:00"),  # Kristi himmelsfärd
        ("2026-04-30T10:00:00+02:00", "2026-05-04T17:00:00+02:00"),  # första maj
        ("2026-01-05T10:00:00+01:00", "2026-01-07T17:00:00+01:00"),  # trettondedag jul 2026
        ("2026-10-30T10:00:00+01:00", "2026-11-02T17:00:00+01:00"),  # alla helgons dag (Sat)
        ("2028-02-28T10:00:00+01:00", "2028-02-29T17:00:00+01:00"),  # leap day
        ("2028-02-29T10:00:00+01:00", "2028-03-01T17:00:00+01:00"),
        # Clocks go forward on Sunday 29 March 2026: Friday +01:00, Monday +02:00.
        ("2026-03-27T12:00:00+01:00", "2026-03-30T17:00:00+02:00"),
        ("2026-03-29T03:30:00+02:00", "2026-03-30T17:00:00+02:00"),
        # Clocks go back on Sunday 25 October 2026.
        ("2026-10-23T12:00:00+02:00", "2026-10-26T17:00:00+01:00"),
        ("2026-10-25T02:30:00+01:00", "2026-10-26T17:00:00+01:00"),
    ],
)
def test_next_working_day_end(received, expected):
    assert due(received, NEXT_DAY) == expected


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # 22:30 UTC on Sunday 21 June is 00:30 on Monday 22 June in Stockholm.
        ("2026-06-21T22:30:00+00:00", "2026-06-23T17:00:00+02:00"),
        ("2026-06-21T21:59:00+00:00", "2026-06-22T17:00:00+02:00"),
        # Friday evening in New York is Saturday in Stockholm.
        ("2026-06-12T19:00:00-04:00", "2026-06-15T17:00:00+02:00"),
        ("2026-06-15T03:00:00+05:30", "2026-06-15T17:00:00+02:00"),  # still Sunday here
        ("2026-12-31T23:30:00+00:00", "2027-01-04T17:00:00+01:00"),  # 1 January locally
    ],
)
def test_received_time_is_converted_to_stockholm_first(received, expected):
    assert due(received, NEXT_DAY) == expected


def test_zulu_suffix_is_accepted():
    received = parse_received("2026-06-21T22:30Z")
    assert received == at("2026-06-21T22:30:00+00:00")
    assert deadline(received, NEXT_DAY).isoformat() == "2026-06-23T17:00:00+02:00"


def test_other_end_times():
    assert due("2026-06-15T09:00:00+02:00", rule("next_working_day_end", time="12:00")) == (
        "2026-06-16T12:00:00+02:00"
    )
    # TOML local times arrive as datetime.time.
    table = tomllib.loads('kind = "next_working_day_end"\ntime = 16:30:00')
    assert due("2026-06-15T09:00:00+02:00", ResponseRule.from_dict("x", table)) == (
        "2026-06-16T16:30:00+02:00"
    )


# --- same_working_day -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-06-15T06:00:00+02:00", "2026-06-15T17:00:00+02:00"),  # early on a working day
        ("2026-06-15T14:59:59+02:00", "2026-06-15T17:00:00+02:00"),  # before the cutoff
        ("2026-06-15T15:00:00+02:00", "2026-06-16T17:00:00+02:00"),  # at the cutoff: next day
        ("2026-06-15T20:00:00+02:00", "2026-06-16T17:00:00+02:00"),
        ("2026-06-13T10:00:00+02:00", "2026-06-15T17:00:00+02:00"),  # Saturday
        ("2026-06-19T10:00:00+02:00", "2026-06-22T17:00:00+02:00"),  # midsommarafton
        ("2026-06-18T16:00:00+02:00", "2026-06-22T17:00:00+02:00"),  # after cutoff before it
        ("2026-12-24T09:00:00+01:00", "2026-12-28T17:00:00+01:00"),  # julafton
        ("2026-03-30T09:00:00+02:00", "2026-03-30T17:00:00+02:00"),  # first day of summer time
    ],
)
def test_same_working_day(received, expected):
    assert due(received, SAME_DAY) == expected


def test_same_working_day_without_cutoff_takes_everything_before_the_time():
    no_cutoff = rule("same_working_day", time="17:00")
    assert no_cutoff.cutoff == dt.time(17)
    assert due("2026-06-15T16:59:00+02:00", no_cutoff) == "2026-06-15T17:00:00+02:00"
    assert due("2026-06-15T17:00:00+02:00", no_cutoff) == "2026-06-16T17:00:00+02:00"


# --- working_hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-06-15T08:00:00+02:00", "2026-06-15T12:00:00+02:00"),
        ("2026-06-15T06:00:00+02:00", "2026-06-15T12:00:00+02:00"),  # before the day starts
        ("2026-06-15T13:00:00+02:00", "2026-06-15T17:00:00+02:00"),  # ends exactly at day end
        ("2026-06-15T16:00:00+02:00", "2026-06-16T11:00:00+02:00"),  # 1 h today, 3 tomorrow
        ("2026-06-15T17:00:00+02:00", "2026-06-16T12:00:00+02:00"),  # after the day ends
        ("2026-06-15T10:15:30+02:00", "2026-06-15T14:15:30+02:00"),  # seconds are kept
        ("2026-06-13T10:00:00+02:00", "2026-06-15T12:00:00+02:00"),  # Saturday
        ("2026-06-18T15:00:00+02:00", "2026-06-22T10:00:00+02:00"),  # over midsommar
        ("2026-12-23T14:00:00+01:00", "2026-12-28T09:00:00+01:00"),  # over Christmas
        ("2026-12-30T16:00:00+01:00", "2027-01-04T11:00:00+01:00"),  # over the year end
        ("2026-03-27T15:00:00+01:00", "2026-03-30T10:00:00+02:00"),  # over spring clock change
        ("2026-10-23T16:30:00+02:00", "2026-10-26T11:30:00+01:00"),  # over autumn clock change
        ("2028-02-28T15:00:00+01:00", "2028-02-29T10:00:00+01:00"),  # into the leap day
    ],
)
def test_four_working_hours(received, expected):
    assert due(received, FOUR_HOURS) == expected


def test_working_hours_longer_than_a_day_and_shorter_than_an_hour():
    assert due("2026-06-15T08:00:00+02:00", rule("working_hours", hours=20)) == (
        "2026-06-17T10:00:00+02:00"  # 9 h Monday, 9 h Tuesday, 2 h Wednesday
    )
    assert due("2026-06-15T16:45:00+02:00", rule("working_hours", hours=0.5)) == (
        "2026-06-16T08:15:00+02:00"
    )


def test_working_hours_with_own_day():
    short_day = rule("working_hours", hours=2, day_start="09:30", day_end="15:00")
    assert due("2026-06-15T08:00:00+02:00", short_day) == "2026-06-15T11:30:00+02:00"
    assert due("2026-06-15T14:00:00+02:00", short_day) == "2026-06-16T10:30:00+02:00"


# --- calendar_hours and crisis mode ---------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "hours", "expected"),
    [
        ("2026-06-13T10:00:00+02:00", 2, "2026-06-13T12:00:00+02:00"),  # weekends count
        ("2026-06-19T23:00:00+02:00", 2, "2026-06-20T01:00:00+02:00"),  # so do holidays
        ("2026-06-15T10:00:00+00:00", 1.5, "2026-06-15T13:30:00+02:00"),
        # Elapsed time over the clock changes: 01:30 + 2 h is 04:30 in spring ...
        ("2026-03-29T01:30:00+01:00", 2, "2026-03-29T04:30:00+02:00"),
        # ... and 02:30 the second time round in autumn.
        ("2026-10-25T01:30:00+02:00", 2, "2026-10-25T02:30:00+01:00"),
        ("2026-10-25T02:30:00+02:00", 1, "2026-10-25T02:30:00+01:00"),
        ("2026-03-28T12:00:00+01:00", 24, "2026-03-29T13:00:00+02:00"),  # a day has 23 h
    ],
)
def test_calendar_hours(received, hours, expected):
    assert due(received, rule("calendar_hours", hours=hours)) == expected


def test_default_crisis_rule_is_two_calendar_hours():
    assert DEFAULT_CRISIS_RULE.kind == "calendar_hours"
    assert DEFAULT_CRISIS_RULE.hours == 2


@pytest.mark.parametrize(
    ("received", "normal_rule", "expected"),
    [
        ("2026-06-13T10:00:00+02:00", NEXT_DAY, "2026-06-13T12:00:00+02:00"),  # crisis wins
        ("2026-06-19T10:00:00+02:00", FOUR_HOURS, "2026-06-19T12:00:00+02:00"),
        ("2026-06-15T16:00:00+02:00", SAME_DAY, "2026-06-15T18:00:00+02:00"),
        ("2026-06-15T14:30:00+02:00", SAME_DAY, "2026-06-15T16:30:00+02:00"),
        ("2026-06-15T08:00:00+02:00", rule("working_hours", hours=1), "2026-06-15T09:00:00+02:00"),
    ],
)
def test_crisis_mode_takes_the_earlier_deadline(received, normal_rule, expected):
    assert due(received, normal_rule, crisis=DEFAULT_CRISIS_RULE) == expected


def test_crisis_compares_instants_not_wall_times_when_the_clocks_go_back():
    # 01:45 (+02:00) on 25 October: 1.5 h later is 02:15 (+01:00), 1 h later is 02:45 (+02:00),
    # which is earlier although its wall time is later.
    slow = rule("calendar_hours", hours=1.5)
    fast = rule("calendar_hours", hours=1)
    assert due("2026-10-25T01:45:00+02:00", slow, crisis=fast) == "2026-10-25T02:45:00+02:00"
    assert due("2026-10-25T01:45:00+02:00", fast, crisis=slow) == "2026-10-25T02:45:00+02:00"


def test_crisis_never_loosens_a_rule():
    slow_crisis = rule("calendar_hours", hours=48)
    assert due("2026-06-15T08:00:00+02:00", FOUR_HOURS, crisis=slow_crisis) == (
        "2026-06-15T12:00:00+02:00"
    )


# --- input checks ---------------------------------------------------------------------------


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="naive datetime 2026-06-15T10:00:00: give a timezone"):
        deadline(dt.datetime(2026, 6, 15, 10, 0), NEXT_DAY)  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        reminder_at(dt.datetime(2026, 6, 15, 10), at("2026-06-16T17:00:00+02:00"), NEXT_DAY)  # noqa: DTZ001


def test_a_date_is_not_a_datetime():
    with pytest.raises(TypeError, match="expected a datetime"):
        deadline(dt.date(2026, 6, 15), NEXT_DAY)


def test_parse_received():
    assert parse_received("2026-06-15T10:00:00+02:00") == at("2026-06-15T08:00:00+00:00")
    assert parse_received(" 2026-06-15T08:00:00Z ") == at("2026-06-15T08:00:00+00:00")
    with pytest.raises(ValueError, match="has no UTC offset: add 'Z'"):
        parse_received("2026-06-15T10:00:00")
    with pytest.raises(ValueError, match="not an ISO 8601 date and time: 'yesterday'"):
        parse_received("yesterday")


def test_parse_received_can_read_naive_input_as_stockholm_time():
    assert parse_received("2026-06-15T10:00", naive_as_local=True).isoformat() == (
        "2026-06-15T10:00:00+02:00"
    )
    assert parse_received("2026-01-15T10:00", naive_as_local=True).isoformat() == (
        "2026-01-15T10:00:00+01:00"
    )
    with pytest.raises(ValueError, match="does not exist in Europe/Stockholm"):
        parse_received("2026-03-29T02:30", naive_as_local=True)
    with pytest.raises(ValueError, match="happens twice in Europe/Stockholm"):
        parse_received("2026-10-25T02:30", naive_as_local=True)
    # Just outside the changes, and with an offset, the same wall times are fine.
    assert parse_received("2026-03-29T03:00", naive_as_local=True).utcoffset() == dt.timedelta(
        hours=2
    )
    assert parse_received("2026-10-25T03:00", naive_as_local=True).utcoffset() == dt.timedelta(
        hours=1
    )
    assert parse_received("2026-10-25T02:30+01:00", naive_as_local=True) == at(
        "2026-10-25T01:30:00+00:00"
    )


# --- rules from the policy file -------------------------------------------------------------

POLICY = """
[response_rules.next_working_day_end]
kind = "next_working_day_end"
time = "17:00"
description = "Vi svarar senast kl. 17 nästa arbetsdag."

[response_rules.same_working_day]
kind = "same_working_day"
time = "17:00"
cutoff = "15:00"

[response_rules.four_working_hours]
kind = "working_hours"
hours = 4
day_start = "08:00"
day_end = "17:00"

[response_rules.crisis]
kind = "calendar_hours"
hours = 2
"""


def test_rules_from_policy_toml():
    rules = rules_from_policy(tomllib.loads(POLICY)["response_rules"])
    assert rules["next_working_day_end"] == ResponseRule(
        "next_working_day_end", "next_working_day_end", time=dt.time(17)
    )
    assert rules["next_working_day_end"].description == "Vi svarar senast kl. 17 nästa arbetsdag."
    assert rules["same_working_day"] == ResponseRule(
        "same_working_day", "same_working_day", time=dt.time(17), cutoff=dt.time(15)
    )
    assert rules["four_working_hours"] == ResponseRule(
        "four_working_hours",
        "working_hours",
        hours=4,
        day_start=dt.time(8),
        day_end=dt.time(17),
    )
    assert rules["crisis"] == ResponseRule("crisis", "calendar_hours", hours=2)
    assert rules["crisis"].description == ""


def assert_default_policy(policy: dict) -> None:
    assert rules_from_policy(policy["response_rules"]) == DEFAULT_RULES
    assert policy["response"]["default_rule"] == DEFAULT_RULE_NAME
    assert DEFAULT_RULES[policy["response"]["crisis_rule"]] is DEFAULT_CRISIS_RULE


def test_default_rules_mirror_the_shipped_policy():
    shipped = Path(insyn.__file__).parent / "policy" / "ange.toml"
    assert_default_policy(tomllib.loads(shipped.read_text(encoding="utf-8")))


def test_the_policy_example_in_the_docs_is_the_shipped_policy():
    docs = (Path(__file__).parents[2] / "docs" / "deadlines.md").read_text(encoding="utf-8")
    assert_default_policy(tomllib.loads(re.search(r"```toml\n(.*?)```", docs, re.S).group(1)))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"kind": "tomorrow"}, "kind must be one of next_working_day_end, same_working_day"),
        ({}, "kind must be one of"),
        ({"kind": ["working_hours"]}, "kind must be one of"),
        ({"kind": "working_hours"}, "hours is required for kind 'working_hours'"),
        ({"kind": "calendar_hours", "hours": 0}, "hours must be a positive number, got 0"),
        ({"kind": "calendar_hours", "hours": -1}, "hours must be a positive number"),
        ({"kind": "calendar_hours", "hours": True}, "hours must be a positive number"),
        ({"kind": "calendar_hours", "hours": "2"}, "hours must be a positive number"),
        ({"kind": "calendar_hours", "hours": 745}, "hours must be at most 744"),
        ({"kind": "calendar_hours", "hours": 2, "description": 2}, "description must be a"),
        ({"kind": "next_working_day_end", "time": "5pm"}, 'time must be a time like "17:00"'),
        ({"kind": "next_working_day_end", "time": 17}, 'time must be a time like "17:00"'),
        ({"kind": "next_working_day_end", "time": "25:00"}, "time must be a time like"),
        ({"kind": "next_working_day_end", "time": "17:00+02:00"}, "without offset"),
        ({"kind": "next_working_day_end", "hours": 4}, r"unknown key\(s\) hours for kind"),
        ({"kind": "same_working_day", "cut_off": "15:00"}, r"unknown key\(s\) cut_off"),
        ({"kind": "same_working_day", "time": "15:00", "cutoff": "16:00"}, "cutoff must not"),
        (
            {"kind": "working_hours", "hours": 4, "day_start": "17:00", "day_end": "08:00"},
            "day_start must be before day_end",
        ),
    ],
)
def test_bad_rules_are_refused_with_the_rule_and_key_named(table, message):
    with pytest.raises(ValueError, match=message) as raised:
        ResponseRule.from_dict("svar", table)
    assert "response rule 'svar'" in str(raised.value)


def test_a_rule_that_is_not_a_table_is_refused():
    with pytest.raises(ValueError, match="response rule 'x': must be a table"):
        rules_from_policy({"x": "next_working_day_end"})


# --- reminders ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "rule_", "expected"),
    [
        # Due Monday 17:00: reminded 2 working hours before, whenever the item came in.
        ("2026-06-13T12:00:00+02:00", NEXT_DAY, "2026-06-15T15:00:00+02:00"),
        ("2026-06-15T00:01:00+02:00", NEXT_DAY, "2026-06-16T15:00:00+02:00"),
        ("2026-06-18T16:00:00+02:00", NEXT_DAY, "2026-06-22T15:00:00+02:00"),
        # Little time left: at 75 % of it. 14:00 → 17:00 is 3 h, so 16:15.
        ("2026-06-15T14:00:00+02:00", SAME_DAY, "2026-06-15T16:15:00+02:00"),
        # Four working hours from 08:00: due 12:00, reminded at 11:00.
        ("2026-06-15T08:00:00+02:00", FOUR_HOURS, "2026-06-15T11:00:00+02:00"),
        # Over the weekend the 75 % mark is counted in working time: Monday 10:00.
        ("2026-06-12T16:00:00+02:00", FOUR_HOURS, "2026-06-15T10:00:00+02:00"),
        # Over the spring clock change.
        ("2026-03-27T16:00:00+01:00", FOUR_HOURS, "2026-03-30T10:00:00+02:00"),
    ],
)
def test_reminder_at(received, rule_, expected):
    received_at = at(received)
    due_at = deadline(received_at, rule_)
    assert reminder_at(received_at, due_at, rule_).isoformat() == expected


def test_reminder_for_calendar_time():
    received = at("2026-06-13T10:00:00+02:00")  # Saturday: no working time before a crisis due
    crisis_due = deadline(received, NEXT_DAY, crisis=DEFAULT_CRISIS_RULE)
    assert reminder_at(received, crisis_due, NEXT_DAY).isoformat() == "2026-06-13T11:30:00+02:00"
    day = rule("calendar_hours", hours=24)
    assert reminder_at(received, deadline(received, day), day).isoformat() == (
        "2026-06-14T08:00:00+02:00"
    )


def test_reminder_in_the_hour_that_happens_twice():
    # 02:50 (+02:00) comes 20 minutes before 02:10 (+01:00).
    received = at("2026-10-25T02:50:00+02:00").astimezone(STOCKHOLM)
    due_at = at("2026-10-25T02:10:00+01:00").astimezone(STOCKHOLM)
    hour = rule("calendar_hours", hours=1)
    assert reminder_at(received, due_at, hour).isoformat() == "2026-10-25T02:05:00+01:00"


def test_reminder_needs_a_due_time_after_received():
    with pytest.raises(ValueError, match="must be after received"):
        reminder_at(at("2026-06-15T10:00:00+02:00"), at("2026-06-15T10:00:00+02:00"), NEXT_DAY)


# --- properties -----------------------------------------------------------------------------

times = st.times()


@st.composite
def response_rules(draw) -> ResponseRule:
    kind = draw(
        st.sampled_from(
            [
                "next_working_day_end",
                "same_working_day",
                "working_hours",
                "calendar_hours",
                "default",
            ]
        )
    )
    if kind == "default":
        return draw(st.sampled_from(list(DEFAULT_RULES.values())))
    if kind == "next_working_day_end":
        return rule(kind, time=draw(times))
    if kind == "same_working_day":
        time = draw(times)
        return rule(kind, time=time, cutoff=draw(st.times(max_value=time)))
    if kind == "working_hours":
        start = draw(st.times(max_value=dt.time(22)))
        start_minutes = start.hour * 60 + start.minute
        end_minutes = draw(st.integers(start_minutes + 60, 24 * 60 - 1))
        end = dt.time(end_minutes // 60, end_minutes % 60)
        hours = draw(st.integers(1, 60) | st.floats(0.01, 60))
        return rule(kind, hours=hours, day_start=start, day_end=end)
    return rule(kind, hours=draw(st.integers(1, 72) | st.floats(0.01, 72)))


zones = st.sampled_from(
    [
        dt.UTC,
        STOCKHOLM,
        dt.timezone(dt.timedelta(hours=5, minutes=30)),
        ZoneInfo("America/New_York"),
    ]
)
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2099, 12, 31),  # noqa: DTZ001
    timezones=zones,
    allow_imaginary=False,
)


def utc(value: dt.datetime) -> dt.datetime:
    # Python compares and subtracts datetimes in the same zone by wall time; instants need UTC.
    return value.astimezone(dt.UTC)


@given(instants, response_rules())
def test_due_is_after_received_and_on_the_rules_terms(received, rule_):
    due_at = deadline(received, rule_)
    assert utc(due_at) > utc(received)
    assert due_at.tzinfo is STOCKHOLM
    local = received.astimezone(STOCKHOLM)
    if rule_.kind != "calendar_hours":
        assert is_working_day(due_at.date())
    if rule_.kind == "next_working_day_end":
        assert due_at.time() == rule_.time
        assert due_at.date() == next_working_day(local.date())
    if rule_.kind == "same_working_day":
        assert due_at.time() == rule_.time
        same_day = is_working_day(local.date()) and local.time() < rule_.cutoff
        assert due_at.date() == (local.date() if same_day else next_working_day(local.date()))
    if rule_.kind == "working_hours":
        assert rule_.day_start <= due_at.time() <= rule_.day_end
        assert working_time(local, due_at, rule_) == dt.timedelta(hours=rule_.hours)
    if rule_.kind == "calendar_hours":
        assert utc(due_at) - utc(received) == dt.timedelta(hours=rule_.hours)


def working_time(start: dt.datetime, end: dt.datetime, rule_: ResponseRule) -> dt.timedelta:
    """Working time between two Stockholm times, counted day by day."""
    total = dt.timedelta()
    day = start.date()
    while day <= end.date():
        if is_working_day(day):
            begin = max(start.replace(tzinfo=None), dt.datetime.combine(day, rule_.day_start))
            finish = min(end.replace(tzinfo=None), dt.datetime.combine(day, rule_.day_end))
            total += max(finish - begin, dt.timedelta())
        day += dt.timedelta(days=1)
    return total


@given(instants, instants, response_rules())
def test_due_never_decreases_as_received_increases(first, second, rule_):
    first, second = sorted([first, second], key=utc)
    assert utc(deadline(first, rule_)) <= utc(deadline(second, rule_))


@given(instants, response_rules(), response_rules())
def test_crisis_takes_the_earlier_of_the_two(received, rule_, crisis):
    tightened = deadline(received, rule_, crisis=crisis)
    normal, crisis_only = deadline(received, rule_), deadline(received, crisis)
    assert utc(tightened) == min(utc(normal), utc(crisis_only))
    assert utc(received) < utc(tightened) <= utc(normal)


@given(instants, response_rules(), st.booleans())
def test_reminder_lies_between_received_and_due(received, rule_, crisis):
    due_at = deadline(received, rule_, crisis=DEFAULT_CRISIS_RULE if crisis else None)
    reminder = reminder_at(received, due_at, rule_)
    assert utc(received) <= utc(reminder) < utc(due_at)
    if rule_.kind == "calendar_hours":
        assert utc(due_at) - utc(reminder) <= dt.timedelta(hours=2)
    if utc(due_at) - utc(received) >= dt.timedelta(seconds=1):
        assert utc(reminder) > utc(received)


@given(instants)
def test_naive_copies_of_valid_instants_are_always_rejected(received):
    with pytest.raises(ValueError, match="naive"):
        deadline(received.replace(tzinfo=None), NEXT_DAY)
