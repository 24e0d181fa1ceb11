"""The snapshot schedule (R25) and the closing snapshot (R14).

Each active account has a ``SnapshotSchedule`` row: the next snapshot is due ``interval``
months (the policy's ``[snapshots] interval_months``, default six) after the end of the last
saved one, or after the account's activation. When it falls due the worker's sweep claims
the row with a conditional update on ``reminded_for`` (the due time a reminder was sent for):
the winner orders a draft snapshot (generated in the background) and e-mails the account's
communicators and the samordnare once for that due time. Saving a snapshot moves the due time.
Closing an account orders its final snapshot.
"""

from __future__ import annotations

import calendar
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.eventlog import log
from insyn.inbox.notify import mail_on_commit, samordnare_emails
from insyn.registry.models import Account, Status
from insyn.registry.policy import current_policy

from .models import Snapshot, SnapshotSchedule

logger = logging.getLogger(__name__)

SCHEDULED_STATUSES = (Status.AKTIVT, Status.AVVECKLAS)
SWEEP_EVERY = 60.0
_last_sweep = 0.0


def add_months(when: datetime, months: int) -> datetime:
    """``when`` plus whole months (a day that does not exist in the month is clamped)."""
    index = when.year * 12 + (when.month - 1) + months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


def interval_months() -> int:
    return max(1, int(current_policy().snapshot_interval_months))


def next_due_for(account: Account) -> datetime:
    from .actions import default_period_start

    return add_months(default_period_start(account), interval_months())


def ensure_schedule(account: Account) -> SnapshotSchedule:
    schedule, _created = SnapshotSchedule.objects.get_or_create(
        account=account, defaults={"next_due_at": next_due_for(account)})
    return schedule


def ensure_schedules() -> int:
    """A schedule row for every account under capture that has none yet."""
    missing = Account.objects.filter(status__in=SCHEDULED_STATUSES, snapshot_schedule__isnull=True)
    made = 0
    for account in missing:
        ensure_schedule(account)
        made += 1
    return made


def reschedule_after(snapshot: Snapshot) -> SnapshotSchedule:
    """After a saved snapshot: the next is due ``interval`` months after its period's end."""
    due = add_months(snapshot.period_end, interval_months())
    schedule, created = SnapshotSchedule.objects.get_or_create(account_id=snapshot.account_id,
                                                               defaults={"next_due_at": due})
    if not created and schedule.next_due_at != due:
        schedule.next_due_at = due
        schedule.save(update_fields=["next_due_at"])
    log.append("snapshot.scheduled", obj=snapshot.account, data={"next_due_at": due.isoformat(), "after": snapshot.pk})
    return schedule


def status_rows(accounts, *, now: datetime | None = None) -> list[dict]:
    """Per account: next due time, whether overdue, the newest snapshot and any open draft."""
    now = now or timezone.now()
    rows = []
    accounts = list(accounts.select_related("snapshot_schedule", "authority"))
    latest: dict[int, Snapshot] = {}
    drafts: dict[int, Snapshot] = {}
    for s in Snapshot.objects.filter(account__in=[a.pk for a in accounts]).order_by("account_id", "-period_end", "-id"):
        if s.status == Snapshot.Status.SAVED:
            latest.setdefault(s.account_id, s)
        else:
            drafts.setdefault(s.account_id, s)
    for account in accounts:
        schedule = getattr(account, "snapshot_schedule", None)
        due = schedule.next_due_at if schedule else (next_due_for(account) if account.status in SCHEDULED_STATUSES else None)
        rows.append({"account": account, "due_at": due, "overdue": bool(due and due <= now and account.status in SCHEDULED_STATUSES),
                     "latest": latest.get(account.pk), "draft": drafts.get(account.pk)})
    return rows


