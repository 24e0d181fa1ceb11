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


# ---------------------------------------------------------------- against the simulator


@dataclass
class Sim:
    handle: object
    fb: object          # Account (Facebook Page) connected to the simulator
    md: object          # Account (Mastodon) connected to the simulator
    page_id: str
    masto_id: str
    masto_username: str

    @property
    def world(self):
        return self.handle.simulator.world

    def act(self, action, **params):
        return self.handle.simulator.act(action, **params)

    def page_comments(self, text=None):
        return [c for c in self.world.comments.values()
                if c.from_id == self.page_id and c.deleted_at is None and (text is None or c.message == text)]

    def kommun_replies(self):
        return [s for s in self.world.statuses.values()
                if s.account_id == self.masto_id and s.in_reply_to_id and s.deleted_at is None]


@pytest.fixture
def sim(world, make_account):
    from insyn.capture import actions as capture_actions
    from insyn.simulator import start_in_thread

    handle = start_in_thread(seed=7, port=0, mastodon_port=0)
    info = handle.simulator.seed_default_world(history_days=0)
    page, masto = info["page"], info["mastodon_account"]
    fb = make_account(status="aktivt", external_id=page["page_id"], name="Norrvik kommun")
    host = handle.mastodon_url.split("://", 1)[1]
    md = make_account(status="aktivt", platform="mastodon", handle=f"@{masto['username']}@{host}",
                      url=f"{handle.mastodon_url}/@{masto['username']}", external_id=masto["account_id"],
                      name="Norrvik på Mastodon")
    capture_actions.connect_account(fb, token=page["token"], base_url=handle.url)
    capture_actions.connect_account(md, token=masto["token"], base_url=handle.mastodon_url)
    yield Sim(handle, fb, md, page["page_id"], masto["account_id"], masto["username"])
    handle.stop()


def fb_case(sim: Sim, text="Hej! När öppnar simhallen igen?", *, labels=None, author="Anna Andersson"):
    """A resident's comment under a Page post on the simulated Facebook, polled into the archive
    and triaged as ``labels``; returns its case."""
    from insyn.capture import actions as capture_actions
    from insyn.capture.models import Connection
    from insyn.inbox.sweeps import open_cases_pending

    post_ = sim.act("post", page_id=sim.page_id, message="Simhallen har öppet som vanligt i helgen.")
    comment_ = sim.act("comment", object_id=post_["id"], from_name=author, message=text)
    assert not capture_actions.poll(Connection.objects.get(account=sim.fb), full=True).error
    item = Item.objects.get(account=sim.fb, platform_id=comment_["id"])
    triage(item, **(labels if labels is not None else {"needs_answer": True, "topic": "kultur_fritid"}))
    open_cases_pending()
    return Case.objects.get(item=item)


def md_case(sim: Sim, text="När öppnar simhallen?", *, labels=None):
    from insyn.capture import actions as capture_actions
    from insyn.capture.models import Connection
    from insyn.inbox.sweeps import open_cases_pending

    resident = sim.act("mastodon_account", username="anna", display_name="Anna Andersson")
    own = sim.act("status", account_id=sim.masto_id, text="Simhallen har öppet som vanligt i helgen.")
    question = sim.act("status", account_id=resident["account_id"], text=f"@{sim.masto_username} {text}",
                       in_reply_to_id=own["id"])
    assert not capture_actions.poll(Connection.objects.get(account=sim.md), full=True).error
    item = Item.objects.get(account=sim.md, platform_id=question["id"])
    triage(item, **(labels if labels is not None else {"needs_answer": True, "topic": "kultur_fritid"}))
    open_cases_pending()
    return Case.objects.get(item=item)


@pytest.fixture
def fast_http(monkeypatch):
    """Platform calls from the inbox with a short timeout and no waiting between attempts."""
    from insyn.inbox import platform
    from insyn.lib.http import HttpSeam

    def make(timeout=5.0, max_attempts=2):
        monkeypatch.setattr(platform, "http", lambda: HttpSeam(timeout=timeout, max_attempts=max_attempts,
                                                               sleep=lambda s: None, backoff_base=0.0, max_wait=1.0))

    make()
    return make


from insyn.inbox.models import Case  # noqa: E402
