"""Background work for requests for records: producing what is handed out for large requests.
Thin: load by id, call the action; idempotent (a request already expedited is left alone)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.tasks import task


@task
def expedite_task(request_id: int, actor_id: int) -> dict:
    from insyn.registry.models import User

    from . import actions
    from .models import Request

    req = Request.objects.get(pk=request_id)
    if req.status != Request.Status.BESLUTAD:
        return {"skipped": req.status}
    try:
        delivery = actions.expedite(User.objects.get(pk=actor_id), req)
    except ValidationError as exc:
        Request.objects.filter(pk=request_id).update(production_error=" ".join(exc.messages)[:2000])
        return {"error": " ".join(exc.messages)}
    return {"delivery": delivery.pk}