def claim_due(now: datetime | None = None, limit: int = 20) -> list[SnapshotSchedule]:
    """Due schedules not yet reminded for their due time, each won by one worker."""
    now = now or timezone.now()
    due = (Q(next_due_at__lte=now, account__status__in=SCHEDULED_STATUSES)
           & (Q(reminded_for__isnull=True) | Q(reminded_for__lt=F("next_due_at"))))
    won = []
    for pk in SnapshotSchedule.objects.filter(due).order_by("next_due_at").values_list("pk", flat=True)[:limit]:
        if SnapshotSchedule.objects.filter(due, pk=pk).update(reminded_for=F("next_due_at"), reminded_at=now):
            won.append(SnapshotSchedule.objects.select_related("account__organisation", "account__responsible").get(pk=pk))
    return won


def sweep(now: datetime | None = None) -> int:
    """Order a draft and send one reminder for each snapshot that fell due. Returns how many."""
    from .actions import start_snapshot

    now = now or timezone.now()
    ensure_schedules()
    done = 0
    for schedule in claim_due(now):
        account = schedule.account
        try:
            with transaction.atomic():
                draft = account.snapshots.drafts().order_by("-id").first()
                if draft is None:
                    draft = start_snapshot("schema", account, trigger=Snapshot.Trigger.SCHEDULE,
                                           period_end=min(now, timezone.now()))
                log.append("snapshot.reminded", obj=account, data={
                    "due": schedule.next_due_at.isoformat(), "snapshot": draft.pk})
                remind(account, schedule.next_due_at, draft)
        except Exception:  # noqa: BLE001 - one account must not stop the sweep; the claim stays
            logger.exception("snapshot sweep for account %s failed", account.pk)
            SnapshotSchedule.objects.filter(pk=schedule.pk).update(reminded_for=None)
            continue
        done += 1
    return done


def remind(account: Account, due_at: datetime, snapshot: Snapshot) -> None:
    people = [account.responsible, *account.administrators.all()]
    recipients = [u.email for u in people if u.email and u.is_active] + samordnare_emails(account)
    url = f"{settings.SITE_URL}{reverse('snapshots:detail', args=[snapshot.pk])}"
    body = "\n".join([
        _("Hej!"), "",
        _("Det är dags för en ögonblicksbild av %(account)s (riktlinjerna 3.1: ögonblicksförvaring). "
          "Den skulle ha tagits senast %(when)s.") % {"account": account.name,
                                                     "when": timezone.localtime(due_at).strftime("%Y-%m-%d")},
        "",
        _("Insyn har tagit fram ett utkast: skärmbild, arkivkopia (PDF/A), webbarkiv (WARC) och en sammanfattning. "
          "Granska sammanfattningen, ändra den vid behov och spara ögonblicksbilden."),
        "", url,
    ])
    mail_on_commit(_("Insyn: dags för ögonblicksbild av %(account)s") % {"account": account.name}, body, recipients)


def stale_generations(now: datetime | None = None, limit: int = 5) -> list[int]:
    """Drafts whose generation was never picked up or whose worker died (lease expired)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=10)
    return list(Snapshot.objects.filter(status=Snapshot.Status.DRAFT).filter(
        Q(generation=Snapshot.Generation.QUEUED, created_at__lt=cutoff)
        | Q(generation=Snapshot.Generation.RUNNING, lease_until__lt=now)).values_list("pk", flat=True)[:limit])


def worker_step(*, force: bool = False) -> int:
    """The worker's snapshot round (at most once a minute): due schedules, then generations
    that were lost (queued long ago or abandoned by a dead worker)."""
    global _last_sweep
    if not force and time.monotonic() - _last_sweep < SWEEP_EVERY:
        return 0
    _last_sweep = time.monotonic()
    from .actions import generate_snapshot

    changed = sweep()
    for pk in stale_generations():
        if generate_snapshot(pk) is not None:
            changed += 1
    return changed


def on_account_status_changed(sender, *, account: Account, from_status: str, to_status: str, actor=None, **kwargs):
    """Closing an account orders its final snapshot (R14); activation starts the schedule."""
    from .actions import start_snapshot

    # An account closed before it was ever opened has no page and nothing captured.
    if to_status == Status.AVSLUTAT and from_status in SCHEDULED_STATUSES:
        start_snapshot(actor, account, trigger=Snapshot.Trigger.CLOSING, check_permission=False)
    elif to_status == Status.AKTIVT:
        ensure_schedule(account)
