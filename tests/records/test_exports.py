"""Exports through the adapters: JSON, spreadsheet-safe CSV, and CITS ERMS XML validated against
the schema and Schematron rules in ../shared/reference/schemas/cits-erms/ (read, not copied)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from lxml import etree, isoschematron

from insyn.archive.models import Item
from insyn.records import actions
from insyn.records.adapters import ADAPTERS, get_adapter
from insyn.records.models import Registration
from tests.records.conftest import feed, normalized

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "schemas" / "cits-erms"
NS = {"e": "https://DILCIS.eu/XML/ERMS"}


@pytest.fixture
def registrations(world, fb_account):
    feed(fb_account, normalized("m1", "Hemligt om min hälsa", kind="message", thread="t1", author="Maja Ek"),
         normalized("p1", "Välkommen till sommarlovet", kind="post", author="Kommunen"))
    secret = actions.register_document(
        world.registrator, authority=world.ks, item=Item.objects.get(platform_id="m1"), received_or_drawn_up=date(2026, 3, 2),
        counterpart="Maja Ek", subject="Uppgifter om Majas hälsa", sekretess=True, osl_reference="OSL 21 kap. 1 §",
        handler=world.handlaggare)
    public = actions.register_document(
        world.registrator, authority=world.ks, item=Item.objects.get(platform_id="p1"), received_or_drawn_up=date(2026, 3, 1),
        counterpart="Allmänheten", subject="=HYPERLINK(\"http://evil.example\",\"klick\")", sekretess=False)
    plain = actions.register_document(world.registrator, authority=world.ks, received_or_drawn_up=date(2026, 2, 27),
                                      counterpart="@Bolaget AB", subject="+Avtal om bredband", sekretess=False)
    actions.close_registration(world.registrator, plain)
    return secret, public, plain


def _qs():
    return Registration.objects.order_by("seq")


def test_the_adapters_are_listed_by_name():
    assert set(ADAPTERS) == {"json", "csv", "erms"}
    with pytest.raises(LookupError):
        get_adapter("p360")


def test_json_public_part_hides_secret_fields(world, registrations):
    data = json.loads(get_adapter("json").export(_qs(), authority=world.ks))
    assert data["format"] == "insyn-diarium/1" and data["includes_protected"] is False
    secret = data["registrations"][0]
    assert secret["title"] == "Meddelande via Facebook – sekretess enligt OSL 21 kap. 1 §"
    assert secret["counterpart"] is None and "protected" not in secret
    assert secret["item"] == {"id": registrations[0].item_id}
    assert "Maja" not in json.dumps(data, ensure_ascii=False) and "hälsa" not in json.dumps(data, ensure_ascii=False)
    public = data["registrations"][1]
    assert public["item"]["platform_id"] == "p1" and public["item"]["text_sha256"]
    assert data["registrations"][2]["status"] == "avslutad"


def test_json_with_protected_fields(world, registrations):
    data = json.loads(get_adapter("json").export(_qs(), include_protected=True))
    assert data["registrations"][0]["protected"] == {"counterpart": "Maja Ek", "subject": "Uppgifter om Majas hälsa"}


def test_csv_neutralises_formulas_and_keeps_secrets_out(world, registrations):
    body = get_adapter("csv").export(_qs())
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1]["Ärendemening"].startswith("'=HYPERLINK")
    assert rows[2]["Avsändare/mottagare"] == "'@Bolaget AB" and rows[2]["Ärendemening"] == "'+Avtal om bredband"
    assert "Maja" not in body.decode("utf-8-sig")
    protected = list(csv.DictReader(io.StringIO(get_adapter("csv").export(_qs(), include_protected=True).decode("utf-8-sig"))))
    assert protected[0]["Avsändare/mottagare (skyddad)"] == "Maja Ek"


def _schema_or_skip():
    if not (SCHEMAS / "ERMS.xsd").exists():
        pytest.skip(f"CITS ERMS schema not found at {SCHEMAS}: schema validation skipped")
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "ERMS.xsd")))


def _schematron():
    sch = etree.parse(str(SCHEMAS / "erms.sch"))
    # erms.sch declares queryBinding="xslt2", which lxml's ISO Schematron (XSLT 1.0) refuses;
    # its rules are plain XPath 1.0, so they run unchanged under the xslt binding.
    sch.getroot().set("queryBinding", "xslt")
    return isoschematron.Schematron(sch, store_report=True)


@pytest.mark.parametrize("include_protected", [False, True])
def test_erms_validates_against_the_schema_and_schematron(world, registrations, include_protected):
    schema = _schema_or_skip()
    xml = get_adapter("erms").export(_qs(), include_protected=include_protected, authority=world.ks)
    doc = etree.fromstring(xml)
    assert schema.validate(doc), schema.error_log
    schematron = _schematron()
    assert schematron.validate(doc), schematron.validation_report
    cases = doc.findall(".//e:aggregations/e:aggregation", NS)
    assert [c.get("aggregationType") for c in cases] == ["caseFile"] * 3
    secret = cases[0]
    assert secret.findtext("e:objectId", namespaces=NS) == registrations[0].diarienummer
    assert secret.find("e:restriction/e:regulation", NS).text == "OSL 21 kap. 1 §"
    assert secret.find("e:status", NS).get("value") == "open" and cases[2].find("e:status", NS).get("value") == "closed"
    record = secret.find("e:record", NS)
    assert record.find("e:direction", NS).get("directionDefinition") == "incoming"
    assert cases[1].find("e:record/e:direction", NS).get("directionDefinition") == "outgoing"
    assert secret.find("e:agents/e:agent", NS).get("agentType") == "responsible_person"
    assert secret.find("e:disposal", NS).get("disposable") == "false"   # registrerade: bevaras
    text = xml.decode()
    if include_protected:
        assert secret.findtext("e:title", namespaces=NS) == "Uppgifter om Majas hälsa"
        assert secret.find("e:otherTitle", NS).text.startswith("Meddelande via Facebook – sekretess")
        assert record.find("e:agents/e:agent/e:name", NS).text == "Maja Ek"
    else:
        assert "Maja" not in text and "hälsa" not in text
        assert record.find("e:agents", NS) is None


def test_erms_of_nothing_is_still_valid(world):
    schema = _schema_or_skip()
    doc = etree.fromstring(get_adapter("erms").export(Registration.objects.none(), authority=world.ks))
    assert schema.validate(doc), schema.error_log


def test_the_shared_example_validates_with_the_same_setup():
    schema = _schema_or_skip()
    example = etree.parse(str(SCHEMAS / "example.xml"))
    assert schema.validate(example) and _schematron().validate(example)


def test_the_schematron_rules_do_run(world, registrations):
    _schema_or_skip()
    doc = etree.fromstring(get_adapter("erms").export(_qs()))
    doc.find(".//e:agent", NS).set("agentType", "other")   # "other" needs otherAgentType
    assert not _schematron().validate(doc)
