from __future__ import annotations

from datetime import UTC, datetime

from insyn.archive import apply as archive_apply
from insyn.archive.models import VersionTriage
from insyn.archive.triage_step import triage_pending
from insyn.capture.actions import record_raw
from insyn.capture.platforms.base import Normalised, NormalizedItem


def test_incoming_versions_are_triaged_once_with_the_model_version(world, make_account):
    account = make_account(status="aktivt")
    raw = record_raw(account=account, platform="facebook_page", source="poll", body=b"x",
                     received_at=datetime(2026, 11, 2, tzinfo=UTC))
    common = {"author_id": "1", "author_name": "Per", "created_at": datetime(2026, 11, 2, tzinfo=UTC)}
    archive_apply.apply(raw, Normalised(items=[
        NormalizedItem(platform_id="p", kind="post", direction="upprattad", record_type="own_post",
                       text="Vi plogar i natt", **common),
        NormalizedItem(platform_id="c", kind="comment", direction="inkommen", record_type="public_comment",
                       text="Hej! Mitt personnummer är 811218-9876, när får jag svar på min ansökan?", **common),
    ]))
    assert triage_pending() == 1  # the own post is not triaged
    assert triage_pending() == 0  # idempotent
    result = VersionTriage.objects.get()
    assert result.version.item.platform_id == "c"
    assert "personnummer" in result.sensitive and result.needs_attention
    assert result.spans and result.spans[0]["kind"] == "personnummer"
    assert result.model_version
