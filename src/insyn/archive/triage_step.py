"""Triage of incoming versions, as the worker's step after capture.

Triage is a pure function of the text (and, for the topic of a comment or reply, of the
text of the post at the top of its thread, when that post is in the archive); the result is
stored per version with the model version that produced it. Own posts (upprättade) are not
triaged. Idempotent: a version that already has a result is skipped.
"""

from __future__ import annotations

from django.db import transaction

from insyn.triage import default_triager
from insyn.triage.pipeline import THREADED_KINDS

from .models import Item, ItemVersion, VersionTriage


def triage_pending(limit: int = 500) -> int:
    versions = list(
        ItemVersion.objects.filter(triage__isnull=True, item__direction=Item.Direction.INKOMMEN)
        .select_related("item").order_by("id")[:limit]
    )
    if not versions:
        return 0
    posts = _thread_posts([v.item for v in versions])
    triager = default_triager()
    results = [
        triager.triage(v.text, v.item.kind, posts.get((v.item.account_id, v.item.thread_platform_id)))
        for v in versions
    ]
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


def _thread_posts(items: list[Item]) -> dict[tuple[int, str], str]:
    """The current text of the post at the top of each comment's or reply's thread."""
    wanted = {(i.account_id, i.thread_platform_id) for i in items
              if i.kind in THREADED_KINDS and i.thread_platform_id and i.thread_platform_id != i.platform_id}
    if not wanted:
        return {}
    rows = Item.objects.filter(account_id__in={a for a, _ in wanted}, kind=Item.Kind.POST,
                               platform_id__in={p for _, p in wanted}).values_list("account_id", "platform_id", "text")
    return {(a, p): text for a, p, text in rows if (a, p) in wanted and text}
