"""The Swedish working-day calendar (R20), Django-free.

A working day is Monday–Friday except

- the allmänna helgdagar of lag (1989:253): nyårsdagen, trettondedag jul, långfredagen,
  påskdagen, annandag påsk, första maj, Kristi himmelsfärdsdag, pingstdagen, nationaldagen,
  midsommardagen, alla helgons dag, juldagen, annandag jul — taken from the `holidays`
  package (Sweden, PUBLIC category, Sundays not added);
- the de facto days off midsommarafton, julafton and nyårsafton (semesterlagen 1977:480 7 §
  treats them as Sundays). These are computed here rather than taken from `holidays`, whose
  Sweden calendar has moved them between categories across versions.

The calendar covers 1953 to the last year `holidays` knows (2100 in 0.109); other years raise
ValueError rather than pretend they have no holidays. Dates are calendar dates in
Europe/Stockholm; converting an instant to its local date is the caller's business (see
`STOCKHOLM`). Each year's table is built once and cached, so the functions here are set
lookups and short loops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Lag (1952:48) set the modern set of holidays (midsommar and alla helgons dag on Saturdays)
# from 1953; `holidays` has no Swedish calendar before that.
FIRST_YEAR = 1953

_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _Year:
    days_off: dict[dt.date, str]
    # working_before[i] = number of working days among the first i days of the year.
    working_before: tuple[int, ...]


@lru_cache(maxsize=512)
def _year(year: int) -> _Year:
    if year < FIRST_YEAR:
        raise ValueError(f"no Swedish working-day calendar for {year}: it starts in {FIRST_YEAR}")
    import holidays  # ~65 ms to import: only when a calendar is first needed

    public = holidays.country_holidays("SE", years=year, language="sv", include_sundays=False)
    if dt.date(year, 1, 1) not in public:
        # The package stops at some year (2100 in 0.109) and then returns nothing at all.
        raise ValueError(
            f"no Swedish working-day calendar for {year}: "
            f"holidays {holidays.__version__} has no Swedish holidays that year"
        )
    days_off: dict[dt.date, str] = dict(public.items())
    # Midsommardagen is the Saturday in 20–26 June, so its eve is the Friday in 19–25 June.
    midsummer_eve = dt.date(year, 6, 19)
    midsummer_eve += dt.timedelta(days=(4 - midsummer_eve.weekday()) % 7)
    days_off[midsummer_eve] = "Midsommarafton"
    days_off[dt.date(year, 12, 24)] = "Julafton"
    days_off[dt.date(year, 12, 31)] = "Nyårsafton"

    counts = [0]
    first = dt.date(year, 1, 1)
    for offset in range((dt.date(year, 12, 31) - first).days + 1):
        day = first + dt.timedelta(days=offset)
        counts.append(counts[-1] + (day.weekday() < 5 and day not in days_off))
    return _Year(days_off=dict(sorted(days_off.items())), working_before=tuple(counts))


def days_off(year: int) -> dict[dt.date, str]:
    """The allmänna helgdagar and de facto days off of `year` by date, with their Swedish
    names. Days that fall on a weekend are listed too; Sundays as such are not."""
    return dict(_year(year).days_off)


def is_working_day(day: dt.date) -> bool:
    """True for Monday–Friday unless the day is a Swedish public holiday or a de facto day off."""
    return day.weekday() < 5 and day not in _year(day.year).days_off


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after `day`."""
    day += _ONE_DAY
    while not is_working_day(day):
        day += _ONE_DAY
    return day


def working_day_on_or_after(day: dt.date) -> dt.date:
    """`day` itself if it is a working day, else the next one."""
    return day if is_working_day(day) else next_working_day(day)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """The number of working days d with start <= d < end (end excluded, like
    numpy.busday_count); negative when end comes before start.

    Monday to Tuesday is 1; Friday before midsommar to the Monday after is 0 in 2026, since
    midsommarafton is the Friday itself.
    """
    if end < start:
        return -working_days_between(end, start)
    first, last = _year(start.year), _year(end.year)
    start_index, end_index = start.timetuple().tm_yday - 1, end.timetuple().tm_yday - 1
    if start.year == end.year:
        return first.working_before[end_index] - first.working_before[start_index]
    total = first.working_before[-1] - first.working_before[start_index]
    for year in range(start.year + 1, end.year):
        total += _year(year).working_before[-1]
    return total + last.working_before[end_index]
