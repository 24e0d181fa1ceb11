"""Background work for snapshots: generate one (load by id, call the action). Idempotent: the
generation is claimed with a conditional update, so a second run of the same task is a no-op
while the first holds it, and re-runs the steps of a draft otherwise."""

from __future__ import annotations

from django.tasks import task


@task
def generate_snapshot_task(snapshot_id: int) -> dict:
    from .actions import generate_snapshot

    snapshot = generate_snapshot(snapshot_id)
    if snapshot is None:
        return {"skipped": True}
    return {"generation": snapshot.generation, "errors": snapshot.generation_error}
