"""A request for records from registration to closing: items selected and held back from
gallring, reviewed with masks suggested from triage, decided, handed out, closed."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from insyn.eventlog.log import verify
from insyn.eventlog.models import Event
from insyn.records.holds import is_protected
from insyn.records.models import OpenRequestItem
from insyn.records.utlamnande import actions, masking
from insyn.records.utlamnande.models import Request, RequestItem
from tests.records.utlamnande.conftest import PNR


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _suggested_masks(ri):
    return [{"start": s.start, "end": s.end, "kind": s.kind, "osl": s.osl}
            for s in masking.suggestions(ri.version.text, ri.version.triage)]


def test_register_request_is_logged_without_the_requesters_name(world, request_ks):
    assert request_ks.status == Request.Status.REGISTRERAD
    assert request_ks.reference == f"BAH KS {request_ks.received_at.year}/1"
    event = Event.objects.get(kind="utlamnande.request_registered")
    assert event.object_id == str(request_ks.pk)
    assert "Per Persson" not in str(event.data) and "per@example.se" not in str(event.data)
    assert event.data["record_sha256"] == actions.request_hash(request_ks)
    second = actions.register_request(world.kom_a, unit=world.unit_a, received_at=datetime.now(UTC), channel="telefon",
                                      description="Allt om badhuset", anonymous=True)
    assert second.reference.endswith("/2") and second.requester_label == "Anonym"


def test_full_lifecycle_masks_the_personnummer_everywhere(world, items, request_ks):
    actions.add_items(world.registrator, request_ks, [items["c1"], items["c2"]])
    request_ks.refresh_from_db()
    assert request_ks.status == Request.Status.UNDER_PROVNING
    assert is_protected(items["c1"]) and is_protected(items["c2"])

    ri1 = RequestItem.objects.get(request=request_ks, item=items["c1"])
    suggested = masking.suggestions(ri1.version.text, ri1.version.triage)
    kinds = {s.kind for s in suggested}
    assert {"personnummer", "telefon", "adress", "halsa", "barn"} <= kinds
    pnr = next(s for s in suggested if s.kind == "personnummer")
    assert ri1.version.text[pnr.start:pnr.end] == PNR and pnr.osl == "OSL 21 kap. 7 §"

    masks = [m for m in _suggested_masks(ri1) if m["kind"] in ("personnummer", "telefon", "adress", "halsa")]
    actions.decide_item(world.registrator, ri1, decision=RequestItem.Decision.MASKERAD, masks=masks)
    ri2 = RequestItem.objects.get(request=request_ks, item=items["c2"])
    actions.decide_item(world.registrator, ri2, decision=RequestItem.Decision.LAMNAS_UT)
    actions.decide_request(world.registrator, request_ks)
    delivery = actions.expedite(world.registrator, request_ks)

    request_ks.refresh_from_db()
    assert request_ks.status == Request.Status.EXPEDIERAD
    documents, letter = _pdf_text(bytes(delivery.documents_pdf)), _pdf_text(bytes(delivery.letter_pdf))
    csv_text = bytes(delivery.documents_csv).decode("utf-8-sig")
    for text in (documents, letter, csv_text):
        assert PNR not in text and PNR.replace("-", "") not in text
        assert "070-123 45 67" not in text and "Storgatan 12" not in text and "diabetes" not in text
    assert "maskerat, OSL 21 kap. 7 §" in documents and "maskerat, OSL 21 kap. 7 §" in csv_text
    assert "Snöröjningen på min gata är bra i år" in documents and "Snöröjningen på min gata är bra i år" in csv_text
    assert "Min son har" in documents   # what was not masked is handed out
    # Something was masked: the decision carries a besvärshänvisning.
    assert "kammarrätten" in letter and "tre veckor" in letter and delivery.has_appeal_notice
    xmp = PdfReader(io.BytesIO(bytes(delivery.documents_pdf))).xmp_metadata.stream.get_data()
    assert b'pdfaid:part="2"' in xmp   # PDF/A-2b

    event = Event.objects.get(kind="utlamnande.expedited")
    assert event.data["documents_sha256"] == delivery.documents_sha256
    assert event.data["letter_sha256"] == delivery.letter_sha256 and event.data["csv_sha256"] == delivery.csv_sha256
    assert event.data["masked"] == 1 and event.data["handed_out"] == 1

    # Still held back from gallring until closed (the requester may appeal).
    assert is_protected(items["c1"])
    actions.close_request(world.registrator, request_ks, note="Överklagandetiden har gått ut")
    assert not is_protected(items["c1"]) and not is_protected(items["c2"])
    assert OpenRequestItem.objects.filter(request_reference=request_ks.reference, closed_at__isnull=True).count() == 0
    kinds = list(Event.objects.filter(kind__startswith="utlamnande.").values_list("kind", flat=True))
    assert kinds == ["utlamnande.request_registered", "utlamnande.items_selected", "utlamnande.item_decided",
                     "utlamnande.item_decided", "utlamnande.decided", "utlamnande.expedited", "utlamnande.closed"]
    assert PNR not in str(list(Event.objects.values_list("data", flat=True)))
    assert verify().ok


def test_masks_come_from_the_stored_decision_not_the_form(world, items, request_ks):
    actions.add_items(world.registrator, request_ks, [items["c1"]])
    ri = RequestItem.objects.get(request=request_ks)
    text = ri.version.text
    start = text.index(PNR)
    actions.decide_item(world.registrator, ri, decision=RequestItem.Decision.MASKERAD,
                        masks=[{"start": start, "end": start + len(PNR), "kind": "personnummer", "osl": "OSL 21 kap. 7 §"}])
    ri.refresh_from_db()
    assert masking.masked_text(text, ri.masks) == text.replace(PNR, "[maskerat, OSL 21 kap. 7 §]")


def test_refusal_needs_a_provision_and_hands_out_nothing(world, items, request_ks):
    actions.add_items(world.registrator, request_ks, [items["c1"]])
    ri = RequestItem.objects.get(request=request_ks)
    with pytest.raises(ValidationError) as exc:
        actions.decide_item(world.registrator, ri, decision=RequestItem.Decision.LAMNAS_INTE_UT)
    assert "sekretessbestämmelse" in str(exc.value)
    actions.decide_item(world.registrator, ri, decision=RequestItem.Decision.LAMNAS_INTE_UT,
                        osl_reference="OSL 26 kap. 1 §", reason="Uppgifter om en enskilds personliga förhållanden")
    actions.decide_request(world.registrator, request_ks)
    delivery = actions.expedite(world.registrator, request_ks)
    documents, csv_text = _pdf_text(bytes(delivery.documents_pdf)), bytes(delivery.documents_csv).decode("utf-8-sig")
    assert "Min son" not in documents and "Min son" not in csv_text
    assert "OSL 26 kap. 1 §" in documents and "kammarrätten" in _pdf_text(bytes(delivery.letter_pdf))


def test_nothing_masked_means_no_appeal_notice(world, items, request_ks):
    actions.add_items(world.registrator, request_ks, [items["c2"]])
    actions.decide_item(world.registrator, RequestItem.objects.get(request=request_ks), decision="lamnas_ut")
    actions.decide_request(world.registrator, request_ks)
    delivery = actions.expedite(world.registrator, request_ks)
    assert not delivery.has_appeal_notice and "kammarrätten" not in _pdf_text(bytes(delivery.letter_pdf))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"decision": "lamnas_ut_maskerad", "masks": []}, "Välj minst en maskering"),
    ({"decision": "lamnas_ut", "masks": [{"start": 0, "end": 3, "osl": "OSL 21 kap. 7 §"}]}, "Lämnas ut med maskering"),
    ({"decision": "lamnas_ut_maskerad", "masks": [{"start": 0, "end": 9999, "osl": "OSL 21 kap. 7 §"}]}, "utanför textens längd"),
    ({"decision": "lamnas_ut_maskerad", "masks": [{"start": 0, "end": 3, "osl": ""}]}, "sekretessbestämmelse"),
    ({"decision": "lamnas_ut_maskerad", "masks": [{"start": "0", "end": 3, "osl": "x"}]}, "positioner"),
    ({"decision": "nej"}, "Välj ett beslut"),
])
def test_bad_review_input_gives_swedish_errors_and_saves_nothing(world, items, request_ks, kwargs, message):
    actions.add_items(world.registrator, request_ks, [items["c1"]])
    ri = RequestItem.objects.get(request=request_ks)
    before = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.decide_item(world.registrator, ri, **kwargs)
    assert message in str(exc.value)
    ri.refresh_from_db()
    assert ri.decision == "" and ri.masks == [] and Event.objects.count() == before


def test_overlapping_masks_are_merged(world):
    merged = masking.normalise_masks("abcdefghij", [{"start": 0, "end": 4, "osl": "A"}, {"start": 2, "end": 6, "osl": "B"},
                                                    {"start": 8, "end": 9, "osl": "A"}])
    assert [(m["start"], m["end"], m["osl"]) for m in merged] == [(0, 6, "A; B"), (8, 9, "A")]
    assert masking.masked_text("abcdefghij", merged) == "[maskerat, A; B]gh[maskerat, A]j"


def test_bad_registration_input_gives_swedish_errors(world):
    before = Request.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.register_request(world.registrator, unit=world.unit_a, received_at=datetime.now(UTC) + timedelta(days=2),
                                 channel="brevduva", description=" ", anonymous=True, requester_name="Anna")
    errors = exc.value.message_dict
    assert "Beskriv vilka handlingar som begärs." in errors["description"]
    assert "Välj hur begäran kom in." in errors["channel"]
    assert "Tidpunkten kan inte ligga i framtiden." in errors["received_at"]
    assert "En anonym begäran har inget namn" in errors["requester_name"][0]
    assert Request.objects.count() == before


def test_deciding_needs_every_item_decided_and_a_decided_request_is_frozen(world, items, request_ks):
    actions.add_items(world.registrator, request_ks, [items["c1"], items["c2"]])
    with pytest.raises(ValidationError, match="2 poster saknar beslut"):
        actions.decide_request(world.registrator, request_ks)
    for ri in request_ks.items.all():
        actions.decide_item(world.registrator, ri, decision="lamnas_inte_ut", osl_reference="OSL 21 kap. 1 §")
    actions.decide_request(world.registrator, request_ks)
    with pytest.raises(ValidationError, match="beslutad"):
        actions.add_items(world.registrator, request_ks, [items["p1"]])
    with pytest.raises(ValidationError, match="beslutad"):
        actions.decide_item(world.registrator, request_ks.items.first(), decision="lamnas_ut")


def test_removing_an_item_releases_it(world, items, request_ks):
    actions.add_items(world.registrator, request_ks, [items["c1"], items["c2"]])
    actions.remove_item(world.registrator, RequestItem.objects.get(request=request_ks, item=items["c2"]))
    assert is_protected(items["c1"]) and not is_protected(items["c2"])


def test_items_from_another_authority_cannot_be_selected(world, items, sn_item):
    req = actions.register_request(world.registrator, unit=world.unit_a, received_at=datetime.now(UTC), channel="epost",
                                   description="Allt")
    with pytest.raises(ValidationError, match="finns inte bland"):
        actions.add_items(world.registrator, req, [sn_item])
    with pytest.raises(PermissionDenied):
        actions.add_items(world.kom_b, req, [items["c1"]])


def test_the_letter_takes_its_wording_from_the_policy(world, items, request_ks, settings):
    from pathlib import Path

    from insyn.registry import actions as registry_actions

    source = Path(settings.POLICY_FILE).read_text(encoding="utf-8").replace(
        'version = "ange-2026.1"', 'version = "ange-test-utl"')
    source += ('\n[utlamnande]\ncover_letter = "Hej! {myndighet} har prövat din begäran {referens}."\n'
               'appeal = "Överklaga till kammarrätten via {myndighet} inom tre veckor (särskild text)."\n')
    registry_actions.load_policy(source)
    actions.add_items(world.registrator, request_ks, [items["c1"]])
    actions.decide_item(world.registrator, RequestItem.objects.get(), decision="lamnas_inte_ut",
                        osl_reference="OSL 21 kap. 1 §")
    actions.decide_request(world.registrator, request_ks)
    letter = _pdf_text(bytes(actions.expedite(world.registrator, request_ks).letter_pdf))
    assert f"Hej! Kommunstyrelsen har prövat din begäran {request_ks.reference}." in " ".join(letter.split())
    assert "(särskild text)" in letter


def test_a_meaning_label_without_a_passage_is_offered_as_the_whole_text():
    from types import SimpleNamespace

    text = "Hon har haft kontakt med dem i flera år nu."
    stored = SimpleNamespace(
        spans=[], sensitive=["socialtjanst_arende", "halsa"],
        evidence=[{"field": "sensitive", "label": "halsa", "start": 0, "end": 3}],
    )  # fmt: skip
    found = {s.kind: s for s in masking.suggestions(text, stored)}
    assert found["socialtjanst_arende"].whole_text
    assert (found["socialtjanst_arende"].start, found["socialtjanst_arende"].end) == (0, len(text))
    assert not found["halsa"].whole_text and (found["halsa"].start, found["halsa"].end) == (0, 3)
