"""Building a submission information package from the archive (FGS Paketstruktur 2.0 =
E-ARK CSIP 2.1.0 + E-ARK SIP 2.1.0). Layout and content are described in docs/earchive.md::

    <OBJID>/
      METS.xml                                  root METS (SIP profile)
      metadata/descriptive/erms.xml             CITS ERMS: the registrations (case files) in scope
      metadata/preservation/premis.xml          PREMIS 3: objects, events, agents
      representations/rep1/METS.xml             the representation's files
      representations/rep1/data/items.json      every item with all versions and state changes
      representations/rep1/data/items-NNNN.pdf  the same items as PDF/A-2b, in volumes
      representations/rep1/data/media/<sha256>.<ext>
      representations/rep1/metadata/other/items.schema.json   the JSON Schema of items.json
      schemas/                                  the XML schemas the METS files use
      documentation/insyn-leverans.txt          what the package holds, in Swedish

Streaming: items are read from the database in chunks and written one by one; only one PDF
volume's items are in memory at a time. Every file's size and SHA-256 are computed while it
is written. Nothing here decides who may build: ``actions.build_delivery`` does.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from lxml import etree

from insyn.archive.media import media_path
from insyn.archive.models import Item, ItemMedia, ItemStateChange, ItemVersion
from insyn.records.adapters.erms import ErmsAdapter
from insyn.records.models import Registration
from insyn.registry.models import Account

METS = "http://www.loc.gov/METS/"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS = "http://www.loc.gov/premis/v3"
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
CONTENT_TYPE = "insyn-social-media/1"   # csip:OTHERCONTENTINFORMATIONTYPE
ITEMS_FORMAT = "insyn-earchive-items/1"
PDF_VOLUME = 200                        # items per PDF volume
CHUNK = 500
REP = "rep1"
METS_SCHEMAS = ["mets.xsd", "xlink.xsd", "DILCISExtensionMETS.xsd", "DILCISExtensionSIPMETS.xsd"]
SCHEMA_LOCATION = (f"{METS} schemas/mets.xsd {XLINK} schemas/xlink.xsd "
                   f"{CSIP} schemas/DILCISExtensionMETS.xsd {SIP} schemas/DILCISExtensionSIPMETS.xsd")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "video/mp4": "mp4", "application/pdf": "pdf"}
# PRONOM identifiers for the formats Insyn writes (PREMIS formatRegistry).
PRONOM = {"application/pdf": "fmt/476", "application/json": "fmt/817", "application/xml": "fmt/101",
          "image/jpeg": "fmt/43", "image/png": "fmt/12", "image/gif": "fmt/4", "image/webp": "fmt/567",
          "video/mp4": "fmt/199", "text/plain": "x-fmt/111"}


class BuildError(Exception):
    """The package could not be built (a missing account, an unreadable store)."""


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("insyn")
    except PackageNotFoundError:
        return "0"


@dataclass
class Scope:
    """What a delivery holds: one account's items, optionally those that came in in a period
    (``inkommen_at`` from the first day 00:00 to the end of the last day, Europe/Stockholm)."""

    account: Account
    period_from: date | None = None
    period_to: date | None = None

    def items(self) -> QuerySet[Item]:
        items = Item.objects.filter(account=self.account)
        tz = timezone.get_current_timezone()
        if self.period_from:
            items = items.filter(inkommen_at__gte=datetime.combine(self.period_from, time(0), tzinfo=tz))
        if self.period_to:
            items = items.filter(inkommen_at__lt=datetime.combine(self.period_to + timedelta(days=1), time(0), tzinfo=tz))
        return items

    def label(self) -> str:
        period = ""
        if self.period_from or self.period_to:
            period = f", {self.period_from or '…'}–{self.period_to or '…'}"
        return f"{self.account.name} ({self.account.get_platform_display()}){period}"


@dataclass
class PackageFile:
    rel: str            # path relative to the folder of the METS that lists it
    size: int
    sha256: str
    mime: str
    created: datetime

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]


@dataclass
class BuildResult:
    root: Path
    objid: str
    item_count: int = 0
    media_count: int = 0
    problems: list[str] = field(default_factory=list)


class _HashingWriter:
    """A binary file that knows its size and SHA-256 when closed."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("wb")
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._fh.write(data)
        self._digest.update(data)
        self.size += len(data)

    def close(self) -> str:
        self._fh.flush()
        self._fh.close()
        return self._digest.hexdigest()


