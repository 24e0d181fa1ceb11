"""People's decisions as training examples for triage (R19: decisions feed triage's learning).

``decisions_as_examples()`` gives one dict per decision in the triage example schema
(``insyn.triage.dataset``), ready for ``insyn triage train --decisions FILE.jsonl``;
``insyn inbox decisions`` writes them as JSONL. A later decision about the same version
replaces an earlier one, and decisions about restricted items (moved to the diarium) are
left out unless asked for: their text is not for the training files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from insyn.triage.vocab import AUTHORITIES, KINDS, MODERATION, SENSITIVE, TOPICS

from .models import Decision, Restriction


def decisions_as_examples(*, since: datetime | None = None, include_restricted: bool = False) -> list[dict]:
    return list(iter_examples(since=since, include_restricted=include_restricted))


def iter_examples(*, since: datetime | None = None, include_restricted: bool = False) -> Iterator[dict]:
    decisions = Decision.objects.select_related("version__item").order_by("version_id", "id")
    if since is not None:
        decisions = decisions.filter(at__gte=since)
    restricted = set() if include_restricted else set(Restriction.objects.values_list("item_id", flat=True))
    latest: dict[int, Decision] = {}
    for decision in decisions.iterator(chunk_size=2000):
        latest[decision.version_id] = decision  # the newest decision about a version wins
    for decision in latest.values():
        item = decision.version.item
        if item.pk in restricted:
            continue
        yield {
            "id": f"insyn-decision-{decision.pk}",
            "text": decision.version.text,
            "kind": item.kind if item.kind in KINDS else "comment",
            "needs_answer": bool(decision.needs_answer),
            "topic": decision.topic if decision.topic in TOPICS else "ovrigt",
            "moderation": sorted({m for m in decision.moderation if m in MODERATION}),
            "sensitive": sorted({s for s in decision.sensitive if s in SENSITIVE}),
            "wrong_authority": decision.wrong_authority if decision.wrong_authority in AUTHORITIES else None,
        }
