"""The archive rules: versions, states, idempotency, threads, search — on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from insyn.archive import apply as archive_apply
from insyn.archive import search
from insyn.archive.models import Item, ItemStateChange, ItemVersion, RawCapture
from insyn.capture.actions import record_raw
from insyn.capture.platforms.base import Normalised, NormalizedItem, StateSignal

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def item(pid, text, *, kind="comment", parent="post1", edited=None, state=None, author="Anna Svensson", history=()):
    return NormalizedItem(
        platform_id=pid, kind=kind, direction="upprattad" if kind == "post" else "inkommen",
        record_type="own_post" if kind == "post" else "public_comment", text=text, author_id="u-" + author,
        author_name=author, created_at=T0, parent_platform_id=None if kind == "post" else parent,
        thread_platform_id="post1", edited_at=edited, state=state, history=history,
    )


@pytest.fixture
def account(world, make_account):
    return make_account(status="aktivt", external_id="1001")


def feed(account, *things, minutes=0):
    raw = record_raw(account=account, platform="facebook_page", source="poll", body=f"page-{minutes}".encode(),
                     received_at=T0 + timedelta(minutes=minutes))
    items = [t for t in things if isinstance(t, NormalizedItem)]
    signals = [t for t in things if isinstance(t, StateSignal)]
    return archive_apply.apply(raw, Normalised(items=items, signals=signals)), raw


def test_new_items_get_a_first_version_and_their_inkommen_time(account):
    result, raw = feed(account, item("post1", "Snöröjningen börjar i natt", kind="post"), item("c1", "När plogas Storgatan?"))
    assert result.created == 2 and result.versions == 2
    c1 = Item.objects.get(platform_id="c1")
    assert c1.inkommen_at == raw.received_at and c1.first_raw == raw
    assert c1.parent == Item.objects.get(platform_id="post1")
    assert c1.versions.get().text == "När plogas Storgatan?"


def test_the_same_payload_twice_changes_nothing(account):
    feed(account, item("c1", "Hej"))
    result, _ = feed(account, item("c1", "Hej"), minutes=5)
    assert (result.created, result.versions, result.state_changes) == (0, 0, 0)
    assert ItemVersion.objects.count() == 1


def test_an_edit_is_a_new_version_and_never_an_overwrite(account):
    feed(account, item("c1", "Vägen är inte plogad"))
    feed(account, item("c1", "Vägen är inte plogad!!", edited=T0 + timedelta(minutes=3)), minutes=4)
    c1 = Item.objects.get(platform_id="c1")
    assert [v.text for v in c1.versions.order_by("number")] == ["Vägen är inte plogad", "Vägen är inte plogad!!"]
    assert c1.text == "Vägen är inte plogad!!" and c1.version_count == 2


def test_a_late_copy_of_old_text_does_not_roll_back(account):
    feed(account, item("c1", "först"))
    feed(account, item("c1", "sedan", edited=T0 + timedelta(minutes=2)), minutes=2)
    feed(account, item("c1", "först"), minutes=3)  # an old poll page processed late
    assert Item.objects.get(platform_id="c1").text == "sedan"
    assert ItemVersion.objects.count() == 2


def test_deletion_on_the_platform_is_a_state_change_and_the_content_stays(account):
    feed(account, item("c1", "Det här tar jag bort sen"))
    result, raw = feed(account, StateSignal("c1", "deleted_on_platform"), minutes=10)
    c1 = Item.objects.get(platform_id="c1")
    assert result.state_changes == 1 and c1.state == "deleted_on_platform"
    assert c1.text == "Det här tar jag bort sen"
    change = ItemStateChange.objects.get()
    assert change.seen_at == raw.received_at and change.previous_state == "visible" and change.source == "platform"


def test_hidden_then_unhidden(account):
    feed(account, item("c1", "x"))
    feed(account, item("c1", "x", state="hidden"), minutes=1)
    feed(account, StateSignal("c1", "visible"), minutes=2)
    assert [c.state for c in ItemStateChange.objects.order_by("seen_at")] == ["hidden", "visible"]


def test_removal_of_something_never_seen_is_kept_only_in_the_raw_log(account):
    result, _ = feed(account, StateSignal("unknown", "deleted_on_platform"))
    assert result.ignored_signals == 1 and not Item.objects.exists()


def test_reply_arriving_before_its_parent_is_linked_later(account):
    feed(account, item("r1", "Håller med!", kind="reply", parent="c1"))
    feed(account, item("c1", "Bra initiativ"), minutes=1)
    assert Item.objects.get(platform_id="r1").parent == Item.objects.get(platform_id="c1")


def test_history_becomes_versions_oldest_first(account):
    feed(account, item("c1", "tredje", history=(("första", T0), ("andra", T0 + timedelta(minutes=1)))))
    assert list(ItemVersion.objects.order_by("number").values_list("text", flat=True)) == ["första", "andra", "tredje"]


def test_swedish_stemming_finds_inflected_forms(account):
    feed(account, item("c1", "Snöröjningen på gatorna är usel i år"), item("c2", "Tack för en fin konsert"))
    ids = [h.item_id for h in search.search_ids("snöröjning gata", account_ids=[account.pk])]
    assert ids == [Item.objects.get(platform_id="c1").pk]
    assert search.search_ids("konserten", account_ids=[account.pk])[0].item_id == Item.objects.get(platform_id="c2").pk
    assert search.search_ids('"; DROP TABLE x; --', account_ids=[account.pk]) == []


def test_search_finds_earlier_versions_and_filters_by_date(account):
    feed(account, item("c1", "parkeringen vid badhuset"))
    feed(account, item("c1", "ändrat till något annat", edited=T0 + timedelta(minutes=5)), minutes=5)
    assert [h.item_id for h in search.search_ids("badhuset", account_ids=[account.pk])] == [Item.objects.get().pk]
    assert search.search_ids("badhuset", account_ids=[account.pk], since=T0 + timedelta(days=1)) == []


def test_raw_capture_is_chained(account):
    from insyn.eventlog import log
    from insyn.eventlog.models import Event

    _, raw = feed(account, item("c1", "x"))
    raw.refresh_from_db()
    event = Event.objects.get(seq=raw.event_seq)
    assert event.kind == "capture.received" and event.data["sha256"] == raw.sha256
    assert log.verify().ok
    assert bytes(RawCapture.objects.get().body) == b"page-0"
