"""The CSIP/SIP package: built from a small archive, unpacked, and checked with eark-validator,
Insyn's fixity check, the shared CITS ERMS schema, and by reading what is inside."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree, isoschematron
from pypdf import PdfReader

from insyn.records.earchive import actions
from insyn.records.earchive.models import Delivery
from insyn.records.earchive.package import Scope, build_csip, submitter_for
from insyn.records.earchive.validation import check_eark, check_erms, check_fixity, validate_package

SCHEMAS = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "schemas" / "cits-erms"
M = {"m": "http://www.loc.gov/METS/", "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS",
     "xlink": "http://www.w3.org/1999/xlink", "p": "http://www.loc.gov/premis/v3", "e": "https://DILCIS.eu/XML/ERMS"}


@pytest.fixture
def built(small_archive, tmp_path):
    account = small_archive["account"]
    result = build_csip(Scope(account), tmp_path, objid="insyn-test-1", submitter=submitter_for(account))
    return result


def test_the_package_passes_eark_validator(built):
    check = check_eark(built.root)
    assert check.status == "valid", check.errors
    assert check.errors == []
    report = validate_package(built.root)
    assert report.valid, report.as_dict()
    # Only the documented eark-validator defect is waived, and it says so.
    waived = [w for w in check.warnings if "waived" in w]
    assert waived and all("SIP14" in w for w in waived)


def test_the_validator_rejects_a_broken_package(built):
    # A METS without the PHYSICAL structMap's mandatory Metadata division and without its
    # package type: eark-validator itself must say no.
    mets = built.root / "METS.xml"
    doc = etree.parse(str(mets))
    div = doc.find(".//m:structMap/m:div/m:div[@LABEL='Metadata']", M)
    div.getparent().remove(div)
    del doc.find("m:metsHdr", M).attrib["{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}OAISPACKAGETYPE"]
    doc.write(str(mets), xml_declaration=True, encoding="UTF-8")
    check = check_eark(built.root)
    assert check.status == "invalid"
    assert any("CSIP88" in e for e in check.errors)
    assert any("OAISPACKAGETYPE" in e or "SIP4" in e for e in check.errors)


def test_a_wrong_checksum_is_reported(built):
    assert check_fixity(built.root).status == "valid"
    items = built.root / "representations" / "rep1" / "data" / "items.json"
    data = items.read_bytes()
    items.write_bytes(data.replace(b"badhuset", b"BADHUSET", 1))   # same size, other bytes
    check = check_fixity(built.root)
    assert check.status == "invalid"
    assert any("items.json has SHA-256" in e for e in check.errors)
    assert not validate_package(built.root).valid


def test_a_missing_file_is_reported(built):
    next((built.root / "representations" / "rep1" / "data" / "media").iterdir()).unlink()
    check = check_fixity(built.root)
    assert check.status == "invalid" and any("is missing" in e for e in check.errors)


def test_root_mets_has_the_sip_header_agents_and_structure(built):
    doc = etree.parse(str(built.root / "METS.xml"))
    root = doc.getroot()
    assert root.get("OBJID") == "insyn-test-1"
    assert root.get("PROFILE") == "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
    assert root.get(f"{{{M['csip']}}}CONTENTINFORMATIONTYPE") == "OTHER"
    hdr = root.find("m:metsHdr", M)
    assert hdr.get(f"{{{M['csip']}}}OAISPACKAGETYPE") == "SIP"
    software = hdr.find("m:agent[@ROLE='CREATOR']", M)
    assert software.get("OTHERTYPE") == "SOFTWARE" and software.findtext("m:name", namespaces=M) == "Insyn"
    assert software.find("m:note", M).get(f"{{{M['csip']}}}NOTETYPE") == "SOFTWARE VERSION"
    archivist = hdr.find("m:agent[@ROLE='ARCHIVIST']", M)
    assert archivist.findtext("m:name", namespaces=M) == "Kommunstyrelsen, Testkommun"
    assert hdr.find("m:agent[@OTHERROLE='SUBMITTER']", M).findtext("m:name", namespaces=M) == "Testkommun"
    smap = root.find("m:structMap", M)
    assert (smap.get("TYPE"), smap.get("LABEL")) == ("PHYSICAL", "CSIP")
    labels = [d.get("LABEL") for d in smap.findall("m:div/m:div", M)]
    assert labels == ["Metadata", "Documentation", "Schemas", "Representations"]
    mptr = smap.find(".//m:div[@LABEL='Representations/rep1']/m:mptr", M)
    assert mptr.get(f"{{{M['xlink']}}}href") == "representations/rep1/METS.xml"
    # Every file in every fileSec carries SHA-256, size, type and creation time.
    rep = etree.parse(str(built.root / "representations" / "rep1" / "METS.xml"))
    files = doc.findall(".//m:file", M) + rep.findall(".//m:file", M)
    assert files and all(f.get("CHECKSUMTYPE") == "SHA-256" and len(f.get("CHECKSUM")) == 64 and f.get("SIZE")
                         and f.get("MIMETYPE") and f.get("CREATED") for f in files)
    hrefs = {f.find("m:FLocat", M).get(f"{{{M['xlink']}}}href") for f in rep.findall(".//m:file", M)}
    assert {"data/items.json", "data/items-0001.pdf"} <= hrefs
    assert any(h.startswith("data/media/") and h.endswith(".png") for h in hrefs)


def test_items_json_holds_every_version_and_state_change(built, small_archive):
    data = json.loads((built.root / "representations" / "rep1" / "data" / "items.json").read_text())
    assert data["format"] == "insyn-earchive-items/1" and data["package"] == "insyn-test-1"
    items = {i["platform_id"]: i for i in data["items"]}
    assert set(items) == {"p1", "c1", "r1", "m1", "c2"}
    assert [v["text"] for v in items["c1"]["versions"]] == [
        "När öppnar badhuset?", "När öppnar badhuset igen?", "När öppnar badhuset igen efter renoveringen?"]
    assert items["r1"]["state"] == "deleted_on_platform"
    assert [c["state"] for c in items["r1"]["state_changes"]] == ["deleted_on_platform"]
    assert items["r1"]["versions"][0]["text"] == "Det vet ingen <script>alert(1)</script>"   # kept, not lost
    assert items["m1"]["registration"] == {"diarienummer": small_archive["registration"].diarienummer,
                                           "sekretess": True, "osl_reference": "OSL 26 kap. 1 §"}
    media = items["c2"]["media"][0]
    assert media["sha256"] == small_archive["media"].sha256
    stored = built.root / "representations" / "rep1" / media["file"]
    from insyn.archive.media import media_path

    assert stored.read_bytes() == media_path(media["sha256"]).read_bytes()


def test_the_pdf_is_pdf_a_and_holds_the_items(built):
    pdf = PdfReader(built.root / "representations" / "rep1" / "data" / "items-0001.pdf")
    raw = pdf.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="2"' in raw or "<pdfaid:part>2</pdfaid:part>" in raw
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "badhuset igen efter renoveringen" in text
    assert "<script>alert(1)</script>" in text   # escaped as text, shown as written


def test_premis_has_objects_events_and_agents(built):
    doc = etree.parse(str(built.root / "metadata" / "preservation" / "premis.xml"))
    files = doc.xpath("//p:object[@xsi:type='premis:file']", namespaces={**M, "xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    assert any(f.findtext(".//p:messageDigestAlgorithm", namespaces=M) == "SHA-256" for f in files)
    events = [e.findtext("p:eventType", namespaces=M) for e in doc.findall("p:event", M)]
    # c1: one capture and two edits; r1: a capture and a deletion; package creation; digests.
    assert events.count("capture") == 5
    assert events.count("modification") == 2
    assert events.count("deletion") == 1
    assert "information package creation" in events and "message digest calculation" in events
    agents = [a.findtext("p:agentType", namespaces=M) for a in doc.findall("p:agent", M)]
    assert {"software", "organization"} <= set(agents)


def test_erms_in_the_package_validates_against_the_shared_schema(built, small_archive):
    if not (SCHEMAS / "ERMS.xsd").exists():
        pytest.skip(f"CITS ERMS schema not found at {SCHEMAS}: schema validation skipped")
    erms = built.root / "metadata" / "descriptive" / "erms.xml"
    doc = etree.parse(str(erms))
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "ERMS.xsd")))
    assert schema.validate(doc), schema.error_log
    sch = etree.parse(str(SCHEMAS / "erms.sch"))
    sch.getroot().set("queryBinding", "xslt")
    schematron = isoschematron.Schematron(sch, store_report=True)
    assert schematron.validate(doc), schematron.validation_report
    case = doc.find(".//e:aggregation", M)
    assert case.findtext("e:objectId", namespaces=M) == small_archive["registration"].diarienummer
    assert case.find("e:restriction/e:regulation", M).text == "OSL 26 kap. 1 §"
    assert check_erms(erms).status == "valid"
    # And the same check says no to a broken file.
    case.remove(case.find("e:objectId", M))
    doc.write(str(erms))
    assert check_erms(erms).status == "invalid"


def test_a_period_selects_items_by_when_they_came_in(small_archive, tmp_path):
    from datetime import date

    account = small_archive["account"]
    assert Scope(account, date(2026, 3, 2), date(2026, 3, 2)).items().count() == 5
    assert Scope(account, date(2026, 3, 3), None).items().count() == 0
    assert Scope(account, None, date(2026, 3, 1)).items().count() == 0


def test_the_delivered_zip_is_validated_as_delivered(small_archive, arkivarie):
    delivery = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"]))
    assert delivery.status == Delivery.Status.VALID, delivery.report
    path = actions.package_path(delivery)
    assert actions.validate_file(path, "csip", delivery.objid).valid
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert all(n.startswith(delivery.objid + "/") for n in names)
        assert f"{delivery.objid}/METS.xml" in names
        # Tamper with one member: rewrite the zip with a changed items.json.
        tampered = BytesIO()
        with zipfile.ZipFile(tampered, "w") as out:
            for name in names:
                data = zf.read(name)
                if name.endswith("items.json"):
                    data = data.replace(b"badhuset", b"BADHUSET", 1)
                out.writestr(name, data)
    bad = path.with_name("tampered.zip")
    bad.write_bytes(tampered.getvalue())
    report = actions.validate_file(bad, "csip", delivery.objid)
    assert not report.valid
    assert any(c["status"] == "invalid" and c["name"].startswith("fixity") for c in report.as_dict()["checks"])