class _Folder:
    """Files written under one METS document's folder, remembered for its fileSec."""

    def __init__(self, base: Path):
        self.base = base
        self.files: dict[str, PackageFile] = {}

    def open(self, rel: str) -> _HashingWriter:
        return _HashingWriter(self.base / rel)

    def finish(self, rel: str, writer: _HashingWriter, mime: str) -> PackageFile:
        digest = writer.close()
        entry = PackageFile(rel, writer.size, digest, mime, timezone.now())
        self.files[rel] = entry
        return entry

    def write_bytes(self, rel: str, data: bytes, mime: str) -> PackageFile:
        writer = self.open(rel)
        writer.write(data)
        return self.finish(rel, writer, mime)

    def copy(self, rel: str, source: Path, mime: str) -> PackageFile:
        writer = self.open(rel)
        with source.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                writer.write(chunk)
        return self.finish(rel, writer, mime)


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _xml_dt(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


# ---------------------------------------------------------------- items as data


def scope_items(scope: Scope) -> QuerySet[Item]:
    return scope.items().select_related("account", "first_raw", "disposal").prefetch_related(
        Prefetch("versions", queryset=ItemVersion.objects.select_related("raw").order_by("number")),
        Prefetch("state_changes", queryset=ItemStateChange.objects.select_related("actor").order_by("seen_at", "id")),
        Prefetch("media", queryset=ItemMedia.objects.select_related("media__disposal").order_by("id")),
    ).order_by("inkommen_at", "id")


def _chunks(queryset: QuerySet[Item]) -> Iterator[Item]:
    # ``iterator`` with a chunk size keeps memory flat and still honours prefetch_related.
    yield from queryset.iterator(chunk_size=CHUNK)


def item_record(item: Item, media_files: dict[str, str], registration: Registration | None) -> dict:
    """One item with all its versions, state changes and media, as it goes into items.json."""
    disposal = getattr(item, "disposal", None)
    return {
        "id": item.pk,
        "account": {"name": item.account.name, "handle": item.account.handle, "platform": item.account.platform},
        "platform_id": item.platform_id,
        "kind": item.kind,
        "direction": item.direction,
        "record_type": item.record_type,
        "parent_platform_id": item.parent_platform_id or None,
        "thread_platform_id": item.thread_platform_id or None,
        "author": {"id": item.author_id or None, "name": item.author_name or None},
        "url": item.url or None,
        "created_at": _iso(item.created_at),
        "inkommen_at": _iso(item.inkommen_at),
        "state": item.state,
        "state_changed_at": _iso(item.state_changed_at),
        "text": item.text,
        "text_sha256": item.text_sha256 or None,
        "first_raw_sha256": item.first_raw.sha256 if item.first_raw_id else None,
        "versions": [{
            "number": v.number, "text": v.text, "sha256": v.sha256, "platform_time": _iso(v.platform_time),
            "captured_at": _iso(v.captured_at), "raw_sha256": v.raw.sha256 if v.raw_id else None,
        } for v in item.versions.all()],
        "state_changes": [{
            "state": c.state, "previous_state": c.previous_state or None, "seen_at": _iso(c.seen_at),
            "source": c.source, "actor": c.actor.get_username() if c.actor_id else None,
            "reason": c.reason or None, "legal_basis": c.legal_basis or None,
        } for c in item.state_changes.all()],
        "media": [{
            "platform_url": m.platform_url, "mime_type": m.media.mime_type if m.media_id else (m.mime_type or None),
            "sha256": m.media_id, "size": m.media.size if m.media_id else None,
            "file": media_files.get(m.media_id) if m.media_id else None,
            "error": m.error or None,
            "gallrad": bool(m.media_id and getattr(m.media, "disposal", None)),
        } for m in item.media.all()],
        "registration": ({"diarienummer": registration.diarienummer, "sekretess": registration.sekretess,
                          "osl_reference": registration.osl_reference or None}
                         if registration is not None else None),
        "gallrad": ({"record_class": disposal.record_class, "at": _iso(getattr(disposal, "disposed_at", None))}
                    if disposal is not None else None),
    }


ITEMS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": f"Insyn archive items ({ITEMS_FORMAT})",
    "type": "object",
    "required": ["format", "package", "account", "items"],
    "properties": {
        "format": {"const": ITEMS_FORMAT},
        "package": {"type": "string", "description": "mets/@OBJID"},
        "account": {"type": "object"},
        "period": {"type": "object", "properties": {"from": {"type": ["string", "null"]}, "to": {"type": ["string", "null"]}}},
        "items": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "platform_id", "kind", "direction", "record_type", "inkommen_at", "state", "versions",
                         "state_changes", "media"],
            "properties": {
                "versions": {"type": "array", "items": {"type": "object", "required": ["number", "text", "sha256", "captured_at"]}},
                "state_changes": {"type": "array", "items": {"type": "object", "required": ["state", "seen_at", "source"]}},
                "media": {"type": "array", "items": {"type": "object", "required": ["platform_url"]}},
            },
        }},
    },
}


