"""Interrupt and resume: no record twice, none skipped; a changed file never resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from insyn.archive.models import Item, RawCapture
from insyn.capture import actions as capture_actions
from insyn.capture.imports.actions import ImportRefused, run_import
from insyn.capture.models import ImportRun
from insyn.eventlog.log import verify
from insyn.eventlog.models import Event


def write_archive(folder: Path, n: int, *, text: str = "Inlägg {i} om snöröjningen på Storgatan.") -> Path:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "account.js").write_text('window.YTD.account.part0 = [{"account": {"accountId": "1234567890", '
                                     '"username": "angekommun"}}]', encoding="utf-8")
    tweets = [{"tweet": {"id_str": str(1900000000000000000 + i), "full_text": text.format(i=i),
                         "created_at": f"Mon Mar 03 07:{i // 60:02d}:{i % 60:02d} +0000 2025"}} for i in range(n)]
    (data / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(tweets, ensure_ascii=False, indent=2),
                                    encoding="utf-8")
    return folder


class Crash(Exception):
    pass


def _ids(account):
    return sorted(Item.objects.filter(account=account).values_list("platform_id", flat=True))


def _expected(n):
    return sorted(str(1900000000000000000 + i) for i in range(n))


@pytest.mark.django_db
def test_a_crash_after_a_batch_resumes_without_duplicates_or_gaps(x_account, tmp_path):
    path = str(write_archive(tmp_path / "x", 50))
    batches = []

    def crash_after_third(progress):
        batches.append(progress.run.position)
        if len(batches) == 3:
            raise Crash

    with pytest.raises(Crash):
        run_import("x-archive", path, x_account, batch_size=7, on_progress=crash_after_third)
    run = ImportRun.objects.get()
    assert (run.status, run.position) == (ImportRun.Status.INTERRUPTED, 21)
    assert len(_ids(x_account)) == 21

    resumed = run_import("x-archive", path, x_account, batch_size=7, resume=True)
    assert resumed.pk == run.pk and resumed.status == ImportRun.Status.FINISHED
    assert _ids(x_account) == _expected(50)
    assert (resumed.records_read, resumed.items_stored, resumed.duplicates) == (50, 50, 0)
    # Every record was stored raw exactly once.
    bodies = [json.loads(bytes(r.body))["records"] for r in RawCapture.objects.filter(source="import")]
    assert sorted(t["tweet"]["id_str"] for records in bodies for t in records) == _expected(50)
    kinds = list(Event.objects.filter(object_type="capture.importrun").order_by("seq").values_list("kind", flat=True))
    assert kinds == ["capture.import_started", "capture.import_interrupted", "capture.import_resumed",
                     "capture.import_finished"]
    assert verify().ok


@pytest.mark.django_db
def test_a_crash_inside_a_batch_rolls_the_batch_back_and_resume_redoes_it(x_account, tmp_path, monkeypatch):
    path = str(write_archive(tmp_path / "x", 30))
    real, calls = capture_actions.record_raw, []

    def record_raw_failing_on_third(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise Crash("disk full")
        return real(**kwargs)

    monkeypatch.setattr(capture_actions, "record_raw", record_raw_failing_on_third)
    with pytest.raises(Crash):
        run_import("x-archive", path, x_account, batch_size=10)
    monkeypatch.setattr(capture_actions, "record_raw", real)
    run = ImportRun.objects.get()
    assert run.position == 20 and run.records_read == 20 and len(_ids(x_account)) == 20

    run_import("x-archive", path, x_account, batch_size=10, resume=True)
    assert _ids(x_account) == _expected(30)
    assert RawCapture.objects.filter(source="import").count() == 3


@pytest.mark.django_db
def test_stop_request_ends_cleanly_after_the_current_batch(x_account, tmp_path):
    path = str(write_archive(tmp_path / "x", 20))
    run = run_import("x-archive", path, x_account, batch_size=5, should_stop=lambda: True)
    assert (run.status, run.position) == (ImportRun.Status.INTERRUPTED, 5)
    assert len(_ids(x_account)) == 5
    # Without --resume the interrupted import is not started over.
    with pytest.raises(ImportRefused, match="--resume"):
        run_import("x-archive", path, x_account)
    run_import("x-archive", path, x_account, resume=True)
    assert _ids(x_account) == _expected(20)


@pytest.mark.django_db
def test_re_running_a_finished_import_adds_nothing(x_account, tmp_path):
    path = str(write_archive(tmp_path / "x", 12))
    run_import("x-archive", path, x_account)
    raws, events = RawCapture.objects.count(), Event.objects.count()
    for resume in (False, True):
        with pytest.raises(ImportRefused, match="redan importerad|ingen avbruten"):
            run_import("x-archive", path, x_account, resume=resume)
    assert (RawCapture.objects.count(), Event.objects.count()) == (raws, events)
    assert _ids(x_account) == _expected(12)


@pytest.mark.django_db
def test_a_different_file_with_the_same_name_does_not_resume(x_account, tmp_path):
    folder = write_archive(tmp_path / "x", 20)
    run_import("x-archive", str(folder), x_account, batch_size=5, should_stop=lambda: True)
    # A new download lands at the same path: same size, other content.
    write_archive(folder, 20, text="Annat inlägg {i} om bygglov på Storgatan.")
    with pytest.raises(ImportRefused, match="har ändrats"):
        run_import("x-archive", str(folder), x_account, resume=True)
    assert len(_ids(x_account)) == 5  # nothing more was taken from the new file
    # Started as a new import it imports the new file from its beginning.
    run = run_import("x-archive", str(folder), x_account)
    assert run.position == 20 and ImportRun.objects.count() == 2
    assert Item.objects.get(platform_id="1900000000000000007").text == "Annat inlägg 7 om bygglov på Storgatan."


@pytest.mark.django_db
def test_a_running_import_is_not_resumed_twice(x_account, tmp_path):
    path = str(write_archive(tmp_path / "x", 10))
    seen = []

    def try_to_resume_meanwhile(progress):
        if not seen:
            seen.append(1)
            with pytest.raises(ImportRefused, match="pågår"):
                run_import("x-archive", path, x_account, resume=True)

    run = run_import("x-archive", path, x_account, batch_size=5, on_progress=try_to_resume_meanwhile)
    assert run.status == ImportRun.Status.FINISHED and seen


@pytest.mark.django_db
def test_a_broken_file_is_reported_once_across_an_interruption(x_account, tmp_path):
    folder = write_archive(tmp_path / "x", 10)
    tweets = folder / "data" / "tweets.js"
    tweets.write_text(tweets.read_text(encoding="utf-8")[:-40], encoding="utf-8")  # a cut-off download
    (folder / "data" / "direct-messages.js").write_text(
        'window.YTD.direct_messages.part0 = [{"dmConversation": {"conversationId": "1-2", "messages": ['
        + ",".join(f'{{"messageCreate": {{"id": "{i}", "senderId": "2", "recipientId": "1234567890", '
                   f'"text": "Fråga {i}", "createdAt": "2025-03-02T08:0{i}:00.000Z"}}}}' for i in range(6))
        + "]}}]", encoding="utf-8")
    calls = []
    run = run_import("x-archive", str(folder), x_account, batch_size=3,
                     should_stop=lambda: calls.append(1) or len(calls) == 5)
    assert run.status == ImportRun.Status.INTERRUPTED
    run = run_import("x-archive", str(folder), x_account, batch_size=3, resume=True)
    assert run.error_total == 1 and run.errors[0]["file"] == "data/tweets.js"
    assert Item.objects.filter(account=x_account, kind="message").count() == 6
