"""Inbox fixtures: accounts in two units with archived items and hand-set triage results
(deterministic labels; tests/archive covers the triage step itself)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from insyn.archive import apply as archive_apply
from insyn.archive.models import Item, VersionTriage
from insyn.capture.actions import record_raw
from insyn.capture.platforms.base import Normalised, NormalizedItem


def capture(account, *items: NormalizedItem, at: datetime | None = None) -> list[Item]:
    raw = record_raw(account=account, platform=account.platform, source="poll", body=b"{}",
                     received_at=at or timezone.now())
    archive_apply.apply(raw, Normalised(items=list(items)))
    return [Item.objects.get(account=account, platform_id=n.platform_id) for n in items]


def triage(item: Item, *, needs_answer=False, topic="ovrigt", moderation=(), sensitive=(), wrong_authority="",
           evidence=None) -> VersionTriage:
    version = item.versions.order_by("-number").first()
    return VersionTriage.objects.create(
        version=version, model_version="test-1", needs_answer=needs_answer, topic=topic,
        moderation=list(moderation), sensitive=list(sensitive), wrong_authority=wrong_authority, spans=[],
        evidence=evidence if evidence is not None else [
            {"field": "needs_answer", "label": True, "source": "rule", "detail": "question_mark", "start": 0,
             "end": 3, "quote": item.text[:3], "score": None}],
        scores={})


def post(pid="p1", text="Nu öppnar det nya badhuset!", author="Kommunen", when=None, author_id="page1"):
    return NormalizedItem(platform_id=pid, kind="post", direction="upprattad", record_type="own_post", text=text,
                          author_id=author_id, author_name=author, created_at=when or timezone.now(),
                          thread_platform_id=pid)


def comment(pid, text, *, parent="p1", thread="p1", author="Maja Ek", author_id="u1", when=None, kind="comment",
            edited_at=None):
    return NormalizedItem(platform_id=pid, kind=kind, direction="inkommen", record_type="public_comment", text=text,
                          author_id=author_id, author_name=author, created_at=when or timezone.now(),
                          parent_platform_id=parent, thread_platform_id=thread, edited_at=edited_at)


def message(pid, text, *, conversation="t_1", author="Olle Berg", author_id="u9", when=None):
    return NormalizedItem(platform_id=pid, kind="message", direction="inkommen", record_type="direct_message",
                          text=text, author_id=author_id, author_name=author, created_at=when or timezone.now(),
                          thread_platform_id=conversation)


@dataclass
class Inbox:
    a: object      # Facebook account in unit_a (kom_a, kom_a2)
    b: object      # account in unit_b (kom_b)


@pytest.fixture
def inbox(world, make_account):
    a = make_account(status="aktivt", external_id="page1")
    b = make_account(actor=world.kom_b, unit=world.unit_b, handle="ifo", url="https://www.facebook.com/ifo",
                     responsible=world.kom_b, administrators=[world.kom_b, world.chef_b], status="aktivt",
                     confidential_justification="ok", external_id="page2", name="IFO")
    return Inbox(a, b)


def open_case(account, text="När öppnar simskolan?", *, pid="c1", labels=None, post_id="p1", at=None, **kw):
    """An item in a thread under an own post, triaged with ``labels``, and its case opened."""
    from insyn.inbox.sweeps import open_cases_pending

    items = capture(account, post(post_id, author_id=account.external_id),
                    comment(pid, text, parent=post_id, thread=post_id, **kw), at=at)
    triage(items[1], **(labels if labels is not None else {"needs_answer": True, "topic": "kultur_fritid"}))
    open_cases_pending()
    return items[1].case


T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
ONE_HOUR = timedelta(hours=1)
