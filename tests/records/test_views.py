"""The diarium and gallring pages over HTTP: who sees what, logged reads, forms, exports."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from insyn.archive.models import Item
from insyn.eventlog.models import Event
from insyn.records import actions
from insyn.records.models import GallringDecision, GallringRun, LegalHold, Registration
from tests.conftest import login
from tests.records.conftest import feed, normalized

OLD = datetime(2023, 1, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def secret(world, fb_account):
    feed(fb_account, normalized("m1", "Jag behöver hjälp med min missbruksbehandling", kind="message", thread="t1",
                                author="Maja Ek"))
    return actions.register_document(
        world.registrator, authority=world.ks, item=Item.objects.get(platform_id="m1"), received_or_drawn_up=date(2026, 3, 2),
        counterpart="Maja Ek", subject="Begäran om stöd vid missbruk", sekretess=True, osl_reference="OSL 26 kap. 1 §",
        handler=world.handlaggare)


def _get(user, url, **params):
    return login(Client(), user).get(url, params)


def test_the_register_shows_the_public_part_to_the_organisation(world, secret):
    page = _get(world.kom_b, "/diarium/").content.decode()
    assert secret.diarienummer in page and "Meddelande via Facebook – sekretess enligt OSL 26 kap. 1 §" in page
    assert "Maja" not in page and "missbruk" not in page
    assert _get(world.outsider, "/diarium/").content.decode().count(secret.diarienummer) == 0
    assert Client().get("/diarium/").status_code == 302          # login required


def test_search_and_filters_use_public_fields_only(world, secret):
    actions.register_document(world.registrator, authority=world.ks, received_or_drawn_up=date(2026, 2, 1),
                              counterpart="Bo Berg", subject="Synpunkt på parkering", sekretess=False)
    assert "Synpunkt på parkering" in _get(world.kom_a, "/diarium/", q="parkering").content.decode()
    assert secret.diarienummer not in _get(world.kom_a, "/diarium/", q="missbruk").content.decode()
    page = _get(world.kom_a, "/diarium/", since="2026-03-01").content.decode()
    assert secret.diarienummer in page and "parkering" not in page
    assert "ÅÅÅÅ-MM-DD" in _get(world.kom_a, "/diarium/", since="igår").content.decode()


def test_detail_hides_protected_fields_and_the_reveal_is_logged(world, secret):
    url = f"/diarium/{secret.pk}/"
    page = _get(world.samordnare, url).content.decode()
    assert "Uppgiften är skyddad" in page and "Maja" not in page and "/skyddat/" not in page
    assert _get(world.samordnare, url + "skyddat/").status_code == 403
    assert _get(world.outsider, url).status_code == 404
    assert not Event.objects.filter(kind="records.protected_read").exists()

    page = _get(world.handlaggare, url).content.decode()
    assert "/skyddat/" in page and "Maja" not in page
    page = _get(world.handlaggare, url + "skyddat/").content.decode()
    assert "Maja Ek" in page and "Begäran om stöd vid missbruk" in page and "missbruksbehandling" in page
    read = Event.objects.get(kind="records.protected_read")
    assert read.actor == world.handlaggare and read.object_id == str(secret.pk)
    _get(world.registrator, url + "skyddat/")
    assert Event.objects.filter(kind="records.protected_read").count() == 2


def test_registering_an_item_from_the_archive(world, fb_account):
    feed(fb_account, normalized("c1", "Min granne har en hund som skäller", author="Sven Svensson"))
    item = Item.objects.get(platform_id="c1")
    client = login(Client(), world.registrator)
    page = client.get("/diarium/registrera/").content.decode()
    assert "Postens nummer i arkivet" in page
    assert client.get("/diarium/registrera/", {"item": item.pk}).url == f"/diarium/registrera/{item.pk}/"
    form = client.get(f"/diarium/registrera/{item.pk}/").content.decode()
    assert 'value="Sven Svensson"' in form
    response = client.post(f"/diarium/registrera/{item.pk}/", {
        "received_or_drawn_up": "2026-03-02", "counterpart": "Sven Svensson", "subject": "Klagomål på hundskall",
        "handler": world.handlaggare.pk})
    reg = Registration.objects.get()
    assert response.url == f"/diarium/{reg.pk}/"
    assert (reg.title, reg.counterpart, reg.handler, reg.sekretess) == ("Klagomål på hundskall", "Sven Svensson",
                                                                        world.handlaggare, False)
    # A second visit goes to the registration instead of registering twice.
    assert client.get(f"/diarium/registrera/{item.pk}/").url == f"/diarium/{reg.pk}/"


def test_registering_with_sekretess_from_the_form(world, fb_account):
    feed(fb_account, normalized("m2", "Om min dotters placering", kind="message", thread="t2", author="Lena Ek"))
    item = Item.objects.get(platform_id="m2")
    client = login(Client(), world.registrator)
    page = client.post(f"/diarium/registrera/{item.pk}/", {
        "received_or_drawn_up": "2026-03-02", "counterpart": "Lena Ek", "subject": "Dotterns placering",
        "sekretess": "on", "osl_reference": ""}).content.decode()
    assert "error-summary" in page and "sekretessbestämmelse" in page
    client.post(f"/diarium/registrera/{item.pk}/", {
        "received_or_drawn_up": "2026-03-02", "counterpart": "Lena Ek", "subject": "Dotterns placering",
        "sekretess": "on", "osl_reference": "OSL 26 kap. 1 §"})
    reg = Registration.objects.get()
    assert (reg.protected_counterpart, reg.protected_subject, reg.counterpart) == ("Lena Ek", "Dotterns placering", "")
    assert reg.title == "Meddelande via Facebook – sekretess enligt OSL 26 kap. 1 §"


def test_only_registrators_get_the_register_pages(world, fb_account):
    feed(fb_account, normalized("c1", "Hej"))
    item = Item.objects.get(platform_id="c1")
    assert _get(world.granskare, "/diarium/registrera/").status_code == 403
    assert _get(world.granskare, f"/diarium/registrera/{item.pk}/").status_code == 403
    assert _get(world.outsider, f"/diarium/registrera/{item.pk}/").status_code == 404


def test_close_and_handler_forms(world, secret):
    client = login(Client(), world.registrator)
    client.post(f"/diarium/{secret.pk}/handlaggare/", {"handler": world.registrator.pk})
    client.post(f"/diarium/{secret.pk}/avsluta/")
    secret.refresh_from_db()
    assert secret.handler == world.registrator and secret.status == "avslutad"
    assert login(Client(), world.kom_a).post(f"/diarium/{secret.pk}/oppna/").status_code == 403


def test_exports_public_and_protected(world, secret):
    client = login(Client(), world.kom_a)
    response = client.get(f"/diarium/export/{world.ks.pk}.json")
    data = json.loads(response.content)
    assert response["Content-Disposition"].startswith('attachment; filename="diarium-ks-')
    assert data["registrations"][0]["counterpart"] is None and "Maja" not in response.content.decode()
    assert client.get(f"/diarium/export/{world.ks.pk}.json", {"skyddat": "1"}).status_code == 403
    assert client.get(f"/diarium/export/{world.ks.pk}.pdf").status_code == 404
    assert login(Client(), world.outsider).get(f"/diarium/export/{world.ks.pk}.csv").status_code == 404
    xml = login(Client(), world.registrator).get(f"/diarium/export/{world.ks.pk}.erms", {"skyddat": "1"})
    assert xml["Content-Type"] == "application/xml" and b"Maja Ek" in xml.content
    assert Event.objects.filter(kind="records.protected_exported", actor=world.registrator).exists()


def test_gallring_pages_for_the_arkivarie(world, arkivarie, fb_account):
    feed(fb_account, normalized("c1", "Gammal kommentar"), when=OLD)
    client = login(Client(), arkivarie)
    page = client.get("/gallring/").content.decode()
    assert "Kommentarer av tillfällig eller ringa betydelse" in page and "inget beslut – gallras inte" in page
    assert "Inget gällande gallringsbeslut" in client.get("/gallring/forhandsgranska/").content.decode()
    client.post("/gallring/beslut/ny/", {"reference": "KS 2025/14 § 37", "decided_by": "Kommunstyrelsen",
                                        "decision_date": "2025-02-01", "authorities": [world.ks.pk],
                                        "classes": ["kommentarer"]})
    decision = GallringDecision.objects.get()
    overview = client.get("/gallring/").content.decode()
    # The decision names its classes by label and its period in words, not "kommentarer (P2Y)".
    assert "Kommentarer av tillfällig eller ringa betydelse (2 år)" in overview and "(P2Y)" not in overview
    preview = client.get("/gallring/forhandsgranska/").content.decode()
    assert "KS 2025/14 § 37" in preview and "1 post gallras" in preview and "2 år (före" in preview
    assert Item.objects.get(platform_id="c1").text == "Gammal kommentar"     # preview changed nothing
    assert client.post("/gallring/kor/", {}).url == "/gallring/forhandsgranska/"    # must confirm
    response = client.post("/gallring/kor/", {"confirm": "on"})
    run = GallringRun.objects.get()
    assert response.url == f"/gallring/korning/{run.pk}/" and run.status == "queued"
    from insyn.records.tasks import run_gallring_task

    run_gallring_task.call(run.pk)
    assert Item.objects.get(platform_id="c1").text == ""
    page = client.get(f"/gallring/korning/{run.pk}/").content.decode()
    assert "Klar" in page and "KS 2025/14 § 37" in page
    assert "Kommentarer av tillfällig" in client.get("/gallring/logg/").content.decode()
    client.post(f"/gallring/beslut/{decision.pk}/upphav/", {"reason": "Nytt beslut"})
    decision.refresh_from_db()
    assert not decision.in_force


def test_gallring_pages_are_closed_to_others(world, arkivarie):
    assert _get(world.kom_a, "/gallring/").status_code == 403
    assert _get(world.granskare, "/gallring/").status_code == 200
    assert _get(world.granskare, "/gallring/forhandsgranska/").status_code == 403
    assert login(Client(), world.granskare).post("/gallring/kor/", {"confirm": "on"}).status_code == 403
    assert _get(world.samordnare, "/gallring/beslut/ny/").status_code == 403
    assert "/gallring/" not in _get(world.kom_a, "/").content.decode()
    assert "/gallring/" in _get(arkivarie, "/").content.decode()


def test_holds_from_the_ui(world, arkivarie, fb_account):
    feed(fb_account, normalized("c1", "Kommentar i tråden"))
    item = Item.objects.get(platform_id="c1")
    client = login(Client(), world.samordnare)
    page = client.post("/gallring/sparr/ny/", {"scope": "item", "reason": "Polisanmälan"}).content.decode()
    assert "error-summary" in page and "Ange postens nummer" in page
    client.post("/gallring/sparr/ny/", {"scope": "thread", "item": item.pk, "reason": "Tvist"})
    hold = LegalHold.objects.get()
    assert (hold.scope, hold.thread_platform_id, hold.account) == ("thread", "p1", fb_account)
    assert "Tvist" in _get(world.kom_a, f"/diarium/post/{item.pk}/").content.decode()
    assert client.post(f"/gallring/sparr/{hold.pk}/hav/", {"reason": "x"}).status_code == 403
    login(Client(), arkivarie).post(f"/gallring/sparr/{hold.pk}/hav/", {"reason": "Tvisten är avgjord"})
    hold.refresh_from_db()
    assert hold.released_by == arkivarie


def test_user_text_is_escaped(world, fb_account):
    feed(fb_account, normalized("c1", "<script>alert(1)</script>", author="<b>Elak</b>"))
    item = Item.objects.get(platform_id="c1")
    reg = actions.register_document(world.registrator, authority=world.ks, item=item, received_or_drawn_up=date(2026, 3, 2),
                                    counterpart="<b>Elak</b>", subject="<img src=x onerror=alert(1)>", sekretess=False)
    for user, url in ((world.kom_a, "/diarium/"), (world.kom_a, f"/diarium/{reg.pk}/"),
                      (world.registrator, f"/diarium/{reg.pk}/skyddat/"), (world.registrator, f"/diarium/registrera/{item.pk}/")):
        page = _get(user, url).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>Elak" not in page, url


def test_the_register_list_does_not_grow_queries_with_its_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def register(n):
        for i in range(n):
            actions.register_document(world.registrator, authority=world.ks, received_or_drawn_up=date(2026, 3, 2),
                                      counterpart=f"Person {i}", subject=f"Ärende {i}", sekretess=False)

    client = login(Client(), world.kom_a)
    register(2)
    with CaptureQueriesContext(connection) as few:
        client.get("/diarium/", {"authority": world.ks.pk})
    register(20)
    with CaptureQueriesContext(connection) as many:
        client.get("/diarium/", {"authority": world.ks.pk})
    assert len(many) == len(few)


def test_items_that_should_be_registered_are_suggested(world, fb_account):
    from insyn.archive.models import ItemVersion, VersionTriage

    feed(fb_account, normalized("c1", "Om min sons LVU-placering"), normalized("c2", "Fin park"),
         when=datetime.now(UTC))
    for pid, sensitive in (("c1", ["socialtjanst_arende", "barn"]), ("c2", [])):
        VersionTriage.objects.create(version=ItemVersion.objects.get(item__platform_id=pid), model_version="t",
                                     needs_answer=False, topic="socialtjanst", sensitive=sensitive)
    page = _get(world.registrator, "/diarium/registrera/").content.decode()
    c1, c2 = Item.objects.get(platform_id="c1"), Item.objects.get(platform_id="c2")
    assert f"/diarium/registrera/{c1.pk}/" in page and f"/diarium/registrera/{c2.pk}/" not in page
    assert "möjlig sekretess: socialtjänstärende" in page and "LVU" not in page   # no content in the list
    form = _get(world.registrator, f"/diarium/registrera/{c1.pk}/").content.decode()
    assert 'value="OSL 26 kap. 1 §"' in form and "checked" in form
