"""Background work for records: gallring runs ordered from the UI, and the daily scheduled run.
Thin: load by id, call the action; idempotent (a run is claimed once)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

SCHEDULE_EVERY = timedelta(hours=24)
CHECK_EVERY_SECONDS = 600
_last_check = 0.0


@task
def run_gallring_task(run_id: int) -> dict:
    from .gallring import GallringRefused, execute_gallring
    from .models import GallringRun

    run = GallringRun.objects.get(pk=run_id)
    try:
        return execute_gallring(run).totals
    except GallringRefused as exc:
        return {"refused": str(exc)}


def schedule_due_gallring(*, force: bool = False) -> int:
    """Order the daily run under decisions marked "gallra automatiskt" (the worker calls this
    each round; it looks at the database at most every ten minutes). Returns 1 if ordered."""
    global _last_check
    if not force and time.monotonic() - _last_check < CHECK_EVERY_SECONDS:
        return 0
    _last_check = time.monotonic()
    from .gallring import GallringRefused, start_gallring
    from .models import GallringDecision, GallringRun

    decisions = list(GallringDecision.objects.filter(revoked_at__isnull=True, scheduled=True).values_list("pk", flat=True))
    if not decisions:
        return 0
    if GallringRun.objects.filter(status__in=[GallringRun.Status.QUEUED, GallringRun.Status.RUNNING]).exists():
        return 0
    last = GallringRun.objects.filter(scheduled=True).order_by("-requested_at").first()
    if last is not None and last.requested_at > timezone.now() - SCHEDULE_EVERY:
        return 0
    try:
        with transaction.atomic():
            run = start_gallring(None, decision_ids=decisions, scheduled=True, label="schema")
            transaction.on_commit(lambda: run_gallring_task.enqueue(run.pk))
    except GallringRefused:
        return 0
    return 1
