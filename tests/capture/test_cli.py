"""`insyn account add`, `insyn export` and the token at rest, through the command line doors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from insyn.archive import apply as archive_apply
from insyn.capture.actions import record_raw
from insyn.capture.models import Connection
from insyn.capture.platforms.base import Normalised, NormalizedItem
from insyn.registry.models import Account, Organisation


def _add(*extra):
    out = io.StringIO()
    call_command("account", "add", "--platform", "mastodon", "--external-id", "109", "--handle",
                 "@kommun@127.0.0.1:8766", "--token", "hemlig-token-123", *extra, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_first_installation_from_the_command_line():
    output = _add("--organisation", "Nyby kommun")
    account = Account.objects.get()
    assert "registrerat och anslutet" in output
    assert Organisation.objects.get().name == "Nyby kommun"
    assert account.status == "aktivt" and account.external_id == "109"
    assert account.url == "http://127.0.0.1:8766/@kommun"
    connection = Connection.objects.get()
    assert connection.base_url == "http://127.0.0.1:8766"
    # The token is encrypted at rest and still usable.
    assert "hemlig-token-123" not in connection.token_encrypted
    assert connection.get_token() == "hemlig-token-123"
    flags = " ".join(str(f) for f in account.compliance_flags())
    assert "R12" in flags and "R6" in flags  # what the command line could not provide is flagged


@pytest.mark.django_db
def test_duplicate_or_bad_account_is_a_clear_error():
    _add()
    with pytest.raises(CommandError, match="finns redan"):
        _add()
    with pytest.raises(CommandError, match="@namn@server"):
        call_command("account", "add", "--platform", "mastodon", "--external-id", "1", "--handle", "kommun",
                     "--token", "t")



@pytest.mark.django_db
def test_a_blog_is_added_by_its_host_and_read_by_its_feed_or_its_rest_api():
    # No --url: the blog's address is its host; no --external-id: a feed has no user id.
    call_command("account", "add", "--platform", "rss", "--handle", "blogg.nyby.se", "--token", "-",
                 "--organisation", "Nyby kommun", stdout=io.StringIO())
    call_command("account", "add", "--platform", "wordpress", "--handle", "nyheter.nyby.se", "--external-id", "3",
                 "--token", "redaktor:abcd efgh", "--base-url", "https://nyheter.nyby.se/wp-json", stdout=io.StringIO())
    feed, api = Account.objects.order_by("pk")
    assert (feed.platform, feed.url, feed.external_id) == ("blog", "https://blogg.nyby.se/", "")
    assert feed.connection.base_url == "https://blogg.nyby.se/feed/"
    assert (api.url, api.connection.base_url) == ("https://nyheter.nyby.se/", "https://nyheter.nyby.se/wp-json")


@pytest.mark.django_db
def test_the_platform_id_is_required_except_for_a_blog():
    with pytest.raises(CommandError, match="--external-id"):
        call_command("account", "add", "--platform", "bluesky", "--handle", "nyby.bsky.social", "--token", "app-pw",
                     "--organisation", "Nyby kommun")
    assert not Account.objects.exists()


def _archive_two_items(account):
    raw = record_raw(account=account, platform="mastodon", source="poll", body=b"{}",
                     received_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    common = {"author_id": "a1", "created_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "thread_platform_id": "p1"}
    archive_apply.apply(raw, Normalised(items=[
        NormalizedItem(platform_id="p1", kind="post", direction="upprattad", record_type="own_post",
                       text="Välkommen till öppet hus!", author_name="Kommunen", **common),
        NormalizedItem(platform_id="c1", kind="comment", direction="inkommen", record_type="public_comment",
                       text="=HYPERLINK(\"http://x\") när börjar det?", author_name="Åsa", parent_platform_id="p1", **common),
    ]))


@pytest.mark.django_db
def test_export_jsonl_has_the_documented_fields():
    _add()
    _archive_two_items(Account.objects.get())
    out = io.StringIO()
    call_command("export", "--format", "jsonl", "--account", "@kommun@127.0.0.1:8766", stdout=out, stderr=io.StringIO())
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == 2
    comment = next(r for r in records if r["platform_id"] == "c1")
    assert set(comment) == {"id", "account", "platform", "platform_id", "kind", "direction", "parent_platform_id",
                            "thread_platform_id", "author", "text", "created_at", "captured_at", "state",
                            "record_type", "versions"}
    assert comment["kind"] == "comment" and comment["direction"] == "inkommen" and comment["parent_platform_id"] == "p1"
    assert comment["author"] == {"id": "a1", "name": "Åsa"}
    assert comment["state"] == "visible" and comment["record_type"] == "public_comment"
    assert comment["captured_at"] == "2026-03-02T08:00:00+00:00"
    assert len(comment["versions"]) == 1 and len(comment["versions"][0]["sha256"]) == 64


@pytest.mark.django_db
def test_export_csv_neutralises_formulas_and_filters_by_date():
    _add()
    _archive_two_items(Account.objects.get())
    out = io.StringIO()
    call_command("export", "--format", "csv", "--since", "2026-03-01", "--until", "2026-03-01", stdout=out, stderr=io.StringIO())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 2
    assert next(r for r in rows if r["platform_id"] == "c1")["text"].startswith("'=HYPERLINK")
    out = io.StringIO()
    call_command("export", "--format", "csv", "--since", "2026-03-02", stdout=out, stderr=io.StringIO())
    assert len(list(csv.DictReader(io.StringIO(out.getvalue())))) == 0
    with pytest.raises(CommandError, match="Ogiltigt datum"):
        call_command("export", "--since", "igår", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_platform_alias_facebook():
    call_command("account", "add", "--platform", "facebook", "--external-id", "1045", "--handle", "nyby",
                 "--token", "t", stdout=io.StringIO())
    assert Account.objects.get().platform == "facebook_page"
