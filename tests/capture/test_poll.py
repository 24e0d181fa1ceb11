"""Polling through capture against the simulator over real HTTP: incremental and full passes,
items that disappear, faults, and an expired token that stops the account."""

from __future__ import annotations

import pytest
from django.core import mail

from insyn.archive.models import Item, RawCapture
from insyn.capture import actions
from insyn.capture.models import Connection
from insyn.eventlog import log
from insyn.simulator import start_in_thread


@pytest.fixture
def sim():
    handle = start_in_thread(seed=21, port=0, mastodon_port=0)
    yield handle
    handle.stop()


@pytest.fixture
def connected(sim, world, make_account):
    info = sim.simulator.seed_default_world(history_days=1)
    page, masto = info["page"], info["mastodon_account"]
    fb = make_account(status="aktivt", external_id=page["page_id"])
    host = sim.mastodon_url.split("://", 1)[1]
    md = make_account(status="aktivt", platform="mastodon", handle=f"@{masto['username']}@{host}",
                      url=f"{sim.mastodon_url}/@{masto['username']}", external_id=masto["account_id"])
    c_fb = actions.connect_account(fb, token=page["token"], base_url=sim.url)
    c_md = actions.connect_account(md, token=masto["token"], base_url=sim.mastodon_url)
    return sim, c_fb, c_md


def _live_fb_ids(world):
    ids = {p.id for p in world.posts.values() if p.deleted_at is None}
    ids |= {c.id for c in world.comments.values() if c.deleted_at is None}
    return ids | {m.id for m in world.messages.values()}


def test_full_pass_captures_everything_once_and_detects_deletions(connected):
    sim, c_fb, c_md = connected
    report = actions.poll(c_fb, full=True)
    assert not report.error and report.pages > 0
    archived = set(Item.objects.filter(account=c_fb.account).values_list("platform_id", flat=True))
    assert _live_fb_ids(sim.simulator.world) <= archived

    # A resident deletes a comment; the next full pass notices, and the text stays.
    world = sim.simulator.world
    victim = next(c for c in world.comments.values() if c.deleted_at is None and c.parent_id is None)
    sim.simulator.act("delete_comment", comment_id=victim.id)
    c_fb.refresh_from_db()
    actions.poll(c_fb, full=True)
    item = Item.objects.get(account=c_fb.account, platform_id=victim.id)
    assert item.state == "deleted_on_platform" and item.text
    assert item.state_changes.get().raw.source == RawCapture.Source.FULL_PASS
    assert log.verify().ok


def test_incremental_poll_picks_up_new_comments(connected):
    sim, c_fb, c_md = connected
    actions.poll(c_fb, full=True)
    before = Item.objects.count()
    sim.simulator.tick(20)
    c_fb.refresh_from_db()
    report = actions.poll(c_fb, full=False)
    assert not report.error
    assert Item.objects.count() > before
    assert _live_fb_ids(sim.simulator.world) <= set(Item.objects.filter(account=c_fb.account).values_list("platform_id", flat=True))


def test_mastodon_full_pass_and_reprocess_gives_the_same_archive(connected):
    sim, c_fb, c_md = connected
    assert not actions.poll(c_md, full=True).error
    assert Item.objects.filter(account=c_md.account, direction="inkommen").exists()
    assert Item.objects.filter(account=c_md.account, direction="upprattad").exists()
    before, after = actions.reprocess(c_md.account)
    assert before == after


def test_server_errors_are_retried(connected):
    sim, c_fb, c_md = connected
    sim.simulator.add_fault("http_error", status=500, count=2, platform="graph")
    report = actions.poll(c_fb, full=True, http=_fast_http())
    assert not report.error and Item.objects.filter(account=c_fb.account).exists()


def test_expired_token_stops_the_account_and_alerts(connected, django_capture_on_commit_callbacks):
    sim, c_fb, c_md = connected
    token = c_fb.get_token()
    sim.simulator.set_token_state(token, "expired")
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.poll(c_fb, full=True)
    assert report.error
    c_fb.refresh_from_db()
    assert c_fb.status == Connection.Status.TOKEN_INVALID
    assert any("åtkomsten" in m.subject for m in mail.outbox)
    Connection.objects.update(next_poll_at=None, lease_until=None)
    assert c_fb.pk not in {c.pk for c in actions.claim_due("w1")}  # a stopped account is not polled


def test_two_workers_never_claim_the_same_account(connected):
    sim, c_fb, c_md = connected
    first, second = actions.claim_due("worker-a"), actions.claim_due("worker-b")
    assert {c.pk for c in first} == {c_fb.pk, c_md.pk}
    assert second == []


def _fast_http():
    from insyn.lib.http import HttpSeam

    return HttpSeam(sleep=lambda s: None, backoff_base=0.0)


def test_mastodon_deletion_is_confirmed_by_rereading_before_it_is_recorded(connected):
    sim, c_fb, c_md = connected
    actions.poll(c_md, full=True)
    resident = Item.objects.filter(account=c_md.account, direction="inkommen", kind="comment").first()
    sim.simulator.act("delete_status", status_id=resident.platform_id)
    c_md.refresh_from_db()
    assert not actions.poll(c_md, full=True).error
    resident.refresh_from_db()
    assert resident.state == "deleted_on_platform" and resident.text
    others = Item.objects.filter(account=c_md.account).exclude(pk=resident.pk)
    assert not others.filter(state="deleted_on_platform").exists()  # nothing else falsely marked gone


def test_a_bug_while_processing_keeps_the_page_for_the_sweep(world, make_account, monkeypatch):
    from insyn.archive import apply as archive_apply
    from insyn.capture.platforms.base import FetchedPage

    account = make_account(status="aktivt", external_id="4242")
    body = b'{"data": [{"id": "4242_1_9", "message": "Hej kommunen", "from": {"id": "7", "name": "Ida"}, "created_time": "2026-11-02T10:00:00+0000"}]}'
    page = FetchedPage(url="/v23.0/4242_1/comments", status=200, headers={}, body=body,
                       context={"endpoint": "comments", "post_id": "4242_1"})

    def broken(raw, normalised):
        raise RuntimeError("a bug in the archive code")

    monkeypatch.setattr(archive_apply, "apply", broken)
    raw = actions.capture_page(account, page)
    raw.refresh_from_db()
    assert raw.status == "pending" and bytes(raw.body) == body and not Item.objects.exists()
    monkeypatch.undo()
    assert actions.process_pending() == 1
    assert Item.objects.get().text == "Hej kommunen"
