"""Archive pages over HTTP: search with filters, the item page, provenance, and unit scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from insyn.archive import apply as archive_apply
from insyn.archive.models import Item
from insyn.capture.actions import record_raw
from insyn.capture.platforms.base import Normalised, NormalizedItem, StateSignal
from insyn.eventlog.models import Event
from tests.conftest import login

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _item(pid, text, kind="comment", parent="p1", author="Maja Ek", when=T0):
    return NormalizedItem(platform_id=pid, kind=kind, direction="upprattad" if kind == "post" else "inkommen",
                          record_type="own_post" if kind == "post" else "public_comment", text=text,
                          author_id=author, author_name=author, created_at=when,
                          parent_platform_id=None if kind == "post" else parent, thread_platform_id="p1")


@pytest.fixture
def archive(world, make_account):
    a = make_account(status="aktivt", external_id="11")
    b = make_account(actor=world.kom_b, unit=world.unit_b, handle="ifo", url="https://www.facebook.com/ifo",
                     responsible=world.kom_b, administrators=[world.kom_b, world.chef_b], status="aktivt",
                     confidential_justification="ok", external_id="22")
    raw = record_raw(account=a, platform="facebook_page", source="poll", body=b"a", received_at=T0)
    archive_apply.apply(raw, Normalised(items=[
        _item("p1", "Nu öppnar det nya badhuset!", kind="post", author="Kommunen"),
        _item("c1", "Äntligen ett badhus, när öppnar simskolan?"),
        _item("c2", XSS, author="Hacker", when=T0 + timedelta(days=40)),
        _item("r1", "Simskolan börjar i januari", kind="reply", parent="c1", author="Kommunen"),
    ]))
    later = record_raw(account=a, platform="facebook_page", source="poll", body=b"b", received_at=T0 + timedelta(hours=2))
    edited = _item("c1", "Äntligen ett badhus! När öppnar simskolan för barn?")
    archive_apply.apply(later, Normalised(items=[NormalizedItem(**{**edited.__dict__, "edited_at": T0 + timedelta(hours=1)})],
                                          signals=[StateSignal("r1", "deleted_on_platform")]))
    raw_b = record_raw(account=b, platform="facebook_page", source="poll", body=b"c", received_at=T0)
    archive_apply.apply(raw_b, Normalised(items=[_item("s1", "Hemlig fråga om badhuset från IFO-sidan", parent="x")]))
    return a, b


def test_search_finds_stemmed_words_within_the_users_units(world, archive):
    content = login(Client(), world.kom_a).get("/arkiv/", {"q": "badhusets simskola"}).content.decode()
    assert "simskolan för barn" in content
    assert "IFO-sidan" not in content  # another unit's account
    content = login(Client(), world.samordnare).get("/arkiv/", {"q": "badhuset"}).content.decode()
    assert "IFO-sidan" in content


def test_filters_and_dates(world, archive):
    client = login(Client(), world.kom_a)
    assert "Hacker" not in client.get("/arkiv/", {"until": "2026-10-30"}).content.decode()
    assert "Hacker" in client.get("/arkiv/", {"since": "2026-11-01"}).content.decode()
    page = client.get("/arkiv/", {"state": "deleted_on_platform"}).content.decode()
    assert "Simskolan börjar i januari" in page and "Nu öppnar" not in page
    assert "ÅÅÅÅ-MM-DD" in client.get("/arkiv/", {"since": "igår"}).content.decode()


def test_item_page_shows_thread_versions_states_and_provenance(world, archive):
    item = Item.objects.get(platform_id="c1")
    content = login(Client(), world.kom_a).get(f"/arkiv/{item.pk}/").content.decode()
    assert "Nu öppnar det nya badhuset!" in content          # the thread's root
    assert "Simskolan börjar i januari" in content            # a reply
    assert "<del>" in content and "<ins>" in content          # the version diff
    assert "Version 2" in content and item.first_raw.sha256 in content
    reply = Item.objects.get(platform_id="r1")
    content = login(Client(), world.kom_a).get(f"/arkiv/{reply.pk}/").content.decode()
    assert "Borttagen på plattformen" in content


def test_user_text_is_escaped_everywhere(world, archive):
    item = Item.objects.get(platform_id="c2")
    client = login(Client(), world.kom_a)
    for url in (f"/arkiv/{item.pk}/", "/arkiv/?q=alert"):
        content = client.get(url).content.decode()
        assert "<script>alert" not in content and "<img src=x" not in content
        assert "&lt;script&gt;" in content


def test_other_units_items_and_raw_payloads_are_404(world, archive):
    secret = Item.objects.get(platform_id="s1")
    client = login(Client(), world.kom_a)
    assert client.get(f"/arkiv/{secret.pk}/").status_code == 404
    assert client.get(f"/arkiv/radata/{secret.first_raw_id}/").status_code == 404
    assert login(Client(), world.kom_b).get(f"/arkiv/{secret.pk}/").status_code == 200


def test_reading_a_raw_payload_is_logged(world, archive):
    item = Item.objects.get(platform_id="c1")
    response = login(Client(), world.kom_a).get(f"/arkiv/radata/{item.first_raw_id}/")
    assert response.status_code == 200
    assert Event.objects.filter(kind="archive.raw_read", actor=world.kom_a).count() == 1


def test_authority_filter(world, archive):
    client = login(Client(), world.samordnare)
    only_sn = client.get("/arkiv/", {"authority": world.sn.pk}).content.decode()
    assert "IFO-sidan" in only_sn and "Nu öppnar det nya badhuset" not in only_sn


def test_secret_items_are_shown_only_to_registrators_and_the_handler(world, archive):
    from datetime import date

    from insyn.records.actions import register_document

    item = Item.objects.get(platform_id="c1")
    registration = register_document(world.registrator, authority=world.ks, item=item, received_or_drawn_up=date(2026, 10, 5),
                                     counterpart="Maja Ek", subject="Fråga om eget ärende", sekretess=True,
                                     osl_reference="OSL 26 kap. 1 §")
    kom = login(Client(), world.kom_a)
    response = kom.get(f"/arkiv/{item.pk}/")
    assert response.status_code == 403 and "simskolan" not in response.content.decode()
    assert registration.diarienummer in response.content.decode()
    assert "simskolan för barn" not in kom.get("/arkiv/", {"q": "simskolan"}).content.decode()
    assert kom.get(f"/arkiv/radata/{item.first_raw_id}/").status_code == 403
    # The thread around it no longer shows its words either.
    root = Item.objects.get(platform_id="p1")
    assert "simskolan för barn" not in kom.get(f"/arkiv/{root.pk}/").content.decode()
    before = Event.objects.count()
    content = login(Client(), world.registrator).get(f"/arkiv/{item.pk}/").content.decode()
    assert "simskolan för barn" in content
    assert Event.objects.count() > before  # the registrator's read is chained


def test_an_item_without_an_author_name_is_the_accounts_own_or_an_unknown_sender(world, make_account):
    # A WordPress post names only a user id; an Instagram or X direct message only a sender id.
    account = make_account(status="aktivt", external_id="11")
    raw = record_raw(account=account, platform="facebook_page", source="poll", body=b"n", received_at=T0)
    archive_apply.apply(raw, Normalised(items=[
        _item("p1", "Budgeten är publicerad", kind="post", author=""),
        _item("c1", "Tack för infon", author=""),
    ]))
    own, incoming = Item.objects.get(platform_id="p1"), Item.objects.get(platform_id="c1")
    client = login(Client(), world.kom_a)
    assert f"{account.name}</h1>" in client.get(f"/arkiv/{own.pk}/").content.decode()
    assert "från okänd avsändare</h1>" in client.get(f"/arkiv/{incoming.pk}/").content.decode()
    results = client.get("/arkiv/").content.decode()
    assert "okänd avsändare," in results and f"{account.name}, " in results
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "unknown sender</h1>" in client.get(f"/arkiv/{incoming.pk}/").content.decode()
