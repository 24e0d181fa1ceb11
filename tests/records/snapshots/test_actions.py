"""Ordering, generating, editing and saving a snapshot; the schedule, its reminders and the
closing snapshot. Through the actions, on the real database and files."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from insyn.eventlog.log import verify
from insyn.eventlog.models import Event
from insyn.records.snapshots import actions, schedule
from insyn.records.snapshots.models import Snapshot, SnapshotSchedule
from insyn.registry import actions as registry_actions
from insyn.registry.models import Account

from .conftest import END, START

pytestmark = pytest.mark.django_db
# These drive Debian's Chromium: they run with the browser tests (`make test-browser`).
CHROMIUM = pytest.mark.browser

NO_SCREENSHOT = ("summary", "pdf", "warc")


@pytest.fixture(autouse=True)
def _quick_screenshots(settings):
    settings.SNAPSHOT_SCREENSHOT_TIMEOUT_MS = 15000


def _made(period_world, world, steps=NO_SCREENSHOT) -> Snapshot:
    snapshot = actions.start_snapshot(world.kom_a, period_world["account"], period_start=START, period_end=END,
                                      enqueue=False)
    return actions.generate_snapshot(snapshot.pk, steps=steps)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@CHROMIUM
def test_generation_writes_each_file_with_its_hash_in_the_row_and_the_chain(period_world, world, local_page):
    Account.objects.filter(pk=period_world["account"].pk).update(url=local_page)
    snapshot = _made(period_world, world, steps=actions.STEPS)
    assert snapshot.generation == Snapshot.Generation.DONE, snapshot.generation_error
    for kind in ("screenshot", "pdf", "warc"):
        path = actions.file_path(snapshot, kind)
        assert path.is_relative_to(Path(settings.DATA_DIR) / "snapshots")
        assert _sha(path) == getattr(snapshot, f"{kind}_sha256")
        event = Event.objects.get(kind=f"snapshot.{kind}", object_id=str(snapshot.pk))
        assert event.data["sha256"] == getattr(snapshot, f"{kind}_sha256")
    assert actions.file_path(snapshot, "screenshot").read_bytes().startswith(b"\x89PNG")
    assert snapshot.summary_data["total"] == 6 and "6 poster" in snapshot.summary_text
    assert snapshot.record_class == "ogonblicksbilder"
    assert verify().ok


@CHROMIUM
def test_an_unreachable_page_is_recorded_and_the_snapshot_can_still_be_saved(period_world, world, dead_url):
    Account.objects.filter(pk=period_world["account"].pk).update(url=dead_url)
    snapshot = _made(period_world, world, steps=actions.STEPS)
    assert snapshot.generation == Snapshot.Generation.DONE
    assert snapshot.screenshot_sha256 == "" and snapshot.screenshot_file == ""
    assert "ERR_CONNECTION_REFUSED" in snapshot.screenshot_error
    assert Event.objects.get(kind="snapshot.screenshot", object_id=str(snapshot.pk)).data["reachable"] is False
    saved = actions.save_snapshot(world.kom_a, snapshot)
    assert saved.is_saved


def test_summary_is_editable_before_saving_and_immutable_after(period_world, world):
    snapshot = _made(period_world, world)
    edited = actions.edit_summary(world.kom_a, snapshot, "  Lugnt halvår. Badhuset öppnade igen.\r\n")
    assert edited.summary_text == "Lugnt halvår. Badhuset öppnade igen."
    # Regenerating the figures keeps the person's text.
    again = actions.generate_snapshot(snapshot.pk, steps=("summary",))
    assert again.summary_text == "Lugnt halvår. Badhuset öppnade igen."
    with pytest.raises(actions.SnapshotError):
        actions.edit_summary(world.kom_a, snapshot, "   ")
    saved = actions.save_snapshot(world.chef_a, again)
    assert saved.is_saved and saved.saved_at is not None
    assert saved.summary_sha256 == hashlib.sha256(b"Lugnt halv\xc3\xa5r. Badhuset \xc3\xb6ppnade igen.").hexdigest()
    event = Event.objects.get(kind="snapshot.saved", object_id=str(saved.pk))
    assert event.data["pdf_sha256"] == saved.pdf_sha256 and event.data["warc_sha256"] == saved.warc_sha256
    assert event.data["summary_sha256"] == saved.summary_sha256

    with pytest.raises(actions.SnapshotError):
        actions.edit_summary(world.kom_a, saved, "Ändrad i efterhand")
    with pytest.raises(actions.SnapshotError):
        actions.save_snapshot(world.kom_a, saved)
    with pytest.raises(actions.SnapshotError):
        actions.regenerate(world.kom_a, saved)
    assert actions.generate_snapshot(saved.pk) is None
    saved.refresh_from_db()
    assert saved.summary_text == "Lugnt halvår. Badhuset öppnade igen."


def test_saving_refuses_an_unfinished_or_tampered_snapshot(period_world, world):
    snapshot = actions.start_snapshot(world.kom_a, period_world["account"], period_start=START, period_end=END,
                                      enqueue=False)
    with pytest.raises(actions.SnapshotError, match="inte färdig"):
        actions.save_snapshot(world.kom_a, snapshot)
    snapshot = actions.generate_snapshot(snapshot.pk, steps=NO_SCREENSHOT)
    actions.file_path(snapshot, "pdf").write_bytes(b"%PDF-1.7 not the same file")
    with pytest.raises(actions.SnapshotError, match="kontrollsumma"):
        actions.save_snapshot(world.kom_a, snapshot)
    snapshot.refresh_from_db()
    assert not snapshot.is_saved


def test_who_may_order_and_the_period_is_checked(period_world, world):
    account = period_world["account"]
    for person in (world.kom_b, world.granskare, world.handlaggare, world.outsider):
        with pytest.raises(PermissionDenied):
            actions.start_snapshot(person, account, enqueue=False)
    with pytest.raises(actions.SnapshotError):
        actions.start_snapshot(world.kom_a, account, period_start=END, period_end=START, enqueue=False)
    with pytest.raises(actions.SnapshotError):
        actions.start_snapshot(world.kom_a, account, period_end=timezone.now() + timedelta(days=2), enqueue=False)
    actions.start_snapshot(world.kom_a, account, period_start=START, period_end=END, enqueue=False)
    with pytest.raises(actions.SnapshotError, match="utkast"):
        actions.start_snapshot(world.samordnare, account, enqueue=False)


def test_default_period_runs_from_the_last_saved_snapshot(period_world, world):
    first = actions.save_snapshot(world.kom_a, _made(period_world, world))
    second = actions.start_snapshot(world.kom_a, period_world["account"], enqueue=False)
    assert second.period_start == first.period_end == END


def test_generation_is_claimed_once(period_world, world):
    snapshot = actions.start_snapshot(world.kom_a, period_world["account"], period_start=START, period_end=END,
                                      enqueue=False)
    assert actions.claim_generation(snapshot.pk)
    assert not actions.claim_generation(snapshot.pk)          # another worker holds it
    assert actions.generate_snapshot(snapshot.pk) is None
    later = timezone.now() + actions.LEASE + timedelta(minutes=1)
    assert actions.claim_generation(snapshot.pk, now=later)   # the first worker died


def test_schedule_falls_due_orders_one_draft_and_reminds_once(period_world, world, django_capture_on_commit_callbacks):
    account = period_world["account"]
    schedule.ensure_schedules()
    row = SnapshotSchedule.objects.get(account=account)
    assert row.next_due_at == schedule.add_months(actions.activated_at(account), 6)
    assert schedule.claim_due(now=row.next_due_at - timedelta(days=1)) == []

    due = row.next_due_at + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=False):
        assert schedule.sweep(now=due) == 1
    drafts = list(account.snapshots.drafts())
    assert len(drafts) == 1 and drafts[0].trigger == Snapshot.Trigger.SCHEDULE
    assert len(mail.outbox) == 0  # sent on commit

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.sweep(now=due + timedelta(days=3)) == 0      # same due time: no second reminder
    assert mail.outbox == [] and account.snapshots.count() == 1
    rows = schedule.status_rows(Account.objects.filter(pk=account.pk), now=due)
    assert rows[0]["overdue"] and rows[0]["draft"] == drafts[0]


def test_reminder_mail_goes_to_the_communicators_and_samordnare(period_world, world, django_capture_on_commit_callbacks):
    account = period_world["account"]
    schedule.ensure_schedules()
    due = SnapshotSchedule.objects.get(account=account).next_due_at + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        schedule.sweep(now=due)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert {"kom_a@test.example", "kom_a2@test.example", "samordnare@test.example"} <= set(message.to)
    assert account.name in message.subject
    assert "/ogonblicksbilder/" in message.body
    assert "Äntligen" not in message.body  # no resident's text in mail


def test_saving_moves_the_due_time_and_the_next_period_is_reminded_again(period_world, world):
    account = period_world["account"]
    schedule.ensure_schedules()
    saved = actions.save_snapshot(world.kom_a, _made(period_world, world))
    row = SnapshotSchedule.objects.get(account=account)
    assert row.next_due_at == schedule.add_months(saved.period_end, 6)
    assert schedule.claim_due(now=row.next_due_at + timedelta(minutes=1))[0].account == account
    assert schedule.claim_due(now=row.next_due_at + timedelta(minutes=2)) == []


def test_schedule_runs_from_the_decision_date_not_from_when_it_was_typed_in(world, make_account):
    # An account entered into the register long after it was opened is due from its decision.
    account = make_account(status="beslutat", handle="gammalt", name="Sedan länge aktivt konto",
                           url="https://www.facebook.com/gammalt")
    registry_actions.decide(world.samordnare, account, "aktivt", decided_by=world.chef_a,
                            decision_date=timezone.localdate() - timedelta(days=250), mandate="Uppdrag",
                            anchoring="Ledningsgruppen § 2")
    row = SnapshotSchedule.objects.get(account=account)
    assert timezone.localtime(actions.activated_at(account)).date() == timezone.localdate() - timedelta(days=250)
    assert row.next_due_at == schedule.add_months(actions.activated_at(account), 6)
    assert row.is_due


def test_closing_an_account_orders_its_final_snapshot(world, make_account):
    account = make_account(status="avvecklas", handle="stangs", name="Kontot som stängs",
                           url="https://www.facebook.com/stangs")
    registry_actions.mark_farewell_published(world.kom_a, account, url="https://www.facebook.com/stangs/posts/1")
    assert not account.snapshots.exists()
    registry_actions.decide(world.samordnare, account, "avslutat", decided_by=world.chef_a,
                            decision_date=timezone.localdate(), mandate="Avveckla", anchoring="Ledningsgruppen § 9")
    snapshot = account.snapshots.get()
    assert snapshot.trigger == Snapshot.Trigger.CLOSING and snapshot.status == Snapshot.Status.DRAFT
    assert Event.objects.get(kind="snapshot.requested", object_id=str(snapshot.pk)).actor == world.samordnare


def test_add_months_clamps_to_the_end_of_the_month():
    from datetime import UTC, datetime

    assert schedule.add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)
    assert schedule.add_months(datetime(2026, 1, 15, tzinfo=UTC), 12) == datetime(2027, 1, 15, tzinfo=UTC)


@CHROMIUM
def test_worker_step_generates_a_lost_draft(period_world, world, dead_url, django_capture_on_commit_callbacks):
    Account.objects.filter(pk=period_world["account"].pk).update(url=dead_url)
    snapshot = actions.start_snapshot(world.kom_a, period_world["account"], period_start=START, period_end=END,
                                      enqueue=False)
    assert schedule.worker_step(force=True) == 0          # queued just now: the task will take it
    Snapshot.objects.filter(pk=snapshot.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=False):
        assert schedule.worker_step(force=True) == 1
    snapshot.refresh_from_db()
    assert snapshot.generation == Snapshot.Generation.DONE and snapshot.pdf_sha256 and snapshot.warc_sha256
