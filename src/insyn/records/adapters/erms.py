"""CITS ERMS XML (E-ARK CITS ERMS 2.1 = Riksarkivet's FGS Ärendehantering 2.0).

One ``<aggregation aggregationType="caseFile">`` per registration, holding one ``<record>``
for the registered document:

=========================  =================================================================
diarienummer               aggregation ``objectId`` and ``extraId[@extraIdType=diarienummer]``
ärendemening               ``title``; with protected fields, the real subject is ``title`` and
                           the shielded one ``otherTitle[@titleType=public_title]``
status                     ``status/@value``: open (registrerad), closed (avslutad)
sekretess (OSL)            ``restriction[@restrictionType=confidential]/regulation``
retention                  ``disposal``: the policy's ``registrerade`` class
handläggare                ``agents/agent[@agentType=responsible_person]``
avsändare/mottagare        record ``agents/agent[@agentType=sender|recipient]``
inkommen/upprättad         record ``direction/@directionDefinition``: incoming / outgoing
datum                      record ``dates/date[@dateType=received|created]``
archive item               record ``extraId`` insyn_item, platform_id, text_sha256
=========================  =================================================================

The element order follows ERMS.xsd; tests validate the output against the schema and its
Schematron rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, time

from django.utils import timezone
from lxml import etree

from insyn.registry.models import Authority

from ..models import Registration
from ..retention import RetentionError, retention_classes
from .base import ExportAdapter, prefetch

NS = "https://DILCIS.eu/XML/ERMS"
SCHEMA_LOCATION = "https://raw.githubusercontent.com/DILCISBoard/CITS-ERMS/master/schema/ERMS.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _software() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"Insyn {version('insyn')}"
    except PackageNotFoundError:
        return "Insyn"


def _el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    node = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        node.text = text
    return node


def _dt(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _day(value) -> str:
    return _dt(datetime.combine(value, time(0, 0), tzinfo=timezone.get_current_timezone()))


def _agent(parent, agent_type: str, name: str, *, organisation: str | None = None, protected: bool | None = None):
    agent = _el(parent, "agent", agentType=agent_type)
    _el(agent, "name", name)
    if organisation:
        _el(agent, "organisation", organisation)
    if protected is not None:
        _el(agent, "protectedIdentity", "true" if protected else "false")
    return agent


class ErmsAdapter(ExportAdapter):
    name, label, media_type, extension = "erms", "CITS ERMS (FGS Ärendehantering)", "application/xml", "xml"

    def export(self, registrations: Iterable[Registration], *, include_protected: bool = False,
               authority: Authority | None = None) -> bytes:
        return etree.tostring(self.build(registrations, include_protected=include_protected, authority=authority),
                              xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def build(self, registrations: Iterable[Registration], *, include_protected: bool = False,
              authority: Authority | None = None) -> etree._Element:
        regs = prefetch(registrations)
        root = etree.Element(f"{{{NS}}}erms", nsmap={None: NS, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", f"{NS} {SCHEMA_LOCATION}")
        self._control(root, authority or (regs[0].authority if regs else None), include_protected)
        aggregations = _el(root, "aggregations")
        try:
            registered = retention_classes().get("registrerade")
        except RetentionError:
            registered = None
        for reg in regs:
            self._case_file(aggregations, reg, include_protected, registered)
        if not regs:
            # The schema needs at least one aggregation; an empty export says so in one.
            empty = _el(aggregations, "aggregation", systemIdentifier="insyn:empty", aggregationType="caseFile")
            _el(empty, "objectId", "-")
            _el(empty, "title", "Inga registreringar i urvalet")
        return root

    def _control(self, root, authority: Authority | None, include_protected: bool) -> None:
        control = _el(root, "control")
        _el(control, "identification", f"insyn-export-{uuid.uuid4()}", identificationType="export")
        _el(control, "identification", "Insyn", identificationType="system")
        if include_protected:
            _el(control, "securityClass", "Innehåller uppgifter som kan omfattas av sekretess enligt OSL")
        maintenance = _el(control, "maintenanceInformation")
        _el(maintenance, "maintenanceStatus", value="new")
        agency = _el(maintenance, "maintenanceAgency")
        if authority is not None and authority.org_number:
            _el(agency, "agencyCode", authority.org_number, type="organisationsnummer")
        _el(agency, "agencyName", f"{authority.name}, {authority.organisation.name}" if authority else "Insyn")
        history = _el(maintenance, "maintenanceHistory")
        event = _el(history, "maintenanceEvent")
        _el(event, "eventType", value="created")
        _el(event, "eventDateTime", _dt(timezone.now()))
        _agent(event, "creator", _software())

    def _case_file(self, parent, reg: Registration, include_protected: bool, registered) -> None:
        shielded = reg.sekretess and not include_protected
        case = _el(parent, "aggregation", systemIdentifier=f"insyn:registration:{reg.pk}", aggregationType="caseFile")
        _el(case, "objectId", reg.diarienummer)
        _el(case, "extraId", reg.diarienummer, extraIdType="diarienummer")
        title = reg.protected_subject if (reg.sekretess and include_protected) else reg.title
        _el(case, "title", title)
        if reg.sekretess and include_protected:
            _el(case, "otherTitle", reg.title, titleType="public_title")
        _el(case, "status", value="closed" if reg.status == Registration.Status.AVSLUTAD else "open")
        self._restriction(case, reg)
        self._disposal(case, reg, registered)
        if reg.handler_id:
            agents = _el(case, "agents")
            _agent(agents, "responsible_person", str(reg.handler), organisation=reg.authority.name)
        dates = _el(case, "dates")
        _el(dates, "date", _dt(reg.registered_at), dateType="opened")
        if reg.closed_at:
            _el(dates, "date", _dt(reg.closed_at), dateType="closed")

        incoming = reg.direction == Registration.Direction.INKOMMEN
        record = _el(case, "record", systemIdentifier=f"insyn:registration:{reg.pk}:1",
                     recordType="social_media_item" if reg.item_id else "document", recordPhysicalOrDigital="digitial")
        _el(record, "objectId", f"{reg.diarienummer}-1")
        if reg.item_id:
            _el(record, "extraId", str(reg.item_id), extraIdType="insyn_item")
            if not shielded:
                _el(record, "extraId", reg.item.platform_id, extraIdType="platform_id")
                if reg.item.text_sha256:
                    _el(record, "extraId", reg.item.text_sha256, extraIdType="text_sha256")
        _el(record, "title", title)
        _el(record, "status", value="received" if incoming else "expedited")
        _el(record, "runningNumber", "1")
        self._restriction(record, reg)
        _el(record, "direction", directionDefinition="incoming" if incoming else "outgoing")
        counterpart = reg.protected_counterpart if (reg.sekretess and include_protected) else reg.counterpart
        if counterpart:
            agents = _el(record, "agents")
            _agent(agents, "sender" if incoming else "recipient", counterpart,
                   protected=True if reg.sekretess else None)
        dates = _el(record, "dates")
        _el(dates, "date", _day(reg.document_date), dateType="received" if incoming else "created")
        _el(dates, "date", _dt(reg.registered_at), dateType="captured")
        if reg.item_id and not shielded and reg.item.url:
            notes = _el(record, "notes")
            _el(notes, "note", reg.item.url, noteType="platform_url")

    @staticmethod
    def _restriction(parent, reg: Registration) -> None:
        if reg.sekretess:
            restriction = _el(parent, "restriction", restrictionType="confidential")
            _el(restriction, "explanatoryText", "Sekretess enligt offentlighets- och sekretesslagen (2009:400)")
            _el(restriction, "regulation", reg.osl_reference)

    @staticmethod
    def _disposal(parent, reg: Registration, registered) -> None:
        if registered is None:
            return
        disposal = _el(parent, "disposal", disposable="true" if registered.gallras else "false")
        _el(disposal, "disposalScheduleId", "registrerade")
        _el(disposal, "disposalAction", registered.action)
        if registered.period:
            _el(disposal, "disposalPeriod", registered.period.iso)
        if registered.decision:
            _el(disposal, "disposalMandate", registered.decision)
        dates = _el(disposal, "dates")
        _el(dates, "disposalDate", _dt(reg.registered_at), dateType="retention_period_start")
