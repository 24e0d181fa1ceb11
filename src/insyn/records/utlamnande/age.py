"""How old a request is, in working days and hours (TF 2 kap. 15 §: "skyndsamt").

JO's practice: a request is normally decided the same day or within a day or two; a few days
may be acceptable only when the documents must be reviewed at length. The levels below say
when a list should draw attention to a request; they are not deadlines in law.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.lib.calendar import STOCKHOLM, working_days_between


@dataclass(frozen=True)
class Age:
    working_days: int
    hours: int
    level: str   # "ny" | "bevaka" | "brådskande"

    @property
    def label(self) -> str:
        days = (_("%(n)s arbetsdag") if self.working_days == 1 else _("%(n)s arbetsdagar")) % {"n": self.working_days}
        return _("%(days)s (%(hours)s tim)") % {"days": days, "hours": self.hours}

    @property
    def level_label(self) -> str:
        return {"ny": _("Ny"), "bevaka": _("Bevaka"), "brådskande": _("Brådskande")}[self.level]


def request_age(received_at: datetime, now: datetime | None = None) -> Age:
    """Working days from the day it came in to today (the day itself not counted), and hours."""
    now = now or timezone.now()
    start, end = received_at.astimezone(STOCKHOLM).date(), now.astimezone(STOCKHOLM).date()
    days = max(0, working_days_between(start, end))
    hours = max(0, int((now - received_at).total_seconds() // 3600))
    level = "ny" if days == 0 else "bevaka" if days == 1 else "brådskande"
    return Age(days, hours, level)
