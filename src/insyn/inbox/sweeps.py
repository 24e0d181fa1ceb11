"""The worker's inbox sweeps: opening cases after triage, reminders, escalation, supervision.

Each sweep is idempotent and safe with several workers:
- ``open_cases_pending`` reads triage results past a checkpoint (re-reading a window below
  it, because on PostgreSQL a lower id may commit after a higher one). Whether a result is
  already reflected is decided from the case itself (its item is unique, its version
  number only grows), so reading a result twice changes nothing.
- Reminders and escalations are claimed with a conditional update (``reminded_at``/
  ``escalated_at`` still empty) and proceed only for the rows this worker won.
- A supervision reminder is one row per account and due time (unique).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.archive.models import Item, VersionTriage
from insyn.eventlog import log
from insyn.lib.deadlines import ResponseRule, deadline, reminder_at, rules_from_policy
from insyn.lib.policy import Policy
from insyn.registry.models import Account, Status
from insyn.registry.policy import current_policy

from . import notify
from .models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseState,
    Checkpoint,
    SupervisionReminder,
    labels_text,
)

logger = logging.getLogger(__name__)

BATCH = 500
LOOKBACK_IDS = 1000
# Items received longer ago than this open no case: an import of old material, or the first
# full pass of a newly connected account, should not fill the inbox with overdue cases.
MAX_AGE = timedelta(days=30)
SUPERVISED_STATUSES = (Status.AKTIVT, Status.AVVECKLAS)
IMMEDIATE = {"pornografi"}  # possible barnpornografibrott: a person looks at once (MISSION.md)


# ---------------------------------------------------------------- deadlines


_RULES: dict[str, dict[str, ResponseRule]] = {}


def _rules(policy: Policy) -> dict[str, ResponseRule]:
    if policy.sha256 not in _RULES:
        _RULES[policy.sha256] = rules_from_policy(policy.response_rules)
    return _RULES[policy.sha256]


def deadline_for(account: Account, received: datetime, *, policy: Policy | None = None
                 ) -> tuple[str, bool, datetime, datetime]:
    """(rule name, crisis?, due, reminder) for an item the account received at ``received``."""
    policy = policy or current_policy()
    rules = _rules(policy)
    rule = rules.get(account.response_rule) or rules[policy.default_rule]
    due = deadline(received, rule)
    used = rule
    crisis = account.organisation.crisis_mode and policy.crisis_rule in rules
    if crisis:
        crisis_rule = rules[policy.crisis_rule]
        capped = deadline(received, crisis_rule)
        if capped.astimezone(UTC) < due.astimezone(UTC):
            due, used = capped, crisis_rule
    return used.name, crisis, due, reminder_at(received, due, used)


def redeadline_open_cases(sender=None, *, organisation, on: bool, actor=None, **kwargs) -> int:
    """Crisis mode changed: open cases get the deadline the rules now give (tighter while the
    crisis lasts, the ordinary one after). Each change is on the case's trail."""
    policy = current_policy()
    changed = 0
    cases = Case.objects.open().filter(account__organisation=organisation).select_related("account__organisation")
    for case in cases:
        case.account.organisation = organisation  # the instance with the new flag
        rule, crisis, due, remind = deadline_for(case.account, case.received_at, policy=policy)
        if (rule, crisis, due) == (case.response_rule, case.crisis, case.due_at):
            continue
        CaseEvent.objects.create(case=case, at=timezone.now(), actor=actor, kind=CaseEvent.Kind.NOTE,
                                 note=str(_("Krisläge på: ny svarstid.") if on else _("Krisläge av: ordinarie svarstid.")),
                                 data={"due_before": case.due_at.isoformat(), "due_after": due.isoformat(), "rule": rule})
        Case.objects.filter(pk=case.pk).update(response_rule=rule, crisis=crisis, due_at=due, reminder_at=remind)
        changed += 1
    return changed


def received_time(item: Item) -> datetime:
    """When the authority received the item: the platform's time, never after our capture."""
    if item.created_at and item.created_at < item.inkommen_at:
        return item.created_at
    return item.inkommen_at


# ---------------------------------------------------------------- opening cases


