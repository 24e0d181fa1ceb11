"""Gallring (R23): only under a recorded decision, never what is held or requested, a dry run
changes nothing, content goes but provenance and the event chain stay intact."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from insyn.archive import search
from insyn.archive.media import media_path, store_media
from insyn.archive.models import (
    Item,
    ItemMedia,
    ItemStateChange,
    ItemVersion,
    RawCapture,
    VersionTriage,
)
from insyn.capture.actions import process_raw, record_raw
from insyn.eventlog.log import verify
from insyn.eventlog.models import ChainHead, Event
from insyn.records import actions, gallring
from insyn.records.holds import is_protected, protection_reasons
from insyn.records.models import (
    DisposalLogEntry,
    DisposedItem,
    DisposedMedia,
    DisposedRaw,
    GallringDecision,
    GallringRun,
)
from insyn.records.retention import Period, class_of
from tests.records.conftest import feed, normalized

OLD = datetime(2023, 1, 10, 9, 0, tzinfo=UTC)     # more than two years ago
RECENT = datetime.now(UTC) - timedelta(days=30)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"
PAGE_ID = "104512345678901"
POST = "104512345678901_798765432109876"
PNG = b"\x89PNG\r\n\x1a\n" + b"gallring-test-image" * 10


@pytest.fixture
def archive(world, fb_account):
    """Old and recent items of every class in one account."""
    feed(fb_account, normalized("p1", "Vårt eget inlägg", kind="post", author="Kommunen"), when=OLD)
    feed(fb_account, normalized("c1", "Gammal kommentar om snöröjningen", author="Anna Ek"),
         normalized("c2", "Ännu en gammal kommentar", author="Bo Berg"),
         normalized("m1", "Gammalt direktmeddelande", kind="message", thread="t1", author="Cilla Dahl"),
         normalized("x1", "Olagligt hot", author="Elak Person"), when=OLD)
    feed(fb_account, normalized("c3", "Färsk kommentar om snöröjningen"), when=RECENT)
    x1 = Item.objects.get(platform_id="x1")
    ItemStateChange.objects.create(item=x1, state="removed_by_us", previous_state="visible", seen_at=OLD + timedelta(hours=1),
                                   source="insyn", actor=world.kom_a, reason="Hot mot Anna Ek", legal_basis="olaga_hot")
    Item.objects.filter(pk=x1.pk).update(state="removed_by_us", state_changed_at=OLD + timedelta(hours=1))
    return {i.platform_id: i for i in Item.objects.all()}


@pytest.fixture
def decision(world, arkivarie):
    return actions.record_gallring_decision(
        arkivarie, reference="KS 2025/14 § 37", decided_by="Kommunstyrelsen", decision_date=date(2025, 2, 1),
        authorities=[world.ks, world.sn], classes=["kommentarer", "direktmeddelanden", "borttaget_olagligt"])


def _texts():
    return {i.platform_id: i.text for i in Item.objects.all()}


def _snapshot():
    tables = [Item, ItemVersion, ItemStateChange, RawCapture, DisposedItem, DisposalLogEntry, GallringRun, Event]
    head = ChainHead.objects.get()
    return ([m.objects.count() for m in tables], head.seq, head.hash, sorted(_texts().items()),
            sorted(ItemVersion.objects.values_list("id", "text")), sorted((r.pk, bytes(r.body)) for r in RawCapture.objects.all()))


def test_classes_follow_the_table(world, archive):
    assert {k: class_of(i) for k, i in archive.items()} == {
        "p1": "egna_inlagg", "c1": "kommentarer", "c2": "kommentarer", "c3": "kommentarer",
        "m1": "direktmeddelanden", "x1": "borttaget_olagligt"}
    actions.register_document(world.registrator, authority=world.ks, item=archive["c2"], received_or_drawn_up=date(2023, 1, 10),
                              counterpart="Bo Berg", subject="Synpunkt", sekretess=False)
    assert class_of(archive["c2"]) == "registrerade"


def test_periods():
    assert Period.parse("P2Y").before(datetime(2026, 2, 28, tzinfo=UTC)) == datetime(2024, 2, 28, tzinfo=UTC)
    assert [Period.parse(p).human for p in ("P2Y", "P1Y6M", "P1M", "P90D", "P2W")] == [
        "2 år", "1 år 6 månader", "1 månad", "90 dagar", "14 dagar"]
    assert Period.parse("P1M").before(datetime(2026, 3, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert Period.parse("P1Y6M2W1D").before(datetime(2026, 7, 20, tzinfo=UTC)) == datetime(2025, 1, 5, tzinfo=UTC)
    for bad in ("P", "2Y", "PT5H", "P1.5Y", ""):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_recording_a_decision(world, arkivarie):
    with pytest.raises(PermissionDenied):
        actions.record_gallring_decision(world.registrator, reference="x", decided_by="y", decision_date=date(2025, 1, 1),
                                         authorities=[world.ks], classes=["kommentarer"])
    with pytest.raises(ValidationError) as exc:
        actions.record_gallring_decision(arkivarie, reference="", decided_by="KS", decision_date=date(2025, 1, 1),
                                         authorities=[], classes=["egna_inlagg", "okand"])
    assert set(exc.value.message_dict) == {"reference", "authorities", "classes"}
    decision = actions.record_gallring_decision(arkivarie, reference="KS 2025/14 § 37", decided_by="Kommunstyrelsen",
                                                decision_date=date(2025, 2, 1), authorities=[world.ks],
                                                classes=["kommentarer"])
    assert decision.classes == {"kommentarer": "P2Y"} and decision.policy_version
    assert Event.objects.filter(kind="records.gallring_decision_recorded").exists()


def test_a_run_without_a_decision_is_refused(world, archive, arkivarie):
    before = _snapshot()
    with pytest.raises(gallring.GallringRefused, match="beslut"):
        gallring.run_gallring(arkivarie)
    assert _snapshot() == before
    with pytest.raises(PermissionDenied):
        gallring.run_gallring(world.kom_a)


def test_a_revoked_decision_authorises_nothing(world, archive, arkivarie, decision):
    actions.revoke_gallring_decision(arkivarie, decision, reason="Ersatt av nytt beslut")
    with pytest.raises(gallring.GallringRefused):
        gallring.run_gallring(arkivarie)
    assert Item.objects.get(platform_id="c1").text


def test_dry_run_shows_what_would_go_and_changes_nothing(world, archive, arkivarie, decision):
    before = _snapshot()
    plan = gallring.preview(user=arkivarie)
    by_class = {cp.key: cp for cp in plan.classes}
    assert {k: v.count for k, v in by_class.items()} == {"kommentarer": 2, "direktmeddelanden": 1, "borttaget_olagligt": 1}
    assert by_class["kommentarer"].oldest == OLD and by_class["kommentarer"].decision == decision
    assert by_class["borttaget_olagligt"].oldest == OLD + timedelta(hours=1)   # its removal restarted the clock
    assert _snapshot() == before


def test_a_run_removes_content_and_keeps_provenance(world, archive, arkivarie, decision):
    c1 = archive["c1"]
    v1 = ItemVersion.objects.get(item=c1)
    VersionTriage.objects.create(version=v1, model_version="t", needs_answer=True, topic="gata_trafik_parkering",
                                 evidence=[{"field": "needs_answer", "quote": "snöröjningen"}],
                                 spans=[{"start": 0, "end": 4, "kind": "adress"}])
    hashes = (c1.text_sha256, v1.sha256, c1.first_raw.sha256)
    assert search.search_ids("snöröjningen") != []
    run = gallring.run_gallring(arkivarie, batch_size=2)

    assert run.status == "finished"
    assert run.totals["items"] == 4 and run.totals["classes"] == {"kommentarer": 2, "direktmeddelanden": 1,
                                                                  "borttaget_olagligt": 1}
    texts = _texts()
    assert texts["c1"] == texts["c2"] == texts["m1"] == texts["x1"] == ""
    assert texts["p1"] == "Vårt eget inlägg" and texts["c3"] == "Färsk kommentar om snöröjningen"
    c1.refresh_from_db()
    v1.refresh_from_db()
    assert (c1.author_name, c1.author_id, v1.text) == ("", "", "")
    assert (c1.text_sha256, v1.sha256, c1.first_raw.sha256) == hashes         # provenance stays
    assert VersionTriage.objects.get(version=v1).evidence == [] and VersionTriage.objects.get(version=v1).topic
    assert ItemStateChange.objects.get(item=archive["x1"]).reason == ""       # the reason quoted the content
    assert ItemStateChange.objects.get(item=archive["x1"]).legal_basis == "olaga_hot"
    assert [h.item_id for h in search.search_ids("snöröjningen")] == [archive["c3"].pk]
    assert DisposedItem.objects.count() == 4

    entries = list(DisposalLogEntry.objects.order_by("batch"))
    assert sum(e.items for e in entries) == 4 and all(e.decision_reference == "KS 2025/14 § 37" for e in entries)
    assert all(e.event_seq for e in entries)
    chained = Event.objects.filter(kind="records.gallrad")
    assert chained.count() == len(entries)
    dump = str(list(Event.objects.filter(kind__startswith="records.").values_list("data", flat=True)))
    assert "snöröjning" not in dump and "Anna" not in dump
    result = verify()
    assert result.ok, result.reason


def test_legal_holds_and_open_requests_stop_gallring(world, archive, arkivarie, decision, fb_account):
    feed(fb_account, normalized("c4", "Svar i tråden p9", parent="p9", thread="p9"),
         normalized("c5", "Kommentar som begärts ut", parent="p9", thread="p7"), when=OLD)
    c4, c5 = Item.objects.get(platform_id="c4"), Item.objects.get(platform_id="c5")
    item_hold = actions.place_hold(arkivarie, item=archive["c1"], reason="Polisanmälan")
    actions.place_hold(world.samordnare, account=fb_account, thread_platform_id="p9", reason="Tvist om tråden")
    actions.add_to_open_request(c5, "Begäran 2026-17")
    assert is_protected(archive["c1"]) and is_protected(c4) and is_protected(c5)
    assert not is_protected(archive["c2"])
    assert "Polisanmälan" in protection_reasons(archive["c1"])[0]
    assert "Begäran 2026-17" in protection_reasons(c5)[0]

    plan = {cp.key: cp for cp in gallring.preview().classes}
    assert plan["kommentarer"].count == 1 and plan["kommentarer"].held == 3
    run = gallring.run_gallring(arkivarie)
    texts = _texts()
    assert texts["c1"] and texts["c4"] and texts["c5"] and texts["c2"] == ""
    assert run.totals["held"] == 3

    actions.release_hold(arkivarie, item_hold, reason="Ärendet avslutat")
    actions.close_open_request("Begäran 2026-17")
    gallring.run_gallring(arkivarie)
    texts = _texts()
    assert texts["c1"] == "" and texts["c5"] == "" and texts["c4"]


def test_an_account_hold_stops_everything_in_the_account(world, archive, arkivarie, decision, fb_account):
    actions.place_hold(arkivarie, account=fb_account, reason="Tillsynsärende hos IMY")
    with pytest.raises(PermissionDenied):
        actions.release_hold(world.samordnare, fb_account.legal_holds.get(), reason="x")
    before = _texts()
    gallring.run_gallring(arkivarie)
    assert _texts() == before


def test_a_hold_placed_during_a_batch_wins(world, archive, arkivarie, decision, monkeypatch):
    """The batch re-checks protection inside its transaction: a hold committed after the batch
    was selected still saves the item."""
    real = gallring._dispose_batch

    def hold_first(run, cp, ids, batch_no, *, residue):
        if archive["c1"].pk in ids and not residue:
            actions.place_hold(arkivarie, item=archive["c1"], reason="Lagd under körningen")
        return real(run, cp, ids, batch_no, residue=residue)

    monkeypatch.setattr(gallring, "_dispose_batch", hold_first)
    gallring.run_gallring(arkivarie)
    assert _texts()["c1"] and _texts()["c2"] == ""


def test_the_longer_period_wins_and_bevaras_is_never_gallrad(world, archive, arkivarie, settings):
    decision = actions.record_gallring_decision(arkivarie, reference="KS 2025/1", decided_by="KS",
                                                decision_date=date(2025, 1, 1), authorities=[world.ks],
                                                classes=["kommentarer"])
    GallringDecision.objects.filter(pk=decision.pk).update(classes={"kommentarer": "P1M", "egna_inlagg": "P1M"})
    plan = gallring.make_plan()
    assert [(cp.key, cp.period.iso) for cp in plan.classes] == [("kommentarer", "P2Y")]
    assert plan.skipped == [("Egna inlägg (upprättade)", "bevaras enligt riktlinjerna som gäller nu")]
    gallring.run_gallring(arkivarie)
    assert _texts()["p1"] and _texts()["c3"]


def test_registered_items_are_kept(world, archive, arkivarie, decision):
    actions.register_document(world.registrator, authority=world.ks, item=archive["c2"], received_or_drawn_up=date(2023, 1, 10),
                              counterpart="Bo Berg", subject="Synpunkt på snöröjning", sekretess=False)
    gallring.run_gallring(arkivarie)
    assert _texts()["c2"] == "Ännu en gammal kommentar"


def test_media_files_go_unless_a_kept_item_uses_them(world, archive, arkivarie, decision):
    shared = store_media(PNG)
    only_old = store_media(PNG + b"-2")
    ItemMedia.objects.create(item=archive["c1"], platform_url="https://cdn.example/a.png", media=shared)
    ItemMedia.objects.create(item=archive["c3"], platform_url="https://cdn.example/a.png", media=shared)
    ItemMedia.objects.create(item=archive["c2"], platform_url="https://cdn.example/b.png", media=only_old)
    gallring.run_gallring(arkivarie)
    assert media_path(shared.sha256).exists()
    assert not media_path(only_old.sha256).exists()
    assert DisposedMedia.objects.get().media_id == only_old.sha256
    only_old.refresh_from_db()
    assert only_old.size == len(PNG) + 2      # the Media row (hash, size, type) remains


def _comments_page(account, *, when):
    body = (FIXTURES / "comments_post1_1.json").read_bytes()
    raw = record_raw(account=account, platform="facebook_page", source="poll", body=body, received_at=when,
                     context={"endpoint": "comments", "post_id": POST})
    assert process_raw(raw.pk) == "processed"
    return raw


def test_raw_pages_are_emptied_only_when_everything_on_them_is_gone(world, make_account, arkivarie, decision):
    account = make_account(status="aktivt", external_id=PAGE_ID, handle="exempel", url="https://www.facebook.com/exempel")
    page = _comments_page(account, when=OLD)
    again = _comments_page(account, when=OLD + timedelta(minutes=5))    # the same page polled again
    items = Item.objects.filter(account=account)
    assert items.count() == 2 and again.pk not in set(ItemVersion.objects.values_list("raw_id", flat=True))
    size, sha = len(bytes(page.body)), page.sha256

    hold = actions.place_hold(arkivarie, item=items.first(), reason="Spärr")
    gallring.run_gallring(arkivarie)
    page.refresh_from_db()
    assert bytes(page.body) and not DisposedRaw.objects.exists()     # a kept item is on the page

    actions.release_hold(arkivarie, hold, reason="Klar")
    run = gallring.run_gallring(arkivarie)
    page.refresh_from_db()
    again.refresh_from_db()
    assert bytes(page.body) == b"" and bytes(again.body) == b""     # the unreferenced copy too
    assert page.sha256 == sha and DisposedRaw.objects.get(raw=page).size == size
    assert run.totals["raw_bodies"] == 2
    assert Event.objects.filter(kind="records.raw_bodies_emptied").exists()
    assert verify().ok


def test_content_captured_again_is_never_written_back(world, archive, arkivarie, decision, fb_account):
    gallring.run_gallring(arkivarie)
    feed(fb_account, normalized("c1", "Gammal kommentar om snöröjningen", author="Anna Ek"), when=RECENT)
    c1 = Item.objects.get(platform_id="c1")
    assert c1.text == "" and c1.author_name == "" and not ItemVersion.objects.filter(item=c1).exclude(text="").exists()
    run = gallring.run_gallring(arkivarie)
    assert run.totals["residue_items"] == 0


def test_one_run_at_a_time(world, archive, arkivarie, decision):
    first = gallring.start_gallring(arkivarie)
    second = gallring.start_gallring(arkivarie)
    GallringRun.objects.filter(pk=first.pk).update(status="running", lease_until=datetime.now(UTC) + timedelta(minutes=5))
    with pytest.raises(gallring.GallringRefused, match="pågår"):
        gallring.execute_gallring(second)
    assert _texts()["c1"] and GallringRun.objects.get(pk=second.pk).status == "failed"
    # A run whose lease ran out (its process died) is abandoned, and the next one proceeds.
    GallringRun.objects.filter(pk=first.pk).update(lease_until=datetime.now(UTC) - timedelta(minutes=1))
    assert gallring.execute_gallring(gallring.start_gallring(arkivarie)).status == "finished"
    assert GallringRun.objects.get(pk=first.pk).status == "abandoned"


def test_a_decision_revoked_after_ordering_stops_the_run(world, archive, arkivarie, decision):
    run = gallring.start_gallring(arkivarie)
    actions.revoke_gallring_decision(arkivarie, decision, reason="Fel beslut")
    with pytest.raises(gallring.GallringRefused):
        gallring.execute_gallring(run)
    assert _texts()["c1"] and GallringRun.objects.get(pk=run.pk).status == "failed"


def test_the_chain_still_verifies_and_holds_no_content_after_gallring(world, archive, arkivarie, decision):
    gallring.run_gallring(arkivarie)
    assert verify().ok
    # No event anywhere (capture, archive, records) carries the removed text.
    dump = str(list(Event.objects.values_list("data", flat=True)))
    for text in ("Gammal kommentar", "Gammalt direktmeddelande", "Olagligt hot", "Cilla", "Anna Ek"):
        assert text not in dump


def test_digest_of_ids_matches_what_was_disposed(world, archive, arkivarie, decision):
    gallring.run_gallring(arkivarie)
    for entry in DisposalLogEntry.objects.all():
        ids = sorted(DisposedItem.objects.filter(record_class=entry.record_class).values_list("item_id", flat=True))
        if entry.items == len(ids):
            assert entry.ids_sha256 == hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()


def test_capture_never_gives_a_disposed_item_its_content_back(world, archive, decision, arkivarie, fb_account):
    """After gallring, the same content again (a platform resend, or `insyn reprocess`) leaves
    the item empty."""
    gallring.run_gallring(arkivarie, decision_ids=[decision.pk])
    c1 = Item.objects.get(platform_id="c1")
    assert DisposedItem.objects.filter(item=c1).exists() and c1.text == ""
    feed(fb_account, normalized("c1", "Gammal kommentar om snöröjningen", author="Anna Ek"), when=RECENT)
    c1.refresh_from_db()
    assert c1.text == "" and c1.author_name == ""
    assert not ItemVersion.objects.filter(item=c1).exclude(text="").exists()
