"""Background work (Django's Tasks framework, django-tasks-db backend). Thin: load by id, call
an action; every task is idempotent."""

from __future__ import annotations

from django.tasks import task


@task
def process_capture(raw_id: int) -> str:
    from .actions import process_raw

    return process_raw(raw_id)


@task
def poll_connection(connection_id: int, full: bool | None = None) -> dict:
    from .actions import poll
    from .models import Connection

    connection = Connection.objects.select_related("account__organisation").get(pk=connection_id)
    report = poll(connection, full=full)
    return {"pages": report.pages, "full": report.full, "error": report.error}

