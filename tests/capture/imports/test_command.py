"""`insyn import KIND PATH --account ACCOUNT [--resume] [--dry-run]` through the command door."""

from __future__ import annotations

import importlib
import io
import os
import signal

import pytest
from django.core.management import CommandError, call_command

from insyn.archive.models import Item
from insyn.capture.models import ImportRun

from .conftest import FIXTURES
from .test_resume import write_archive


def _import(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_import_prints_progress_lines_and_a_summary(x_account, tmp_path, monkeypatch, capsys):
    path = str(write_archive(tmp_path / "x", 25))
    out, _ = _import("x-archive", path, "--account", "angekommun", "--batch-size", "5", "--every", "10")
    run = ImportRun.objects.get()
    assert f"Import {run.pk} klar (angekommun): 25 lästa, 25 nya, 0 dubbletter, 0 felaktiga" in out
    # stderr is not a terminal here: one line per --every records, no bar.
    progress = capsys.readouterr().err
    assert "import: 10 poster lästa" in progress and "import: 20 poster lästa" in progress
    assert "\r" not in progress


@pytest.mark.django_db
def test_malformed_records_are_listed_with_file_and_record(x_account):
    out, _ = _import("x-archive", str(FIXTURES / "x_archive" / "malformed"), "--account", "1234567890")
    assert "4 nya" in out and "2 felaktiga" in out
    assert "data/tweets.js, post 3: tweet 1897000000000000103: full_text saknas" in out
    assert "data/tweets.js, post 4:" in out


@pytest.mark.django_db
def test_ctrl_c_stops_after_the_batch_and_resume_continues(x_account, tmp_path, monkeypatch):
    command = importlib.import_module("insyn.capture.management.commands.import")
    real = command.run_import

    def run_with_ctrl_c_during_first_batch(*args, on_progress, **kwargs):
        def progress(p):
            if p.run.position == 5:
                os.kill(os.getpid(), signal.SIGINT)  # what the terminal sends on Ctrl-C
            on_progress(p)
        return real(*args, on_progress=progress, **kwargs)

    monkeypatch.setattr(command, "run_import", run_with_ctrl_c_during_first_batch)
    path = str(write_archive(tmp_path / "x", 20))
    out, _ = _import("x-archive", path, "--account", "angekommun", "--batch-size", "5")
    run = ImportRun.objects.get()
    assert run.status == "interrupted" and run.position == 5
    assert f"Import {run.pk} avbruten efter 5 poster" in out and "--resume" in out
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored

    monkeypatch.setattr(command, "run_import", real)
    out, _ = _import("x-archive", path, "--account", "angekommun", "--resume")
    assert f"Import {run.pk} klar" in out
    assert Item.objects.filter(account=x_account).count() == 20


@pytest.mark.django_db
def test_wrong_input_gives_a_clear_error_and_stores_nothing(x_account, tmp_path):
    with pytest.raises(CommandError, match="hittar varken data/tweets.js"):
        _import("x-archive", str(FIXTURES / "facebook_dyi" / "export"), "--account", "angekommun")
    with pytest.raises(CommandError, match="Inget konto heter"):
        _import("x-archive", str(FIXTURES / "x_archive" / "archive"), "--account", "okant")
    with pytest.raises(CommandError, match="ingen avbruten import|Det finns ingen"):
        _import("x-archive", str(FIXTURES / "x_archive" / "archive"), "--account", "angekommun", "--resume")
    assert not ImportRun.objects.exists() and not Item.objects.exists()


@pytest.mark.django_db
def test_dry_run_reports_and_stores_nothing(fb_account):
    out, _ = _import("facebook-dyi", str(FIXTURES / "facebook_dyi" / "export"), "--account", "900100200300",
                     "--dry-run")
    assert "Provkörning (facebook-dyi): 7 poster lästa" in out and "Inget sparat" in out
    assert not ImportRun.objects.exists() and not Item.objects.exists()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.django_db
def test_on_a_terminal_a_progress_bar_is_drawn_on_stderr(x_account, tmp_path, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    path = str(write_archive(tmp_path / "x", 12))
    out, _ = _import("x-archive", path, "--account", "angekommun", "--batch-size", "4")
    bar = terminal.getvalue()
    assert "\r" in bar and "import:" in bar and "100%" in bar and "poster=12" in bar
    assert "klar" in out and "import:" not in out  # the summary on stdout, the bar only on stderr


@pytest.mark.django_db
def test_a_second_ctrl_c_stops_at_once_and_the_batch_in_flight_is_rolled_back(x_account, tmp_path, monkeypatch):
    from insyn.capture.imports import actions as import_actions

    real, calls = import_actions._apply, []

    def interrupted_in_the_second_batch(raw, normalised):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(raw, normalised)

    monkeypatch.setattr(import_actions, "_apply", interrupted_in_the_second_batch)
    path = str(write_archive(tmp_path / "x", 15))
    out = io.StringIO()
    with pytest.raises(CommandError, match="avbröts") as excinfo:
        call_command("import", "x-archive", path, "--account", "angekommun", "--batch-size", "5", stdout=out)
    assert excinfo.value.returncode == 130
    run = ImportRun.objects.get()
    assert (run.status, run.position) == ("interrupted", 5) and "avbruten efter 5 poster" in out.getvalue()
    monkeypatch.undo()
    _import("x-archive", path, "--account", "angekommun", "--resume")
    assert Item.objects.filter(account=x_account).count() == 15


@pytest.mark.django_db
def test_a_handle_used_on_several_platforms_finds_the_account_the_export_belongs_to(x_account, fb_account):
    # A kommun's Facebook page and X account are both "angekommun"; the resume hint prints the handle.
    _import("x-archive", str(FIXTURES / "x_archive" / "archive"), "--account", "angekommun")
    _import("facebook-dyi", str(FIXTURES / "facebook_dyi" / "export"), "--account", "@angekommun")
    assert {run.kind: run.account for run in ImportRun.objects.all()} == {"x-archive": x_account,
                                                                         "facebook-dyi": fb_account}


@pytest.mark.django_db
def test_already_imported_is_dated_in_local_time(x_account):
    from django.utils import timezone

    path = str(FIXTURES / "x_archive" / "archive")
    _import("x-archive", path, "--account", "angekommun")
    finished = timezone.localtime(ImportRun.objects.get().finished_at)  # Europe/Stockholm
    with pytest.raises(CommandError, match=f"{finished:%Y-%m-%d %H:%M}"):
        _import("x-archive", path, "--account", "angekommun")
