"""The import commands `insyn demo` prints work against the demo organisation as printed."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command

from insyn.capture.models import ImportRun
from insyn.registry.demo import load_demo
from insyn.registry.models import Platform
from insyn.server.management.commands.demo import Command as DemoCommand

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_the_import_commands_in_the_demo_banner_import_into_the_demo_accounts(monkeypatch):
    load_demo()
    out = io.StringIO()
    DemoCommand(stdout=out)._print_logins(8000)
    commands = [line.split(".venv/bin/insyn ", 1)[1] for line in out.getvalue().splitlines()
                if ".venv/bin/insyn import " in line]
    assert len(commands) == 2
    monkeypatch.chdir(REPO)  # the fixture paths are relative to the checkout, where `make demo` runs
    for command in commands:
        call_command(*shlex.split(command), stdout=io.StringIO(), stderr=io.StringIO())
    runs = {run.kind: run for run in ImportRun.objects.select_related("account")}
    assert runs["x-archive"].account.platform == Platform.X
    assert runs["facebook-dyi"].account.platform == Platform.FACEBOOK_PAGE
    assert all(run.status == "finished" and run.items_stored > 0 for run in runs.values())
