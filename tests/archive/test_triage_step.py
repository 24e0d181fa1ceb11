from __future__ import annotations

from datetime import UTC, datetime

from insyn.archive import apply as archive_apply
from insyn.archive.models import VersionTriage
from insyn.archive.triage_step import triage_pending
from insyn.capture.actions import record_raw
from insyn.capture.platforms.base import Normalised, NormalizedItem

COMMON = {"author_id": "1", "author_name": "Per", "created_at": datetime(2026, 11, 2, tzinfo=UTC)}


def _capture(account, items: list[NormalizedItem]) -> None:
    raw = record_raw(account=account, platform="facebook_page", source="poll", body=b"x",
                     received_at=datetime(2026, 11, 2, tzinfo=UTC))
    archive_apply.apply(raw, Normalised(items=items))


def _post(platform_id: str, text: str) -> NormalizedItem:
    return NormalizedItem(platform_id=platform_id, kind="post", direction="upprattad", record_type="own_post",
                          text=text, **COMMON)


def _comment(platform_id: str, text: str, thread: str | None = None) -> NormalizedItem:
    return NormalizedItem(platform_id=platform_id, kind="comment", direction="inkommen",
                          record_type="public_comment", parent_platform_id=thread, thread_platform_id=thread,
                          text=text, **COMMON)


def test_incoming_versions_are_triaged_once_with_the_model_version(world, make_account):
    _capture(make_account(status="aktivt"), [
        _post("p", "Vi plogar i natt"),
        _comment("c", "Hej! Mitt personnummer är 811218-9876, när får jag svar på min ansökan?"),
    ])
    assert triage_pending() == 1  # the own post is not triaged
    assert triage_pending() == 0  # idempotent
    result = VersionTriage.objects.get()
    assert result.version.item.platform_id == "c"
    assert "personnummer" in result.sensitive and result.needs_attention
    assert result.spans and result.spans[0]["kind"] == "personnummer"
    assert result.model_version


def test_a_comment_is_triaged_with_its_threads_post(world, make_account):
    _capture(make_account(status="aktivt"), [
        _post("p1", "Nu öppnar den nya återvinningscentralen på Norrvägen! Här kan du lämna grovavfall, "
                    "elektronik och farligt avfall."),
        _comment("c1", "När öppnar den?", thread="p1"),
        # The same words under a post that is not in the archive: read alone.
        _comment("c2", "När öppnar den?", thread="p9"),
    ])
    assert triage_pending() == 2
    in_thread = VersionTriage.objects.get(version__item__platform_id="c1")
    alone = VersionTriage.objects.get(version__item__platform_id="c2")
    assert in_thread.topic == "avfall_atervinning" and alone.topic != "avfall_atervinning"
    assert any(e["source"] == "thread" for e in in_thread.evidence if e["field"] == "topic")
