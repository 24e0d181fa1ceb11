"""GDPR (R30) and log search (R29): the record of processing per account, the data-subject
export, and the event-log search that only granskare may use and that is itself logged."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from insyn.eventlog.models import Event
from insyn.records import actions as records_actions
from insyn.records.utlamnande import actions, gdpr
from tests.conftest import login
from tests.records.utlamnande.conftest import PNR


def _zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# ---------------------------------------------------------------- record of processing


def test_record_of_processing_is_generated_from_the_register(world, fb_account, items):
    record = gdpr.record_of_processing(fb_account)
    assert record.controller == "Kommunstyrelsen" and "Meta Platforms" in record.joint_controller
    assert any("art. 6.1 e" in basis for basis in record.legal_bases)
    assert any(fb_account.purpose in p for p in record.purposes)
    labels = {c["label"]: c for c in record.retention}
    assert labels["Kommentarer av tillfällig eller ringa betydelse"]["period"] == "P2Y"
    assert record.figures["items"] == 3 and record.figures["authors"] == 3
    assert dict(record.sensitive_seen)["personnummer"] == 1


def test_record_of_processing_page_and_pdf(client, world, fb_account, items):
    login(client, world.kom_a)
    page = client.get(f"/gdpr/registerforteckning/{fb_account.pk}/").content.decode()
    assert "Registerförteckning: Testkommunen" in page and "art. 6.1 e" in page and "2 år" in page and "P2Y" not in page
    response = client.get(f"/gdpr/registerforteckning/{fb_account.pk}.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Kommunstyrelsen" in text and "Rättslig grund" in text
    # Another unit's communicator sees nothing of this account.
    login(client, world.kom_b)
    assert client.get(f"/gdpr/registerforteckning/{fb_account.pk}/").status_code == 404
    assert client.get(f"/gdpr/registerforteckning/{fb_account.pk}.pdf").status_code == 404


# ---------------------------------------------------------------- data-subject export


def test_data_subject_export_holds_everything_about_the_author(world, items, request_ks):
    c1 = items["c1"]
    actions.add_items(world.registrator, request_ks, [c1])
    records_actions.register_document(world.registrator, authority=world.ks, item=items["c2"],
                                      received_or_drawn_up=date(2026, 3, 1), counterpart="Bo Berg",
                                      subject="Synpunkt på snöröjning", sekretess=False)
    export = gdpr.export_data_subject(world.registrator, author_id="id-Maja Ek")
    files = _zip(export.data)
    assert set(files) >= {"manifest.json", "items.json", "items.csv", "versions.json", "versions.csv",
                          "state_changes.json", "cases.json", "triage.json", "registrations.json", "requests.json"}
    item_rows = json.loads(files["items.json"])
    assert [r["id"] for r in item_rows] == [c1.pk] and item_rows[0]["text"] == c1.text
    assert json.loads(files["versions.json"])[0]["text"] == c1.text
    triage = json.loads(files["triage.json"])[0]
    assert "personnummer" in triage["sensitive"] and triage["spans"]
    assert json.loads(files["requests.json"])[0]["request"] == request_ks.reference
    assert json.loads(files["registrations.json"]) == []          # Bo Berg's registration is not Maja's
    assert "Maja Ek" in files["items.csv"].decode("utf-8-sig")

    # By exact name too; and the export is logged without the name.
    by_name = gdpr.export_data_subject(world.registrator, author_name="bo berg")
    assert [r["author_name"] for r in json.loads(_zip(by_name.data)["items.json"])] == ["Bo Berg"]
    assert json.loads(_zip(by_name.data)["registrations.json"])[0]["title"] == "Synpunkt på snöröjning"
    events = Event.objects.filter(kind="gdpr.subject_exported").order_by("seq")
    assert [e.data["zip_sha256"] for e in events] == [export.sha256, by_name.sha256]
    assert "Maja" not in str(events[0].data) and PNR not in str(events[0].data)


def test_export_leaves_out_secret_content_the_user_may_not_read(world, items):
    records_actions.register_document(world.registrator, authority=world.ks, item=items["c1"],
                                      received_or_drawn_up=date(2026, 3, 1), counterpart="Maja Ek",
                                      subject="Uppgifter om sonens hälsa", sekretess=True,
                                      osl_reference="OSL 21 kap. 1 §")
    export = gdpr.export_data_subject(world.samordnare, author_id="id-Maja Ek")
    files = _zip(export.data)
    row = json.loads(files["items.json"])[0]
    assert row["withheld"] and row["text"] is None and json.loads(files["versions.json"]) == []
    assert PNR not in export.data.decode("latin-1") and PNR not in "".join(f.decode("utf-8", "replace") for f in files.values())
    assert json.loads(files["manifest.json"])["counts"]["withheld"] == 1
    # The authority's registrator may read it, so it is in their export.
    assert json.loads(_zip(gdpr.export_data_subject(world.registrator, author_id="id-Maja Ek").data)["items.json"])[0]["text"]


def test_export_covers_only_accounts_the_user_can_see(world, items, sn_item):
    export = gdpr.export_data_subject(world.registrator, author_name="Maja Ek")
    ids = [r["id"] for r in json.loads(_zip(export.data)["items.json"])]
    assert items["c1"].pk in ids and sn_item.pk not in ids
    everything = gdpr.export_data_subject(world.samordnare, author_name="Maja Ek")
    assert sn_item.pk in [r["id"] for r in json.loads(_zip(everything.data)["items.json"])]


def test_export_is_for_registratorer_and_samordnare_only(client, world, items):
    for user in (world.kom_a, world.granskare, world.chef_a, world.outsider):
        with pytest.raises(PermissionDenied):
            gdpr.export_data_subject(user, author_id="id-Maja Ek")
        login(client, user)
        assert client.get("/gdpr/registerutdrag/").status_code == 403
    with pytest.raises(ValidationError, match="Ange avsändarens id"):
        gdpr.export_data_subject(world.registrator, author_id=" ")
    login(client, world.registrator)
    response = client.post("/gdpr/registerutdrag/", {"author_id": "", "author_name": ""})
    assert "Ange avsändarens id på plattformen eller namn." in response.content.decode()
    response = client.post("/gdpr/registerutdrag/", {"author_id": "id-Maja Ek"})
    assert response["Content-Type"] == "application/zip" and "manifest.json" in _zip(response.content)


# ---------------------------------------------------------------- log search (R29)


def test_only_granskare_search_the_log_and_every_search_is_logged(client, world, items, request_ks):
    for user in (world.samordnare, world.registrator, world.kom_a, world.outsider):
        with pytest.raises(PermissionDenied):
            gdpr.search_log(user, gdpr.LogQuery(verb="utlamnande."))
        login(client, user)
        assert client.get("/gdpr/loggsok/", {"verb": "utlamnande."}).status_code == 403
    assert not Event.objects.filter(kind="eventlog.searched").exists()

    found = gdpr.search_log(world.granskare, gdpr.LogQuery(actor="registrator", verb="utlamnande."))
    assert [e.kind for e in found] == ["utlamnande.request_registered"]
    search_event = Event.objects.get(kind="eventlog.searched")
    assert search_event.actor == world.granskare
    assert search_event.data == {"filters": {"actor": "registrator", "verb": "utlamnande.", "object_type": "",
                                             "object_id": "", "since": None, "until": None}, "count": 1}

    login(client, world.granskare)
    page = client.get("/gdpr/loggsok/", {"object_type": "utlamnande.request", "object_id": str(request_ks.pk)})
    assert page.status_code == 200 and "utlamnande.request_registered" in page.content.decode()
    assert "&quot;reference&quot;: &quot;" in page.content.decode()   # the event's data as JSON, not a dict repr
    assert Event.objects.filter(kind="eventlog.searched").count() == 2
    system = gdpr.search_log(world.granskare, gdpr.LogQuery(actor="system"))
    assert system and {e.actor_label for e in system} == {"system"}
    # The searches themselves can be found, by the next search.
    assert gdpr.search_log(world.granskare, gdpr.LogQuery(verb="eventlog.searched"))


def test_log_search_errors_are_swedish(client, world):
    login(client, world.granskare)
    page = client.get("/gdpr/loggsok/", {"since": "2026-05-01", "until": "2026-04-01"}).content.decode()
    assert "Slutdatumet ligger före startdatumet." in page
    page = client.get("/gdpr/loggsok/", {"since": "1 maj"}).content.decode()
    assert "Datum anges som ÅÅÅÅ-MM-DD." in page
    assert not Event.objects.filter(kind="eventlog.searched").exists()


def test_gdpr_overview_shows_what_the_role_allows(client, world, fb_account):
    login(client, world.granskare)
    page = client.get("/gdpr/").content.decode()
    assert "/gdpr/loggsok/" in page and "/gdpr/registerutdrag/" not in page
    login(client, world.registrator)
    page = client.get("/gdpr/").content.decode()
    assert "/gdpr/loggsok/" not in page and "/gdpr/registerutdrag/" in page
    assert f"/gdpr/registerforteckning/{fb_account.pk}/" in page