# ---------------------------------------------------------------- the builder


@dataclass
class Submitter:
    """The agents of metsHdr: the submitting organisation (SIP15–20), the archival creator
    (the authority, SIP9–14), and the person who asked for the package (contact, SIP21–25)."""

    organisation: str
    authority: str
    authority_code: str = ""
    contact: str = ""


def submitter_for(account: Account, requested_by=None) -> Submitter:
    authority = account.authority
    return Submitter(organisation=authority.organisation.name, authority=authority.name,
                     authority_code=authority.org_number or authority.diarium_prefix,
                     contact=(str(requested_by) if getattr(requested_by, "pk", None) else ""))


def build_csip(scope: Scope, staging: Path, *, objid: str, submitter: Submitter) -> BuildResult:
    """Write the package folder ``staging/<objid>/`` and return what went in it."""
    root = staging / objid
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    result = BuildResult(root=root, objid=objid)
    created = timezone.now()
    top = _Folder(root)
    rep = _Folder(root / "representations" / REP)

    registrations = {r.item_id: r for r in Registration.objects.filter(item__in=scope.items()).select_related(
        "authority__organisation", "series", "handler", "item__account", "item__first_raw")}
    media_files: dict[str, str] = {}
    _write_items(scope, rep, objid, registrations, media_files, result)
    rep.write_bytes("metadata/other/items.schema.json",
                    json.dumps(ITEMS_SCHEMA, ensure_ascii=False, indent=2).encode(), "application/json")

    erms = ErmsAdapter().export(list(registrations.values()), include_protected=True,
                                authority=scope.account.authority)
    top.write_bytes("metadata/descriptive/erms.xml", erms, "application/xml")

    for name in METS_SCHEMAS:
        top.copy(f"schemas/{name}", _eark_schema(name), "application/xml")
    from .validation import erms_schema_dir

    erms_dir = erms_schema_dir()
    if erms_dir is not None:
        top.copy("schemas/ERMS.xsd", erms_dir / "ERMS.xsd", "application/xml")
    top.write_bytes("documentation/insyn-leverans.txt", _documentation(scope, objid, result, created).encode(), "text/plain")

    rep_mets = _rep_mets(scope, objid, rep, submitter, created)
    rep.write_bytes("METS.xml", rep_mets, "application/xml")
    premis = _write_premis(scope, top, rep, objid, created)
    _root_mets(scope, objid, top, rep, premis, submitter, created)
    return result


