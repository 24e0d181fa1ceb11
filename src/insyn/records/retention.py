"""Record classes (handlingsslag) and their retention, from the policy's ``[retention.CLASS]``.

Each class is bevaras (kept) or gallras after an ISO 8601 period, with the reference of the
decision behind it. Which archive items belong to a class is code, in this order (the first
that matches wins):

=====================  =======================================================================
``registrerade``       items with a diarium registration
``borttaget_olagligt`` incoming items Insyn removed from the medium (``removed_by_us``)
``egna_inlagg``        the authority's own posts (upprättade)
``direktmeddelanden``  direct messages to the authority
``kommentarer``        public comments and replies
``ogonblicksbilder``   snapshots (not archive items; the snapshot feature applies it)
=====================  =======================================================================

A class the policy does not list is never gallrad. A period runs from an item's *reference
time*: the latest of when it came in, its newest version and its newest state change, so an
edit or a removal restarts the clock (the conservative reading).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from insyn.archive.models import Item, ItemStateChange, ItemVersion
from insyn.lib.policy import Policy

_PERIOD = re.compile(r"^P(?=\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


class RetentionError(ValueError):
    """The policy's retention tables cannot be used; the message names the key."""


@dataclass(frozen=True)
class Period:
    """An ISO 8601 duration in calendar units (years, months, weeks, days)."""

    years: int = 0
    months: int = 0
    days: int = 0
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match((text or "").strip().upper())
        if not match:
            raise ValueError(f"{text!r} är ingen ISO 8601-period i år, månader, veckor och dagar (t.ex. P2Y, P6M, P90D)")
        y, m, w, d = (int(g) if g else 0 for g in match.groups())
        return cls(years=y, months=m, days=w * 7 + d, text=match.group(0))

    @property
    def iso(self) -> str:
        return self.text or f"P{self.years}Y{self.months}M{self.days}D"

    @property
    def human(self) -> str:
        """The period in words for the pages ("2 år", "1 år 6 månader"); the ISO form is for files."""
        from django.utils.translation import ngettext

        parts = []
        if self.years:
            parts.append(ngettext("%(n)d år", "%(n)d år", self.years) % {"n": self.years})
        if self.months:
            parts.append(ngettext("%(n)d månad", "%(n)d månader", self.months) % {"n": self.months})
        if self.days:
            parts.append(ngettext("%(n)d dag", "%(n)d dagar", self.days) % {"n": self.days})
        return " ".join(parts) or self.iso

    def before(self, when: datetime) -> datetime:
        """``when`` minus this period (a day that does not exist in the month is clamped)."""
        month_index = when.year * 12 + (when.month - 1) - (self.years * 12 + self.months)
        year, month = divmod(month_index, 12)
        day = min(when.day, calendar.monthrange(year, month + 1)[1])
        return when.replace(year=year, month=month + 1, day=day) - timedelta(days=self.days)

    def cutoff(self, now: datetime) -> datetime:
        return self.before(now)


@dataclass(frozen=True)
class RetentionClass:
    key: str
    label: str
    action: str               # "bevaras" or "gallras"
    period: Period | None     # set when gallras
    decision: str             # the policy's reference to the decision behind the rule

    @property
    def gallras(self) -> bool:
        return self.action == "gallras"

    @property
    def mapped(self) -> bool:
        """Insyn knows which archive items belong to this class."""
        return self.key in ITEM_CLASSES


ITEM_CLASSES = ("registrerade", "borttaget_olagligt", "egna_inlagg", "direktmeddelanden", "kommentarer")


def retention_classes(policy: Policy | None = None) -> dict[str, RetentionClass]:
    if policy is None:
        from insyn.registry.policy import current_policy

        policy = current_policy()
    out: dict[str, RetentionClass] = {}
    for key, table in policy.retention.items():
        period = None
        if table.get("action") == "gallras":
            try:
                period = Period.parse(str(table.get("period", "")))
            except ValueError as exc:
                raise RetentionError(f"retention.{key}.period: {exc}") from exc
        out[key] = RetentionClass(key=key, label=table.get("label", key), action=table.get("action", "bevaras"),
                                  period=period, decision=table.get("decision", ""))
    return out


def _registered() -> Exists:
    from .models import Registration

    return Exists(Registration.objects.filter(item=OuterRef("pk")))


def items_of_class(key: str, queryset: QuerySet[Item] | None = None) -> QuerySet[Item]:
    """The archive items that belong to record class ``key`` (see the table above)."""
    items = Item.objects.all() if queryset is None else queryset
    if key == "registrerade":
        return items.filter(_registered())
    items = items.filter(~_registered())
    removed = Q(state=Item.State.REMOVED_BY_US, direction=Item.Direction.INKOMMEN)
    if key == "borttaget_olagligt":
        return items.filter(removed)
    items = items.exclude(removed)
    record_type = {"egna_inlagg": Item.RecordType.OWN_POST, "direktmeddelanden": Item.RecordType.DIRECT_MESSAGE,
                   "kommentarer": Item.RecordType.PUBLIC_COMMENT}.get(key)
    if record_type is None:
        return items.none()
    return items.filter(record_type=record_type)


def class_of(item: Item) -> str | None:
    """The record class of one item."""
    for key in ITEM_CLASSES:
        if items_of_class(key, Item.objects.filter(pk=item.pk)).exists():
            return key
    return None


def with_reference_time(items: QuerySet[Item]) -> QuerySet[Item]:
    """Annotate ``reference_time``: when the item last came in, changed or changed state."""
    last_version = ItemVersion.objects.filter(item=OuterRef("pk")).order_by("-captured_at").values("captured_at")[:1]
    last_state = ItemStateChange.objects.filter(item=OuterRef("pk")).order_by("-seen_at").values("seen_at")[:1]
    return items.annotate(reference_time=Greatest(
        "inkommen_at", Coalesce(Subquery(last_version), "inkommen_at"), Coalesce(Subquery(last_state), "inkommen_at"),
    ))
