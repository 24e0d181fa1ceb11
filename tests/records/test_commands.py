"""`insyn gallra`, `insyn diarium`, `insyn verify` after gallring, the scheduled run, and the
signal other apps use to empty their own copies."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from insyn.archive.models import Item
from insyn.eventlog.models import ChainHead
from insyn.records import actions, gallring, tasks
from insyn.records.models import GallringRun
from insyn.records.signals import item_content_disposed
from tests.records.conftest import feed, normalized

OLD = datetime(2023, 1, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def old_comments(world, fb_account):
    feed(fb_account, normalized("c1", "Gammal kommentar ett"), normalized("c2", "Gammal kommentar två"), when=OLD)


def _decision(world, arkivarie, **kw):
    return actions.record_gallring_decision(arkivarie, reference="KS 2025/14 § 37", decided_by="Kommunstyrelsen",
                                            decision_date=date(2025, 2, 1), authorities=[world.ks],
                                            classes=["kommentarer"], **kw)


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_gallra_without_a_decision_is_refused(world, old_comments):
    assert "Inget gällande gallringsbeslut" in _run("gallra", "--dry-run")
    with pytest.raises(CommandError, match="registrerat beslut"):
        _run("gallra")
    assert Item.objects.get(platform_id="c1").text


def test_gallra_dry_run_then_run_then_verify(world, arkivarie, old_comments):
    decision = _decision(world, arkivarie)
    head = ChainHead.objects.get().seq
    out = _run("gallra", "--dry-run")
    assert "kommentarer\t2\t2023-01-10\t2023-01-10\t0\tP2Y\t" in out and f"KS 2025/14 § 37 (#{decision.pk})" in out
    assert "Provkörning: ingenting har ändrats." in out
    assert ChainHead.objects.get().seq == head and Item.objects.get(platform_id="c1").text
    out = _run("gallra", "--user", "arkivarie")
    assert "klar: 2 poster" in out
    assert Item.objects.get(platform_id="c1").text == "" and GallringRun.objects.get().started_by == arkivarie
    assert "kedjan är obruten" in _run("verify")


def test_gallra_refuses_a_user_who_is_not_arkivarie(world, arkivarie, old_comments):
    _decision(world, arkivarie)
    with pytest.raises(CommandError):
        _run("gallra", "--user", "kom_a")
    assert Item.objects.get(platform_id="c1").text


def test_diarium_export_and_series(world, tmp_path):
    year = timezone.localdate().year
    assert "{prefix}-{year}-{seq}" in _run("diarium", "series", "--authority", "KS", "--year", str(year),
                                           "--format", "{prefix}-{year}-{seq}", "--pad", "3")
    actions.register_document(world.registrator, authority=world.ks, received_or_drawn_up=date(2026, 3, 2),
                              counterpart="Maja Ek", subject="Hemligt", sekretess=True, osl_reference="OSL 21 kap. 1 §")
    target = tmp_path / "ks.json"
    _run("diarium", "export", "--authority", "KS", "--format", "json", "-o", str(target))
    data = json.loads(target.read_text())
    assert data["registrations"][0]["diarienummer"] == f"KS-{year}-001" and "Maja" not in target.read_text()
    with pytest.raises(CommandError, match="registrator"):
        _run("diarium", "export", "--authority", "KS", "--protected", "--user", "kom_a")
    _run("diarium", "export", "--authority", "KS", "--format", "erms", "--protected", "--user", "registrator",
         "-o", str(tmp_path / "ks.xml"))
    assert "Maja Ek" in (tmp_path / "ks.xml").read_text()
    with pytest.raises(CommandError, match="nummer"):
        _run("diarium", "series", "--authority", "KS", "--year", str(year), "--format", "{prefix} {year}/{seq}")


def test_scheduled_gallring_orders_one_run_a_day(world, arkivarie, old_comments):
    assert tasks.schedule_due_gallring(force=True) == 0          # no decision marked automatic
    _decision(world, arkivarie, scheduled=True)
    assert tasks.schedule_due_gallring(force=True) == 1
    run = GallringRun.objects.get()
    assert run.scheduled and run.status == "queued" and run.started_by is None
    assert tasks.schedule_due_gallring(force=True) == 0          # one is already queued
    tasks.run_gallring_task.call(run.pk)
    assert Item.objects.get(platform_id="c1").text == ""
    assert tasks.schedule_due_gallring(force=True) == 0          # ran within the last day
    assert tasks.schedule_due_gallring() == 0                    # and the worker's cheap path


def test_other_apps_empty_their_copies_in_the_same_transaction(world, arkivarie, old_comments):
    _decision(world, arkivarie)
    seen = []

    def receiver(sender, run, item_ids, record_class, **kw):
        seen.append((record_class, sorted(item_ids)))

    item_content_disposed.connect(receiver)
    try:
        gallring.run_gallring(arkivarie)
    finally:
        item_content_disposed.disconnect(receiver)
    assert seen == [("kommentarer", sorted(Item.objects.values_list("pk", flat=True)))]


def test_a_failing_receiver_rolls_its_batch_back(world, arkivarie, old_comments):
    _decision(world, arkivarie)

    def broken(sender, **kw):
        raise RuntimeError("the inbox could not empty its notes")

    item_content_disposed.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            gallring.run_gallring(arkivarie)
    finally:
        item_content_disposed.disconnect(broken)
    assert Item.objects.get(platform_id="c1").text == "Gammal kommentar ett"
    run = GallringRun.objects.get()
    assert run.status == "failed" and "RuntimeError" in run.error
    assert gallring.run_gallring(arkivarie).totals["items"] == 2     # the next run does it