def _eark_schema(name: str) -> Path:
    from importlib.resources import files

    try:
        return Path(str(files("eark_validator.ipxml.resources.schema").joinpath(name)))
    except ModuleNotFoundError as exc:
        raise BuildError("eark-validator is not installed; it carries the METS schemas") from exc


def _write_items(scope: Scope, rep: _Folder, objid: str, registrations: dict, media_files: dict[str, str],
                 result: BuildResult) -> None:
    from insyn.records.pdf import render_items_pdfa

    writer = rep.open("data/items.json")
    header = {"format": ITEMS_FORMAT, "package": objid,
              "account": {"name": scope.account.name, "handle": scope.account.handle,
                          "platform": scope.account.platform, "url": scope.account.url,
                          "authority": scope.account.authority.name, "unit": scope.account.unit.name},
              "period": {"from": scope.period_from.isoformat() if scope.period_from else None,
                         "to": scope.period_to.isoformat() if scope.period_to else None}}
    head = json.dumps(header, ensure_ascii=False, indent=1)
    writer.write((head[:-2] + ',\n "items": [\n').encode())
    volume: list[Item] = []
    volume_no = 0

    def flush_volume() -> None:
        nonlocal volume, volume_no
        if not volume and volume_no:
            return
        volume_no += 1
        title = f"{scope.label()} – {objid} – volym {volume_no}"
        pdf = render_items_pdfa(volume, title=title, intro=f"{len(volume)} poster", created=timezone.now())
        rep.write_bytes(f"data/items-{volume_no:04d}.pdf", pdf, "application/pdf")
        volume = []

    first = True
    for item in _chunks(scope_items(scope)):
        for m in item.media.all():
            if m.media_id and m.media_id not in media_files:
                _copy_media(rep, m.media, media_files, result)
        record = item_record(item, media_files, registrations.get(item.pk))
        writer.write((b"" if first else b",\n") + json.dumps(record, ensure_ascii=False).encode())
        first = False
        result.item_count += 1
        volume.append(item)
        if len(volume) >= PDF_VOLUME:
            flush_volume()
    writer.write(b"\n ]\n}\n")
    rep.finish("data/items.json", writer, "application/json")
    if volume or volume_no == 0:
        flush_volume()


def _copy_media(rep: _Folder, media, media_files: dict[str, str], result: BuildResult) -> None:
    if getattr(media, "disposal", None) is not None:
        return  # gallrad under a decision: the Media row and the item's record say so
    source = media_path(media.sha256)
    if not source.is_file():
        result.problems.append(f"media {media.sha256} is missing from the media store")
        return
    rel = f"data/media/{media.sha256}.{EXTENSIONS.get(media.mime_type, 'bin')}"
    entry = rep.copy(rel, source, media.mime_type)
    if entry.sha256 != media.sha256:
        result.problems.append(f"media {media.sha256} in the store has SHA-256 {entry.sha256}: the file is damaged")
    media_files[media.sha256] = rel
    result.media_count += 1


def _documentation(scope: Scope, objid: str, result: BuildResult, created: datetime) -> str:
    return "\n".join([
        "Insyn – e-arkivleverans (FGS Paketstruktur 2.0: E-ARK CSIP 2.1.0 + E-ARK SIP 2.1.0)",
        "",
        f"Paket: {objid}",
        f"Skapat: {_xml_dt(created)}",
        f"Konto: {scope.label()}",
        f"Myndighet: {scope.account.authority.name}, {scope.account.authority.organisation.name}",
        f"Antal poster: {result.item_count}",
        "",
        "METS.xml                               paketets METS (E-ARK SIP-profilen)",
        "metadata/descriptive/erms.xml          registrerade handlingar (CITS ERMS = FGS Ärendehantering 2.0)",
        "metadata/preservation/premis.xml       PREMIS 3: objekt, händelser (insamling, versioner, statusändringar,",
        "                                       kontrollsummor) och agenter",
        "representations/rep1/data/items.json   alla poster med alla versioner och statusändringar (JSON)",
        "representations/rep1/data/items-*.pdf  samma poster som PDF/A-2b",
        "representations/rep1/data/media/       bilagor, namngivna efter sin SHA-256",
        "schemas/                               XML-scheman som METS-filerna använder",
        "",
        "Poster som registrerats med sekretess finns med i sin helhet; sekretessen framgår av erms.xml",
        "(restriction/regulation) och av items.json (registration.sekretess).",
        "",
    ])


