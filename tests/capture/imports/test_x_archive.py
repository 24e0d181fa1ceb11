"""The X archive import: items, texts, threads, direct messages and media, from a folder and a zip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from insyn.archive.models import Item, ItemMedia, RawCapture
from insyn.capture.imports.actions import run_import
from insyn.capture.imports.base import WrongExport
from insyn.capture.models import ImportRun
from insyn.eventlog.log import verify
from insyn.eventlog.models import Event

from .conftest import FIXTURES, zipped


def _items(account):
    return {i.platform_id: i for i in Item.objects.filter(account=account)}


@pytest.mark.django_db
@pytest.mark.parametrize("packed", ["folder", "zip"])
def test_archive_imports_own_posts_replies_and_messages(x_account, x_export, tmp_path, world, packed):
    path = x_export if packed == "folder" else zipped(x_export, tmp_path / "twitter-2025-03-10")
    run = run_import("x-archive", str(path), x_account, actor=world.samordnare)

    assert run.status == ImportRun.Status.FINISHED
    assert (run.records_read, run.items_stored, run.duplicates, run.malformed) == (7, 7, 0, 0)
    items = _items(x_account)
    post = items["1897000000000000001"]
    assert post.text == "Kommunfullmäktige sammanträder ikväll."
    assert (post.kind, post.direction, post.record_type) == ("post", "upprattad", "own_post")
    assert post.created_at == datetime(2025, 3, 1, 9, 15, 2, tzinfo=UTC)
    assert post.url == "https://x.com/angekommun/status/1897000000000000001"
    # A reply to someone else's tweet keeps the parent id (the parent is not in the archive).
    reply = items["1897000000000000002"]
    assert (reply.kind, reply.parent_platform_id, reply.parent_id) == ("reply", "1896999999999999999", None)
    # A reply to an own tweet is linked to it.
    assert items["1897000000000000005"].parent_id == items["1897000000000000004"].pk
    # HTML entities as the archive escapes them.
    assert items["1897000000000000004"].text == "Vatten & avlopp: planerat avbrott på Storgatan 14 > kl. 9–12."
    # Direct messages: from others inkommen, from the account upprättad, one thread.
    incoming, answer = items["1897100000000000001"], items["1897100000000000002"]
    assert (incoming.kind, incoming.direction, incoming.record_type) == ("message", "inkommen", "direct_message")
    assert incoming.text == "Hej! När töms soptunnorna på Ängsvägen?" and incoming.author_id == "2244994945"
    assert (answer.direction, answer.record_type) == ("upprattad", "direct_message")
    assert incoming.thread_platform_id == answer.thread_platform_id == "1234567890-2244994945"
    # The attachment in tweets_media/ is stored by content hash.
    media = ItemMedia.objects.get(item=items["1897000000000000003"])
    assert media.platform_url == "https://pbs.twimg.com/media/FxAbCdEfGh.jpg"
    assert media.media is not None and media.media.mime_type == "image/jpeg" and run.media_stored == 1
    # Raw first: every record is in an import raw capture, processed; the chain is whole.
    raws = RawCapture.objects.filter(account=x_account, source=RawCapture.Source.IMPORT)
    assert set(raws.values_list("status", flat=True)) == {"processed"}
    assert all(i.first_raw.source == "import" for i in Item.objects.filter(account=x_account))
    kinds = list(Event.objects.filter(object_type="capture.importrun").values_list("kind", flat=True))
    assert kinds == ["capture.import_started", "capture.import_finished"]
    assert Event.objects.filter(kind="capture.import_started").get().actor == world.samordnare
    assert verify().ok


@pytest.mark.django_db
def test_the_archive_is_a_function_of_the_raw_log(x_account, x_export):
    from insyn.capture.actions import reprocess

    run_import("x-archive", str(x_export), x_account)
    before, after = reprocess(x_account)
    assert before == after


@pytest.mark.django_db
def test_a_single_tweets_js_file_imports(x_account, x_export):
    run = run_import("x-archive", str(x_export / "data" / "tweets.js"), x_account)
    assert run.items_stored == 5
    assert Item.objects.filter(account=x_account, kind="message").count() == 0


@pytest.mark.django_db
def test_malformed_records_are_reported_by_record_and_the_rest_imports(x_account):
    run = run_import("x-archive", str(FIXTURES / "x_archive" / "malformed"), x_account, batch_size=2)

    assert (run.records_read, run.items_stored, run.malformed) == (6, 4, 2)
    assert [(e["file"], e["record"]) for e in run.errors] == [("data/tweets.js", 3), ("data/tweets.js", 4)]
    assert "full_text" in run.errors[0]["message"] and "i förrgår" in run.errors[1]["message"]
    assert set(Item.objects.filter(account=x_account).values_list("platform_id", flat=True)) == {
        "1897000000000000101", "1897000000000000102", "1897000000000000105", "1897000000000000106"}
    # The broken records are kept raw, quarantined with their place in the file.
    quarantined = RawCapture.objects.filter(account=x_account, status=RawCapture.Status.QUARANTINED).order_by("id")
    assert [q.context["record"] for q in quarantined] == [3, 4]
    assert quarantined[0].error.startswith("data/tweets.js, post 3:")
    assert b"1897000000000000103" in bytes(quarantined[0].body)


@pytest.mark.django_db
def test_a_truncated_file_reports_where_it_broke_and_keeps_what_came_before(x_account, x_export):
    tweets = x_export / "data" / "tweets.js"
    text = tweets.read_text(encoding="utf-8")
    tweets.write_text(text[: text.index('"id_str" : "1897000000000000004"') if '"id_str" : ' in text
                            else text.index('"id_str": "1897000000000000004"')], encoding="utf-8")
    run = run_import("x-archive", str(x_export), x_account)
    assert run.status == ImportRun.Status.FINISHED
    assert run.items_stored == 3 + 2  # three tweets before the break, and both messages
    assert [(e["file"], e["record"]) for e in run.errors] == [("data/tweets.js", 4)]
    assert "ogiltig JSON" in run.errors[0]["message"]


@pytest.mark.django_db
def test_a_wrong_file_is_refused_with_a_clear_message(x_account, fb_account, tmp_path):
    not_archive = tmp_path / "bilder"
    not_archive.mkdir()
    (not_archive / "semester.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(WrongExport, match="är det ett X-arkiv"):
        run_import("x-archive", str(not_archive), x_account)
    with pytest.raises(WrongExport, match="finns inte"):
        run_import("x-archive", str(tmp_path / "saknas.zip"), x_account)
    with pytest.raises(WrongExport, match="kan inte importeras"):
        run_import("x-archive", str(FIXTURES / "x_archive" / "archive"), fb_account)
    fake = tmp_path / "data" / "tweets.js"
    fake.parent.mkdir()
    fake.write_text('[{"tweet": {}}]', encoding="utf-8")
    with pytest.raises(WrongExport, match="window.YTD"):
        run_import("x-archive", str(fake), x_account)
    assert not ImportRun.objects.exists() and not RawCapture.objects.exists()


@pytest.mark.django_db
def test_an_archive_of_another_account_is_refused(make_account):
    other = make_account(platform="x", handle="grannkommun", url="https://x.com/grannkommun", external_id="555",
                         status="aktivt")
    with pytest.raises(WrongExport, match="tillhör @angekommun"):
        run_import("x-archive", str(FIXTURES / "x_archive" / "archive"), other)
    assert not RawCapture.objects.exists()


@pytest.mark.django_db
def test_a_dry_run_reads_everything_and_writes_nothing(x_account):
    run = run_import("x-archive", str(FIXTURES / "x_archive" / "malformed"), x_account, dry_run=True)
    assert (run.records_read, run.malformed, run.pk) == (6, 2, None)
    assert not RawCapture.objects.exists() and not ImportRun.objects.exists() and not Item.objects.exists()


@pytest.mark.django_db
def test_a_zip_with_the_archive_in_a_folder_and_split_tweet_files(x_account, x_export, tmp_path):
    import shutil

    # Large archives split tweets over tweets.js, tweets-part1.js, …; some zips wrap everything
    # in one top folder.
    part1 = x_export / "data" / "tweets-part1.js"
    part1.write_text('window.YTD.tweets.part1 = [{"tweet": {"id_str": "1897000000000000099", "full_text": '
                     '"Sista inlägget före sommaruppehållet.", "created_at": "Fri Jun 20 12:00:00 +0000 2025"}}];',
                     encoding="utf-8")
    outer = tmp_path / "outer"
    shutil.copytree(x_export, outer / "twitter-2025-03-10")
    run = run_import("x-archive", str(zipped(outer, tmp_path / "nested")), x_account)
    assert (run.records_read, run.items_stored, run.media_stored) == (8, 8, 1)
    assert Item.objects.get(platform_id="1897000000000000099").text == "Sista inlägget före sommaruppehållet."
    # The fixed order: tweets.js, tweets-part1.js, then the messages.
    raws = RawCapture.objects.filter(source="import").order_by("id")
    assert [r.context["file"].split("/", 1)[1] for r in raws] == [
        "data/tweets.js", "data/tweets-part1.js", "data/direct-messages.js"]


@pytest.mark.django_db
def test_a_batch_whose_archive_step_fails_stays_raw_and_the_worker_applies_it(x_account, x_export, monkeypatch):
    from insyn.capture import actions as capture_actions
    from insyn.capture.imports import actions as import_actions

    def broken(raw, normalised):
        raise RuntimeError("a bug in the archive step")

    monkeypatch.setattr(import_actions, "_apply", broken)
    run = run_import("x-archive", str(x_export), x_account)
    assert run.status == ImportRun.Status.FINISHED and run.position == 7
    assert not Item.objects.exists()
    assert set(RawCapture.objects.values_list("status", flat=True)) == {"pending"}
    monkeypatch.undo()
    # The worker's sweep reads the batches through normalise_raw, with the same normaliser.
    assert capture_actions.process_pending() == 2
    assert Item.objects.filter(account=x_account).count() == 7
    assert Item.objects.get(platform_id="1897100000000000001").direction == "inkommen"
