"""The Facebook "Download your information" import: mojibake repaired, both layouts, media."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insyn.archive.models import Item, ItemMedia, RawCapture
from insyn.capture.imports.actions import run_import
from insyn.capture.imports.base import WrongExport
from insyn.capture.imports.facebook_dyi import FacebookDyi, fix_all, fix_mojibake

from .conftest import FIXTURES, zipped


def _by_kind(account):
    items: dict[str, list[Item]] = {}
    for item in Item.objects.filter(account=account).order_by("created_at"):
        items.setdefault(item.kind, []).append(item)
    return items


@pytest.mark.django_db
@pytest.mark.parametrize("packed", ["folder", "zip"])
def test_older_layout_imports_with_swedish_letters_restored(fb_account, tmp_path, packed):
    folder = FIXTURES / "facebook_dyi" / "export"
    path = folder if packed == "folder" else zipped(folder, tmp_path / "facebook-angekommun-2025")
    run = run_import("facebook-dyi", str(path), fb_account)

    assert (run.records_read, run.items_stored, run.malformed) == (7, 7, 0)
    items = _by_kind(fb_account)
    texts = [i.text for i in Item.objects.filter(account=fb_account)]
    assert not any("Ã" in t for t in texts)
    post = items["post"][0]
    assert post.text == "Kommunfullmäktige sammanträder ikväll."
    assert (post.direction, post.record_type, post.author_name) == ("upprattad", "own_post", "Ånge kommun")
    assert post.created_at == datetime.fromtimestamp(1740820502, tz=UTC)
    assert post.versions.get().platform_time == datetime.fromtimestamp(1740824160, tz=UTC)  # the update time
    assert items["post"][1].text == "Välkommen till öppet hus på återvinningscentralen i Ånge på lördag!"
    # A shared link without text keeps its title and the link.
    assert items["post"][2].text == "Ånge kommun shared a link.\nhttps://example.se/budget"
    assert items["comment"][0].text == "Tack för frågan! Vi återkommer på måndag."
    # Messages: the page's own are upprättade, the resident's inkomna; one thread.
    unsent, question, answer = items["message"]
    assert (question.direction, question.record_type, question.author_name) == (
        "inkommen", "direct_message", "Anna Andersson")
    assert question.text == "Hej, hur lång är handläggningstiden för bygglov för ett förråd?"
    assert (answer.direction, answer.author_name) == ("upprattad", "Ånge kommun")
    assert unsent.state == "deleted_on_platform" and unsent.direction == "inkommen"
    assert question.thread_platform_id == answer.thread_platform_id == "fb-dyi-thread-annaandersson_1234567890"
    # The photo in the export is stored by content hash.
    media = ItemMedia.objects.get(item=post)
    assert media.platform_url == "posts/media/Timeline_abc/123.jpg" and media.media.mime_type == "image/jpeg"
    # The raw log keeps the file's own (mis-encoded) strings: the repair is the normaliser's.
    raw = RawCapture.objects.filter(account=fb_account, source="import").order_by("id").first()
    assert "Kommunfullmäktige".encode().decode("latin-1") in bytes(raw.body).decode("utf-8")


@pytest.mark.django_db
def test_newer_layout_is_found_by_pattern(fb_account):
    run = run_import("facebook-dyi", str(FIXTURES / "facebook_dyi" / "export_2023"), fb_account)
    assert run.items_stored == 3
    texts = sorted(Item.objects.filter(account=fb_account).values_list("text", flat=True))
    assert texts == ["Plogbilen är på väg – tack för tipset!", "Snöröjningen börjar i natt på Östermalm.",
                     "Är gatan vid skolan plogad än?"]
    # Without a profile file the account's name tells the page's own messages from others'.
    message = Item.objects.get(account=fb_account, kind="message")
    assert (message.direction, message.author_name) == ("inkommen", "Per Persson")


@pytest.mark.django_db
def test_importing_the_same_export_again_adds_nothing(fb_account, tmp_path):
    first = run_import("facebook-dyi", str(FIXTURES / "facebook_dyi" / "export"), fb_account)
    count = Item.objects.filter(account=fb_account).count()
    # The same content in another file (another download of the same data): all duplicates.
    copy = shutil.copytree(FIXTURES / "facebook_dyi" / "export", tmp_path / "second-download")
    (copy / "posts" / "extra.txt").write_text("x")  # not read, but the folder differs
    (copy / "comments" / "comments.json").write_text(
        (copy / "comments" / "comments.json").read_text() + "\n")
    second = run_import("facebook-dyi", str(copy), fb_account)
    assert (second.items_stored, second.duplicates) == (0, first.items_stored)
    assert Item.objects.filter(account=fb_account).count() == count


@pytest.mark.django_db
def test_a_wrong_file_is_refused(fb_account, tmp_path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "your_posts_1.html").write_text("<html></html>")
    with pytest.raises(WrongExport, match="Facebook-export"):
        run_import("facebook-dyi", str(tmp_path), fb_account)


def test_malformed_records_raise_malformed_payload_only():
    from insyn.capture.platforms.base import MalformedPayload

    context = {"owner": {"id": "1", "name": "Ånge kommun"}}
    for section, data in [("posts", {"data": []}), ("posts", "inte ett objekt"), ("comments", {"data": [{}]}),
                          ("messages", {"thread": "t", "message": {"timestamp_ms": 1}}),
                          ("messages", {"thread": "t", "message": {"sender_name": "A", "timestamp_ms": "igår"}}),
                          ("posts", {"timestamp": 10 ** 20, "data": [{"post": "x"}]})]:
        with pytest.raises(MalformedPayload):
            FacebookDyi.normalise_record(section, data, context)


def _mojibake(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")


@given(st.text())
def test_mojibake_is_undone(text):
    assert fix_mojibake(_mojibake(text)) == text


SWEDISH = st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzåäöÅÄÖéü ,.!?-–0123456789\n€\"")))


@given(SWEDISH)
def test_already_correct_swedish_text_is_never_changed(text):
    assert fix_mojibake(text) == text


@given(st.text(min_size=1).filter(lambda t: any(ord(c) > 0xFF for c in t)))
def test_text_beyond_latin_1_is_left_alone(text):
    assert fix_mojibake(text) == text


@given(st.recursive(st.text() | st.integers() | st.booleans() | st.none(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=20))
def test_fixing_a_whole_record_fixes_every_string_and_key(value):
    def moji(v):
        if isinstance(v, str):
            return _mojibake(v)
        if isinstance(v, list):
            return [moji(x) for x in v]
        if isinstance(v, dict):
            return {_mojibake(k): moji(x) for k, x in v.items()}
        return v

    assert fix_all(moji(value)) == value