# ---------------------------------------------------------------- METS


def _m(parent, tag: str, **attrs) -> etree._Element:
    return etree.SubElement(parent, f"{{{METS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})


def _mets_root(objid: str, label: str) -> etree._Element:
    root = etree.Element(f"{{{METS}}}mets", nsmap={"mets": METS, "csip": CSIP, "sip": SIP, "xlink": XLINK, "xsi": XSI})
    root.set("OBJID", objid)
    root.set("LABEL", label)
    root.set("TYPE", "Other")
    root.set(f"{{{CSIP}}}OTHERTYPE", "Social media records")
    root.set(f"{{{CSIP}}}CONTENTINFORMATIONTYPE", "OTHER")
    root.set(f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE", CONTENT_TYPE)
    root.set("PROFILE", SIP_PROFILE)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    return root


def _mets_hdr(root, submitter: Submitter, created: datetime) -> None:
    hdr = _m(root, "metsHdr", CREATEDATE=_xml_dt(created), LASTMODDATE=_xml_dt(created), RECORDSTATUS="NEW")
    hdr.set(f"{{{CSIP}}}OAISPACKAGETYPE", "SIP")
    software = _m(hdr, "agent", ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE")
    _m(software, "name").text = "Insyn"
    note = _m(software, "note")
    note.text = software_version()
    note.set(f"{{{CSIP}}}NOTETYPE", "SOFTWARE VERSION")
    # The archival creator (SIP9–14): the authority, with its organisationsnummer (or diarium
    # prefix) as identification code.
    creator = _m(hdr, "agent", ROLE="ARCHIVIST", TYPE="ORGANIZATION")
    _m(creator, "name").text = f"{submitter.authority}, {submitter.organisation}"
    if submitter.authority_code:
        code = _m(creator, "note")
        code.text = submitter.authority_code
        code.set(f"{{{CSIP}}}NOTETYPE", "IDENTIFICATIONCODE")
    # The submitting organisation (SIP15–20) and the contact person (SIP21–25). SIP 2.1.0 gives
    # them ROLE="CREATOR"; eark-validator 1.1.3 applies the software agent's rules (CSIP12–16)
    # to every CREATOR agent, so they are recorded as OTHER roles (docs/earchive.md).
    submitting = _m(hdr, "agent", ROLE="OTHER", OTHERROLE="SUBMITTER", TYPE="ORGANIZATION")
    _m(submitting, "name").text = submitter.organisation
    if submitter.contact:
        contact = _m(hdr, "agent", ROLE="OTHER", OTHERROLE="CONTACT", TYPE="INDIVIDUAL")
        _m(contact, "name").text = submitter.contact


def _file(grp, entry: PackageFile, file_id: str) -> None:
    f = _m(grp, "file", ID=file_id, MIMETYPE=entry.mime, SIZE=str(entry.size), CREATED=_xml_dt(entry.created),
           CHECKSUM=entry.sha256, CHECKSUMTYPE="SHA-256")
    loc = _m(f, "FLocat", LOCTYPE="URL")
    loc.set(f"{{{XLINK}}}type", "simple")
    loc.set(f"{{{XLINK}}}href", entry.rel)


def _md_ref(parent, entry: PackageFile, mdtype: str, other: str | None = None) -> None:
    ref = _m(parent, "mdRef", LOCTYPE="URL", MDTYPE=mdtype, OTHERMDTYPE=other, MIMETYPE=entry.mime,
             SIZE=str(entry.size), CREATED=_xml_dt(entry.created), CHECKSUM=entry.sha256, CHECKSUMTYPE="SHA-256")
    ref.set(f"{{{XLINK}}}type", "simple")
    ref.set(f"{{{XLINK}}}href", entry.rel)


def _grp(file_sec, use: str, grp_id: str) -> etree._Element:
    grp = _m(file_sec, "fileGrp", ID=grp_id, USE=use)
    # eark-validator 1.1.3's CSIP63 accepts a file group only with csip:CONTENTINFORMATIONTYPE
    # "OTHER" and its OTHERCONTENTINFORMATIONTYPE, so every group says what the package says.
    grp.set(f"{{{CSIP}}}CONTENTINFORMATIONTYPE", "OTHER")
    grp.set(f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE", CONTENT_TYPE)
    return grp


def _serialise(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _rep_mets(scope: Scope, objid: str, rep: _Folder, submitter: Submitter, created: datetime) -> bytes:
    root = _mets_root(f"{objid}-{REP}", f"{scope.label()} – {REP}")
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION.replace("schemas/", "../../schemas/"))
    _mets_hdr(root, submitter, created)
    file_sec = _m(root, "fileSec", ID="filesec-rep")
    data = _grp(file_sec, "Data", "grp-data")
    other = _grp(file_sec, "Metadata", "grp-metadata")
    ids = {}
    for n, entry in enumerate(sorted(rep.files.values(), key=lambda e: e.rel), start=1):
        ids[entry.rel] = f"file-{n}"
        _file(data if entry.rel.startswith("data/") else other, entry, f"file-{n}")
    smap = _m(root, "structMap", ID="structmap-rep", TYPE="PHYSICAL", LABEL="CSIP")
    top = _m(smap, "div", ID="div-rep", LABEL=REP)
    _m(_m(top, "div", ID="div-rep-data", LABEL="Data"), "fptr", FILEID="grp-data")
    _m(_m(top, "div", ID="div-rep-metadata", LABEL="Metadata"), "fptr", FILEID="grp-metadata")
    return _serialise(root)


def _root_mets(scope: Scope, objid: str, top: _Folder, rep: _Folder, premis: PackageFile, submitter: Submitter,
               created: datetime) -> PackageFile:
    root = _mets_root(objid, scope.label())
    _mets_hdr(root, submitter, created)
    erms = top.files["metadata/descriptive/erms.xml"]
    dmd = _m(root, "dmdSec", ID="dmd-erms", CREATED=_xml_dt(erms.created), STATUS="CURRENT")
    _md_ref(dmd, erms, "OTHER", "ERMS")
    amd = _m(root, "amdSec", ID="amd-1")
    digiprov = _m(amd, "digiprovMD", ID="digiprov-premis", CREATED=_xml_dt(premis.created), STATUS="CURRENT")
    _md_ref(digiprov, premis, "PREMIS")
    file_sec = _m(root, "fileSec", ID="filesec-root")
    docs = _grp(file_sec, "Documentation", "grp-documentation")
    schemas = _grp(file_sec, "Schemas", "grp-schemas")
    reps = _grp(file_sec, f"Representations/{REP}", f"grp-{REP}")
    n = 0
    for entry in sorted(top.files.values(), key=lambda e: e.rel):
        if entry.rel.startswith("documentation/"):
            n += 1
            _file(docs, entry, f"file-root-{n}")
        elif entry.rel.startswith("schemas/"):
            n += 1
            _file(schemas, entry, f"file-root-{n}")
    rep_mets = rep.files["METS.xml"]
    _file(reps, PackageFile(f"representations/{REP}/METS.xml", rep_mets.size, rep_mets.sha256, rep_mets.mime,
                            rep_mets.created), f"file-{REP}-mets")
    smap = _m(root, "structMap", ID="structmap-csip", TYPE="PHYSICAL", LABEL="CSIP")
    div = _m(smap, "div", ID="div-package", LABEL=objid)
    _m(div, "div", ID="div-metadata", LABEL="Metadata", ADMID="digiprov-premis", DMDID="dmd-erms")
    _m(_m(div, "div", ID="div-documentation", LABEL="Documentation"), "fptr", FILEID="grp-documentation")
    _m(_m(div, "div", ID="div-schemas", LABEL="Schemas"), "fptr", FILEID="grp-schemas")
    reps_div = _m(div, "div", ID="div-representations", LABEL="Representations")
    _m(reps_div, "fptr", FILEID=f"grp-{REP}")
    rep_div = _m(reps_div, "div", ID=f"div-{REP}", LABEL=f"Representations/{REP}")
    mptr = _m(rep_div, "mptr", LOCTYPE="URL")
    mptr.set(f"{{{XLINK}}}type", "simple")
    mptr.set(f"{{{XLINK}}}href", f"representations/{REP}/METS.xml")
    mptr.set(f"{{{XLINK}}}title", f"grp-{REP}")
    return top.write_bytes("METS.xml", _serialise(root), "application/xml")


# ---------------------------------------------------------------- PREMIS


def _p(tag: str) -> str:
    return f"{{{PREMIS}}}{tag}"


def _write_premis(scope: Scope, top: _Folder, rep: _Folder, objid: str, created: datetime) -> PackageFile:
    """PREMIS 3, written incrementally: file objects (with fixity) for every data file, one
    intellectual entity per item; events for each capture and edit, each state change, the
    package's creation and each file's digest; agents for Insyn, the platform and the authority."""
    writer = top.open("metadata/preservation/premis.xml")
    software = f"Insyn {software_version()}"
    platform = scope.account.get_platform_display()
    authority = f"{scope.account.authority.name}, {scope.account.authority.organisation.name}"
    actors: set[str] = set()
    files = [(f"representations/{REP}/{e.rel}", e) for e in sorted(rep.files.values(), key=lambda e: e.rel)
             if e.rel != "METS.xml"]
    files.append(("metadata/descriptive/erms.xml", top.files["metadata/descriptive/erms.xml"]))

    def el(xf, tag, text=None, **attrs):
        with xf.element(_p(tag), attrs):
            if text is not None:
                xf.write(text)

    def ident(xf, kind, type_, value):
        with xf.element(_p(f"{kind}Identifier")):
            el(xf, f"{kind}IdentifierType", type_)
            el(xf, f"{kind}IdentifierValue", value)

    def event(xf, event_id, event_type, when, detail, objects=(), agents=(), outcome=None):
        with xf.element(_p("event")):
            ident(xf, "event", "local", event_id)
            el(xf, "eventType", event_type)
            el(xf, "eventDateTime", _xml_dt(when))
            with xf.element(_p("eventDetailInformation")):
                el(xf, "eventDetail", detail)
            if outcome:
                with xf.element(_p("eventOutcomeInformation")):
                    el(xf, "eventOutcome", outcome)
            for agent_type, agent_value, role in agents:
                with xf.element(_p("linkingAgentIdentifier")):
                    el(xf, "linkingAgentIdentifierType", agent_type)
                    el(xf, "linkingAgentIdentifierValue", agent_value)
                    el(xf, "linkingAgentRole", role)
            for obj_type, obj_value in objects:
                with xf.element(_p("linkingObjectIdentifier")):
                    el(xf, "linkingObjectIdentifierType", obj_type)
                    el(xf, "linkingObjectIdentifierValue", obj_value)

    class _Sink:
        def write(self, data):
            writer.write(data if isinstance(data, bytes) else data.encode())

    items = scope.items().prefetch_related(
        Prefetch("versions", queryset=ItemVersion.objects.select_related("raw").only(
            "item_id", "number", "sha256", "captured_at", "platform_time", "raw__sha256").order_by("number")),
        Prefetch("state_changes", queryset=ItemStateChange.objects.select_related("actor").order_by("seen_at", "id")),
    ).order_by("inkommen_at", "id")

    with etree.xmlfile(_Sink(), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(_p("premis"), {"version": "3.0", f"{{{XSI}}}schemaLocation":
                                       f"{PREMIS} https://www.loc.gov/standards/premis/premis.xsd"},
                        nsmap={"premis": PREMIS, "xsi": XSI}):
            for path, entry in files:
                with xf.element(_p("object"), {f"{{{XSI}}}type": "premis:file"}):
                    ident(xf, "object", "filepath", path)
                    with xf.element(_p("objectCharacteristics")):
                        with xf.element(_p("fixity")):
                            el(xf, "messageDigestAlgorithm", "SHA-256")
                            el(xf, "messageDigest", entry.sha256)
                            el(xf, "messageDigestOriginator", software)
                        el(xf, "size", str(entry.size))
                        with xf.element(_p("format")):
                            with xf.element(_p("formatDesignation")):
                                el(xf, "formatName", entry.mime)
                            if entry.mime in PRONOM:
                                with xf.element(_p("formatRegistry")):
                                    el(xf, "formatRegistryName", "PRONOM")
                                    el(xf, "formatRegistryKey", PRONOM[entry.mime])
                    with xf.element(_p("originalName")):
                        xf.write(entry.name)
            for item in _chunks(items):
                with xf.element(_p("object"), {f"{{{XSI}}}type": "premis:intellectualEntity"}):
                    ident(xf, "object", "insyn-item", str(item.pk))
                    ident(xf, "object", f"{scope.account.platform}-id", item.platform_id)
            event(xf, f"{objid}-creation", "information package creation", created,
                  f"SIP built by {software} for {scope.label()}", objects=[("local", objid)],
                  agents=[("local", "insyn", "executing program")], outcome="success")
            for path, entry in files:
                event(xf, f"{objid}-digest-{path}", "message digest calculation", entry.created,
                      f"SHA-256 of {path}", objects=[("filepath", path)],
                      agents=[("local", "insyn", "executing program")], outcome="success")
            for item in _chunks(items):
                obj = [("insyn-item", str(item.pk))]
                for v in item.versions.all():
                    detail = (f"version {v.number} captured from {platform}; text SHA-256 {v.sha256}"
                              + (f"; raw payload SHA-256 {v.raw.sha256}" if v.raw_id else ""))
                    event(xf, f"item-{item.pk}-v{v.number}", "capture" if v.number == 1 else "modification",
                          v.captured_at, detail, objects=obj,
                          agents=[("local", "insyn", "executing program"), ("local", "platform", "source")])
                for c in item.state_changes.all():
                    detail = f"state {c.previous_state or '-'} -> {c.state} (source: {c.source})"
                    if c.legal_basis:
                        detail += f"; legal basis: {c.legal_basis}"
                    agents = [("local", "insyn" if c.source == "insyn" else "platform", "implementer")]
                    if c.actor_id:
                        actors.add(c.actor.get_username())
                        agents.append(("insyn-user", c.actor.get_username(), "authorizer"))
                    event(xf, f"item-{item.pk}-state-{c.pk}",
                          "deletion" if c.state in ("deleted_on_platform", "removed_by_us") else "modification",
                          c.seen_at, detail, objects=obj, agents=agents)
            agents = [("local", "insyn", software, "software"), ("local", "platform", platform, "organization"),
                      ("local", "authority", authority, "organization")]
            agents += [("insyn-user", a, a, "person") for a in sorted(actors)]
            for type_, value, name, kind in agents:
                with xf.element(_p("agent")):
                    ident(xf, "agent", type_, value)
                    el(xf, "agentName", name)
                    el(xf, "agentType", kind)
                    if kind == "software":
                        el(xf, "agentVersion", software_version())
    return top.finish("metadata/preservation/premis.xml", writer, "application/xml")
