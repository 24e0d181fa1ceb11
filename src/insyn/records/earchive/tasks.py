"""Building a requested delivery in the background. Thin: load by id, call the action (which
claims the delivery, so a second run of the same task does nothing)."""

from __future__ import annotations

from django.tasks import task


@task
def build_delivery_task(delivery_id: int) -> str:
    from . import actions
    from .models import Delivery

    return actions.build_delivery(Delivery.objects.get(pk=delivery_id)).status