def open_cases_pending(*, limit: int = BATCH, now: datetime | None = None) -> int:
    """Open a case for every newly triaged incoming version that needs attention (an answer,
    moderation, sensitive data, a wrong authority, or any direct message), and bring an
    existing case up to date when its item was edited. Returns how many cases changed."""
    now = now or timezone.now()
    checkpoint, _ = Checkpoint.objects.get_or_create(name="inbox.cases")
    start = max(0, checkpoint.last_id - LOOKBACK_IDS)
    rows = list(VersionTriage.objects.filter(id__gt=start)
                .select_related("version__item__account__organisation").order_by("id")[:limit + LOOKBACK_IDS])
    if not rows:
        return 0
    item_ids = {t.version.item_id for t in rows}
    cases = {c.item_id: c for c in Case.objects.filter(item_id__in=item_ids).select_related("version")}
    policy = current_policy()
    changed = 0
    immediate: list[Case] = []
    with transaction.atomic():
        for triage in rows:
            version = triage.version
            item = version.item
            if item.direction != Item.Direction.INKOMMEN:
                continue
            case = cases.get(item.pk)
            if case is None:
                if not _needs_case(triage, item) or received_time(item) < now - MAX_AGE:
                    continue
                case = _open(item, version, triage, policy)
                if case is None:
                    continue
                cases[item.pk] = case
                changed += 1
                if IMMEDIATE & set(case.moderation):
                    immediate.append(case)
            elif version.number > case.version.number:
                _update(case, version, triage, policy)
                changed += 1
        newest = rows[-1].pk
        if newest > checkpoint.last_id:
            Checkpoint.objects.filter(name="inbox.cases", last_id__lt=newest).update(last_id=newest)
    if immediate:
        escalate(immediate, now=now, immediate=True)
    return changed


def _needs_case(triage: VersionTriage, item: Item) -> bool:
    return triage.needs_attention or item.record_type == Item.RecordType.DIRECT_MESSAGE


def _labels(triage: VersionTriage, item: Item) -> dict:
    is_message = item.record_type == Item.RecordType.DIRECT_MESSAGE
    return {
        "needs_answer": triage.needs_answer, "topic": triage.topic, "moderation": list(triage.moderation),
        "sensitive": list(triage.sensitive), "wrong_authority": triage.wrong_authority or "", "is_message": is_message,
        "labels": labels_text(needs_answer=triage.needs_answer, moderation=triage.moderation,
                              sensitive=triage.sensitive, wrong_authority=triage.wrong_authority,
                              is_message=is_message),
    }


def _open(item: Item, version, triage: VersionTriage, policy: Policy) -> Case | None:
    received = received_time(item)
    rule, crisis, due, remind = deadline_for(item.account, received, policy=policy)
    try:
        with transaction.atomic():  # a savepoint: another worker may have opened it
            case = Case.objects.create(
                item=item, account_id=item.account_id, version=version, triage=triage, state=CaseState.NY,
                received_at=received, response_rule=rule, crisis=crisis, due_at=due, reminder_at=remind,
                **_labels(triage, item))
    except IntegrityError:
        return None
    case.version = version
    CaseEvent.objects.create(case=case, at=timezone.now(), kind=CaseEvent.Kind.OPENED,
                             data={"version": version.number, "labels": case.labels.split(), "due": due.isoformat()})
    log.append("inbox.case_opened", obj=case, data={
        "item": item.pk, "account": item.account_id, "labels": case.labels.split(), "due": due.isoformat(),
        "rule": rule, "crisis": crisis, "model_version": triage.model_version,
    })
    return case


def _update(case: Case, version, triage: VersionTriage, policy: Policy) -> None:
    """The item was edited: the case follows its newest version (never a second case). A
    closed case is reopened when the edit adds moderation or sensitive labels, unless the
    item was already taken down or moved to the diarium."""
    case = Case.objects.select_for_update(of=("self",)).select_related("item__account__organisation").get(pk=case.pk)
    before = set(case.labels.split())
    labels = _labels(triage, case.item)
    for key, value in labels.items():
        setattr(case, key, value)
    case.version, case.triage = version, triage
    added = sorted(set(case.labels.split()) - before)
    removed = sorted(before - set(case.labels.split()))
    reopen = (not case.is_open and case.state not in (CaseState.BORTTAGEN, CaseState.DIARIEFORD)
              and bool(set(added) & (set(case.moderation) | set(case.sensitive))))
    if reopen:
        rule, crisis, due, remind = deadline_for(case.item.account, version.captured_at, policy=policy)
        case.state = CaseState.TILLDELAD if case.assignee_id else CaseState.NY
        case.closed_at, case.reminded_at, case.escalated_at = None, None, None
        case.response_rule, case.crisis, case.due_at, case.reminder_at = rule, crisis, due, remind
    case.save()
    CaseEvent.objects.create(case=case, at=timezone.now(),
                             kind=CaseEvent.Kind.REOPENED if reopen else CaseEvent.Kind.UPDATED,
                             data={"version": version.number, "added": added, "removed": removed})
    log.append("inbox.case_reopened" if reopen else "inbox.case_updated", obj=case, data={
        "item": case.item_id, "version": version.number, "added": added, "removed": removed,
        "model_version": triage.model_version,
    })


