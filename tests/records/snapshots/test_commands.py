"""`insyn snapshot ACCOUNT --from --to`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from insyn.records.snapshots.models import Snapshot

pytestmark = pytest.mark.django_db


def test_snapshot_command_generates_a_draft_for_the_period(period_world):
    account = period_world["account"]
    out = StringIO()
    call_command("snapshot", str(account.pk), "--from", "2026-03-01", "--to", "2026-03-31", "--skip-screenshot", stdout=out)
    snapshot = Snapshot.objects.get(account=account)
    assert snapshot.status == Snapshot.Status.DRAFT and snapshot.generation == Snapshot.Generation.DONE
    assert snapshot.summary_data["total"] == 6
    text = out.getvalue()
    assert snapshot.pdf_sha256 in text and snapshot.warc_sha256 in text
    assert f"/ogonblicksbilder/{snapshot.pk}/" in text


def test_snapshot_command_errors_are_clear(period_world):
    with pytest.raises(CommandError, match="no account"):
        call_command("snapshot", "finns-inte", stdout=StringIO())
    with pytest.raises(CommandError, match="not a date"):
        call_command("snapshot", str(period_world["account"].pk), "--from", "1 mars", stdout=StringIO())
