"""A request's age in working days and hours (skyndsamt, TF 2 kap. 15 §)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from insyn.records.utlamnande.age import request_age

STHLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(("received", "now", "days", "hours", "level"), [
    (datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), datetime(2026, 3, 2, 9, 30, tzinfo=STHLM), 0, 0, "ny"),
    (datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), datetime(2026, 3, 3, 10, 0, tzinfo=STHLM), 1, 25, "bevaka"),
    (datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), datetime(2026, 3, 5, 9, 0, tzinfo=STHLM), 3, 72, "brådskande"),
    # Friday 16:00 to Monday 08:00: one working day (the Friday), 64 hours.
    (datetime(2026, 3, 6, 16, 0, tzinfo=STHLM), datetime(2026, 3, 9, 8, 0, tzinfo=STHLM), 1, 64, "bevaka"),
    # Thursday before midsommar to the Monday after: midsommarafton is no working day.
    (datetime(2026, 6, 18, 10, 0, tzinfo=STHLM), datetime(2026, 6, 22, 10, 0, tzinfo=STHLM), 1, 96, "bevaka"),
    # Over Christmas and New Year 2026/27: 23 Dec (Wed) counts; 24–27 Dec, 31 Dec, 1 Jan and the weekend do not.
    (datetime(2026, 12, 23, 12, 0, tzinfo=STHLM), datetime(2027, 1, 4, 12, 0, tzinfo=STHLM), 4, 288, "brådskande"),
])
def test_age_in_working_days_and_hours(received, now, days, hours, level):
    age = request_age(received, now)
    assert (age.working_days, age.hours, age.level) == (days, hours, level)


def test_age_label_is_swedish():
    age = request_age(datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), datetime(2026, 3, 3, 10, 0, tzinfo=STHLM))
    assert age.label == "1 arbetsdag (25 tim)" and age.level_label == "Bevaka"
