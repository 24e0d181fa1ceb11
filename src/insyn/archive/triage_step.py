"""Triage of incoming versions, as the worker's step after capture.

Triage is a pure function of the text; the result is stored per version with the model
version that produced it. Own posts (upprättade) are not triaged. Idempotent: a version
that already has a result is skipped.
"""

from __future__ import annotations

from django.db import transaction

from insyn.triage import triage_many

from .models import Item, ItemVersion, VersionTriage


def triage_pending(limit: int = 500) -> int:
    versions = list(
        ItemVersion.objects.filter(triage__isnull=True, item__direction=Item.Direction.INKOMMEN)
        .select_related("item").order_by("id")[:limit]
    )
    if not versions:
        return 0
    results = triage_many([(v.text, v.item.kind) for v in versions])
    rows = []
    for version, result in zip(versions, results, strict=True):
        data = result.to_dict()
        rows.append(VersionTriage(
            version=version, model_version=result.model_version, needs_answer=result.needs_answer,
            topic=result.topic, moderation=data["moderation"], sensitive=data["sensitive"],
            wrong_authority=result.wrong_authority or "", spans=data["spans"], evidence=data["evidence"],
            scores=data["scores"],
        ))
    with transaction.atomic():
        VersionTriage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