# ---------------------------------------------------------------- reminders and escalation (R20)


def _claim(field: str, filters: dict, now: datetime, limit: int) -> list[Case]:
    candidates = list(Case.objects.filter(state__in=OPEN_STATES, **{f"{field}__isnull": True}, **filters)
                      .values_list("pk", flat=True)[:limit])
    won = [pk for pk in candidates
           if Case.objects.filter(pk=pk, state__in=OPEN_STATES, **{f"{field}__isnull": True}).update(**{field: now})]
    return list(Case.objects.filter(pk__in=won).select_related(
        "item", "assignee", "account__organisation", "account__responsible").prefetch_related("account__administrators")
        .order_by("due_at"))


def send_reminders(now: datetime | None = None, *, limit: int = 200) -> int:
    """Remind the people working a case when its reminder time has come (once per case)."""
    now = now or timezone.now()
    cases = _claim("reminded_at", {"reminder_at__lte": now}, now, limit)
    if not cases:
        return 0
    by_recipient: dict[str, list[Case]] = {}
    with transaction.atomic():
        for case in cases:
            recipients = notify.case_workers(case)
            CaseEvent.objects.create(case=case, at=now, kind=CaseEvent.Kind.REMINDED, data={"to": recipients})
            log.append("inbox.reminded", obj=case, data={"item": case.item_id, "recipients": len(recipients)})
            for r in recipients:
                by_recipient.setdefault(r, []).append(case)
        for recipient, batch in by_recipient.items():
            notify.reminders(recipient, batch)
    return len(cases)


def escalate_overdue(now: datetime | None = None, *, limit: int = 200) -> int:
    """Tell the samordnare about cases whose deadline has passed (once per case)."""
    now = now or timezone.now()
    cases = _claim("escalated_at", {"due_at__lte": now}, now, limit)
    escalate(cases, now=now)
    return len(cases)


def escalate(cases: list[Case], *, now: datetime, immediate: bool = False) -> None:
    if not cases:
        return
    by_recipient: dict[str, list[Case]] = {}
    with transaction.atomic():
        for case in cases:
            if immediate:
                Case.objects.filter(pk=case.pk).update(escalated_at=now)
            recipients = notify.samordnare_emails(case.account)
            CaseEvent.objects.create(case=case, at=now, kind=CaseEvent.Kind.ESCALATED,
                                     data={"to": recipients, "immediate": immediate})
            log.append("inbox.escalated", obj=case, data={"item": case.item_id, "immediate": immediate,
                                                          "recipients": len(recipients)})
            for r in recipients:
                by_recipient.setdefault(r, []).append(case)
        for recipient, batch in by_recipient.items():
            notify.escalations(recipient, batch, immediate=immediate)


# ---------------------------------------------------------------- supervision (R31)


def supervision_due_at(account: Account, last: datetime | None, interval_days: int) -> datetime:
    """When the account's next review is due: ``interval_days`` after the last one (or after
    the account entered the register, if it was never reviewed)."""
    return (last or account.created_at) + timedelta(days=interval_days)


def supervision_status(accounts, *, now: datetime | None = None) -> list[dict]:
    """Per account: the last review, when the next is due and whether it is overdue."""
    now = now or timezone.now()
    interval = current_policy().supervision_interval_days
    rows = []
    for account in accounts.filter(status__in=SUPERVISED_STATUSES).annotate(last_review=Max("supervisions__reviewed_at")):
        due = supervision_due_at(account, account.last_review, interval)
        rows.append({"account": account, "last": account.last_review, "due_at": due, "is_due": due <= now})
    return sorted(rows, key=lambda r: r["due_at"])


def send_supervision_reminders(now: datetime | None = None) -> int:
    """Remind each account's communicators once when its weekly review falls due."""
    now = now or timezone.now()
    sent = 0
    accounts = Account.objects.select_related("responsible", "organisation").prefetch_related("administrators")
    for row in supervision_status(accounts, now=now):
        if not row["is_due"]:
            continue
        account, due = row["account"], row["due_at"]
        try:
            with transaction.atomic():
                SupervisionReminder.objects.create(account=account, due_at=due)
                log.append("inbox.supervision_reminded", obj=account, data={"due": due.isoformat()})
                notify.supervision_due(account, due)
        except IntegrityError:
            continue  # already reminded for this due time
        sent += 1
    return sent
