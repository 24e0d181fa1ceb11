"""The /utlamnande/ pages through the Django test client: the whole flow, the authorisation
matrix, Swedish errors, and that the handed-out text is computed on the server."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from insyn.eventlog.models import Event
from insyn.records.holds import is_protected
from insyn.records.utlamnande import actions
from insyn.records.utlamnande.models import Delivery, Request, RequestItem
from tests.conftest import login
from tests.records.utlamnande.conftest import PNR


def _candidate_index(page: str, label: str) -> int:
    """The index of the mask candidate whose label starts with ``label`` on the review page."""
    at = page.index(f">{label}: ")
    name_at = page.rindex('name="mask_', 0, at)
    return int(page[name_at + len('name="mask_'):page.index('"', name_at + len('name="mask_'))])


def test_register_find_review_decide_expedite_over_http(client, world, items):
    login(client, world.registrator)
    response = client.post("/utlamnande/ny/", {
        "unit": world.unit_a.pk, "received_date": "2026-11-02", "received_time": "09:15", "channel": "epost",
        "description": "Alla kommentarer om snöröjning", "anonymous": "on", "requester_contact": "anon@example.se"})
    req = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/utlamnande/{req.pk}/"
    assert req.anonymous and req.requester_name == "" and req.requester_contact == "anon@example.se"

    page = client.get(f"/utlamnande/{req.pk}/sok/", {"q": "snöröjning"}).content.decode()
    assert f'value="{items["c2"].pk}"' in page and f'value="{items["p1"].pk}"' in page
    client.post(f"/utlamnande/{req.pk}/sok/", {"item": [items["c1"].pk, items["c2"].pk]})
    assert req.items.count() == 2 and is_protected(items["c1"])

    ri = RequestItem.objects.get(request=req, item=items["c1"])
    page = client.get(f"/utlamnande/{req.pk}/post/{ri.pk}/").content.decode()
    assert "Personnummer: ”811228-9874”" in page
    pnr_index = _candidate_index(page, "Personnummer")
    assert f'name="mask_{pnr_index}" id="mask_{pnr_index}" checked' in page       # a span: suggested
    health = _candidate_index(page, "Uppgift om hälsa")
    assert "Uppgift om hälsa: ”diabetes”" in page
    assert f'name="mask_{health}" id="mask_{health}" checked' in page               # a located meaning: suggested
    # Only the personnummer is masked; the client's own idea of the text is not accepted anywhere.
    response = client.post(f"/utlamnande/{req.pk}/post/{ri.pk}/", {
        "decision": "lamnas_ut_maskerad", f"mask_{pnr_index}": "on", f"osl_{pnr_index}": "OSL 21 kap. 7 §",
        "text": "Falsk text från webbläsaren"})
    assert response.status_code == 302
    ri.refresh_from_db()
    assert len(ri.masks) == 1 and ri.version.text[ri.masks[0]["start"]:ri.masks[0]["end"]] == PNR
    ri2 = RequestItem.objects.get(request=req, item=items["c2"])
    client.post(f"/utlamnande/{req.pk}/post/{ri2.pk}/", {"decision": "lamnas_ut"})
    client.post(f"/utlamnande/{req.pk}/besluta/")
    client.post(f"/utlamnande/{req.pk}/expediera/")
    req.refresh_from_db()
    assert req.status == Request.Status.EXPEDIERAD
    delivery = Delivery.objects.get(request=req)
    csv_text = client.get(f"/utlamnande/{req.pk}/utlamnat/{delivery.pk}/handlingar.csv").content.decode("utf-8-sig")
    pdf = client.get(f"/utlamnande/{req.pk}/utlamnat/{delivery.pk}/handlingar.pdf").content
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for text in (csv_text, pdf_text):
        assert PNR not in text and "Falsk text" not in text and "070-123 45 67" in text   # only what was chosen
    response = client.get(f"/utlamnande/{req.pk}/utlamnat/{delivery.pk}/beslut.pdf")
    # The file name keeps the number apart from the year: BAH KS 2026/1 → bah-ks-2026-1-beslut.pdf
    number = req.reference.rsplit(" ", 1)[1].replace("/", "-")
    assert response["Content-Disposition"].endswith(f'-{number}-beslut.pdf"')
    letter = response.content
    assert "Den som begärt handlingarna" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter)).pages)
    client.post(f"/utlamnande/{req.pk}/avsluta/", {"note": "Klart"})
    assert not is_protected(items["c1"])


def test_bad_registration_shows_swedish_errors(client, world):
    login(client, world.registrator)
    response = client.post("/utlamnande/ny/", {"unit": world.unit_a.pk, "received_date": "2.11", "received_time": "",
                                               "channel": "epost", "description": ""})
    page = response.content.decode()
    assert response.status_code == 200 and Request.objects.count() == 0
    assert "Begäran registrerades inte" in page and "Beskriv vilka handlingar som begärs." in page
    assert "Datum anges som ÅÅÅÅ-MM-DD." in page and "Ange klockslag." in page
    response = client.post("/utlamnande/ny/", {"unit": world.unit_a.pk, "received_date": "2026-11-02",
                                               "received_time": "09:00", "channel": "epost", "description": "Allt",
                                               "anonymous": "on", "requester_name": "Anna"})
    assert "En anonym begäran har inget namn" in response.content.decode() and Request.objects.count() == 0


def test_bad_review_shows_swedish_errors_and_saves_nothing(client, world, items, request_ks):
    actions.add_items(world.registrator, request_ks, [items["c1"]])
    ri = RequestItem.objects.get()
    login(client, world.registrator)
    response = client.post(f"/utlamnande/{request_ks.pk}/post/{ri.pk}/", {"decision": "lamnas_inte_ut"})
    assert "Ange den sekretessbestämmelse som hindrar utlämnandet" in response.content.decode()
    response = client.post(f"/utlamnande/{request_ks.pk}/post/{ri.pk}/", {
        "decision": "lamnas_ut_maskerad", "phrase": "finns inte här", "phrase_osl": "OSL 21 kap. 7 §"})
    assert "Texten finns inte i posten." in response.content.decode()
    response = client.post(f"/utlamnande/{request_ks.pk}/post/{ri.pk}/", {
        "decision": "lamnas_ut_maskerad", "phrase": "diabetes", "phrase_osl": ""})
    assert "Varje maskering behöver en sekretessbestämmelse" in response.content.decode()
    ri.refresh_from_db()
    assert ri.decision == "" and ri.masks == []


def test_list_shows_age_and_oldest_first(client, world):
    now = datetime.now(UTC)
    new = actions.register_request(world.registrator, unit=world.unit_a, received_at=now - timedelta(minutes=5),
                                   channel="epost", description="Ny begäran")
    old = actions.register_request(world.registrator, unit=world.unit_a, received_at=now - timedelta(days=9),
                                   channel="brev", description="Gammal begäran")
    login(client, world.kom_a)
    page = client.get("/utlamnande/").content.decode()
    assert page.index(old.reference) < page.index(new.reference)
    assert "Brådskande" in page and "age-bradskande" in page and "arbetsdagar" in page and "Ny" in page


def test_authorisation_matrix(client, world, items, request_ks, sn_item):
    sn_req = actions.register_request(world.kom_b, unit=world.unit_b, received_at=datetime.now(UTC), channel="telefon",
                                      description="Socialnämndens begäran")
    actions.add_items(world.registrator, request_ks, [items["c1"]])
    ri = RequestItem.objects.get(request=request_ks)
    detail, review = f"/utlamnande/{request_ks.pk}/", f"/utlamnande/{request_ks.pk}/post/{ri.pk}/"

    # Another unit sees nothing: not in the list, 404 on every page.
    login(client, world.kom_b)
    page = client.get("/utlamnande/").content.decode()
    assert request_ks.reference not in page and sn_req.reference in page
    for url in (detail, review, f"/utlamnande/{request_ks.pk}/sok/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/utlamnande/{request_ks.pk}/besluta/").status_code == 404
    # Nor does someone without a role.
    login(client, world.outsider)
    assert client.get(detail).status_code == 404 and client.get("/utlamnande/ny/").status_code == 404
    # A granskare in the unit reads but does not handle.
    login(client, world.granskare)
    assert client.get(detail).status_code == 200
    assert client.get(f"/utlamnande/{request_ks.pk}/sok/").status_code == 403
    assert client.post(review, {"decision": "lamnas_ut"}).status_code == 403
    assert client.post(f"/utlamnande/{request_ks.pk}/avsluta/").status_code == 403
    request_ks.refresh_from_db()
    assert request_ks.status == Request.Status.UNDER_PROVNING   # the close was refused
    # The registrator of KS does not see Socialnämnden's request.
    login(client, world.registrator)
    assert client.get(f"/utlamnande/{sn_req.pk}/").status_code == 404
    assert sn_req.reference not in client.get("/utlamnande/").content.decode()


def test_the_unauthenticated_are_sent_to_log_in(client, request_ks):
    response = client.get(f"/utlamnande/{request_ks.pk}/")
    assert response.status_code == 302 and "/konto/logga-in/" in response["Location"]


def test_reading_a_secret_item_in_review_is_logged(client, world, items, request_ks):
    from datetime import date

    from insyn.records import actions as records_actions

    records_actions.register_document(world.registrator, authority=world.ks, item=items["c1"],
                                      received_or_drawn_up=date(2026, 3, 1), counterpart="Maja Ek",
                                      subject="Uppgifter om sonens hälsa", sekretess=True, osl_reference="OSL 21 kap. 1 §")
    actions.add_items(world.registrator, request_ks, [items["c1"]])
    ri = RequestItem.objects.get()
    login(client, world.registrator)
    assert client.get(f"/utlamnande/{request_ks.pk}/post/{ri.pk}/").status_code == 200
    assert Event.objects.filter(kind="records.protected_read", actor=world.registrator).exists()
    # A kommunikatör in the unit may not read it, so cannot select it either.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.add_items(world.chef_a, request_ks, [items["c1"]])
    login(client, world.chef_a)
    assert client.get(f"/utlamnande/{request_ks.pk}/post/{ri.pk}/").status_code == 404


def test_list_queries_do_not_grow_with_the_number_of_requests(client, world, django_assert_max_num_queries):
    login(client, world.registrator)
    for n in range(3):
        actions.register_request(world.registrator, unit=world.unit_a, received_at=datetime.now(UTC), channel="epost",
                                 description=f"Begäran {n}", handler=world.handlaggare)
    client.get("/utlamnande/")
    with django_assert_max_num_queries(12) as few:
        client.get("/utlamnande/")
    for n in range(10):
        actions.register_request(world.registrator, unit=world.unit_a, received_at=datetime.now(UTC), channel="epost",
                                 description=f"Fler {n}", handler=world.handlaggare)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/utlamnande/")


def test_the_pages_have_english_translations(client, world, request_ks):
    from django.utils import translation

    login(client, world.registrator)
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        page = client.get("/utlamnande/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Requests for public records" in page and "Release of records" in page


def test_changing_the_handler(client, world, request_ks):
    login(client, world.registrator)
    client.post(f"/utlamnande/{request_ks.pk}/handlaggare/", {"handler": world.handlaggare.pk})
    request_ks.refresh_from_db()
    assert request_ks.handler == world.handlaggare
    assert Event.objects.filter(kind="utlamnande.handler_assigned", object_id=str(request_ks.pk)).exists()
    # The new handläggare (in a unit below) now sees and handles the request.
    login(client, world.handlaggare)
    assert client.get(f"/utlamnande/{request_ks.pk}/").status_code == 200
    login(client, world.kom_b)
    assert client.post(f"/utlamnande/{request_ks.pk}/handlaggare/", {"handler": ""}).status_code == 404
    login(client, world.registrator)
    response = client.post(f"/utlamnande/{request_ks.pk}/handlaggare/", {"handler": world.kom_b.pk}, follow=True)
    assert "Välj en handläggare i listan." in response.content.decode()
    request_ks.refresh_from_db()
    assert request_ks.handler == world.handlaggare


def test_large_requests_are_produced_by_the_worker(client, world, items, request_ks, monkeypatch,
                                                   django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from insyn.records.utlamnande import views
    from insyn.records.utlamnande.tasks import expedite_task

    monkeypatch.setattr(views, "SYNC_PRODUCTION_LIMIT", 1)
    actions.add_items(world.registrator, request_ks, [items["c1"], items["c2"]])
    for ri in RequestItem.objects.all():
        actions.decide_item(world.registrator, ri, decision="lamnas_ut")
    actions.decide_request(world.registrator, request_ks)
    login(client, world.registrator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/utlamnande/{request_ks.pk}/expediera/")
    request_ks.refresh_from_db()
    assert request_ks.status == Request.Status.BESLUTAD and request_ks.production_ordered_at is not None
    assert DBTaskResult.objects.filter(task_path__endswith="expedite_task").count() == 1
    assert "Handlingarna tas fram i bakgrunden" in client.get(f"/utlamnande/{request_ks.pk}/").content.decode()

    assert "delivery" in expedite_task.call(request_ks.pk, world.registrator.pk)
    request_ks.refresh_from_db()
    assert request_ks.status == Request.Status.EXPEDIERAD and request_ks.production_ordered_at is None
    # Run twice (a retried job): nothing is produced again.
    assert expedite_task.call(request_ks.pk, world.registrator.pk) == {"skipped": "expedierad"}
    assert Delivery.objects.count() == 1
