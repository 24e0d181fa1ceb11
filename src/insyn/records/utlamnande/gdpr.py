"""The GDPR duties of the responsible nämnd (R30) and restricted log search (R29).

- ``record_of_processing(account)``: the record of processing activities (registerförteckning,
  GDPR art. 30.1) for one account, generated from the register, the policy's retention classes
  and the archive's own figures.
- ``export_data_subject(actor, author_id=…, author_name=…)``: everything Insyn stores about one
  author on the accounts the actor can see (art. 15), as a ZIP of JSON and CSV; chained.
- ``search_log(actor, …)``: the event chain searched by actor, verb, object and period, by
  granskare only; every search is itself chained.

The chain must never hold a data subject's name (it cannot be gallrad): the export is chained
with a digest of the query, not the query.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from insyn.archive.models import Item, ItemStateChange, ItemVersion, VersionTriage
from insyn.eventlog import log
from insyn.eventlog.models import Event
from insyn.lib.hashing import canonical_json, sha256_hex
from insyn.lib.tabular import csv_bytes
from insyn.records import access as records_access
from insyn.records.models import Registration
from insyn.records.retention import retention_classes
from insyn.registry.models import Account, User
from insyn.registry.permissions import require
from insyn.registry.policy import current_policy, current_policy_version

from . import permissions
from .models import RequestItem

# Platforms where the authority shares responsibility with the platform for visitors' data
# (CJEU C-210/16 Wirtschaftsakademie: a fan page administrator is a joint controller, art. 26).
JOINT_CONTROLLER = {
    "facebook_page": "Meta Platforms Ireland Ltd",
    "facebook_group": "Meta Platforms Ireland Ltd",
    "instagram": "Meta Platforms Ireland Ltd",
}
PLATFORM_COMPANY = {
    **JOINT_CONTROLLER,
    "youtube": "Google Ireland Ltd",
    "x": "X Corp. / Twitter International Unlimited Company",
    "linkedin": "LinkedIn Ireland Unlimited Company",
}

SENSITIVE_LABELS = {
    "personnummer": gettext_lazy("personnummer"), "halsa": gettext_lazy("uppgifter om hälsa"),
    "socialtjanst_arende": gettext_lazy("socialtjänstärenden"), "barn": gettext_lazy("uppgifter om barn"),
    "adress": gettext_lazy("adresser"), "telefon": gettext_lazy("telefonnummer"),
    "epost": gettext_lazy("e-postadresser"), "ekonomi": gettext_lazy("ekonomiska förhållanden"),
}


@dataclass
class ProcessingRecord:
    account: Account
    generated_at: datetime
    policy_version: str
    controller: str
    controller_org_number: str
    privacy_contact: str
    organisation: str
    responsible: str
    joint_controller: str
    purposes: list[str]
    legal_bases: list[str]
    subjects: list[str]
    data_categories: list[str]
    sensitive_seen: list[tuple[str, int]]
    recipients: list[str]
    transfers: str
    retention: list[dict]
    security: list[str]
    figures: dict = field(default_factory=dict)


def record_of_processing(account: Account) -> ProcessingRecord:
    """The art. 30 record for one account, for the nämnd that is personuppgiftsansvarig."""
    authority = account.authority
    platform = account.get_platform_display()
    company = PLATFORM_COMPANY.get(account.platform, "")
    items = Item.objects.filter(account=account)
    figures = items.aggregate(items=Count("id"), authors=Count("author_id", distinct=True, filter=~Q(author_id="")),
                              oldest=Min("inkommen_at"))
    figures["incoming"] = items.filter(direction=Item.Direction.INKOMMEN).count()
    figures["messages"] = items.filter(record_type=Item.RecordType.DIRECT_MESSAGE).count()
    sensitive_counts: dict[str, int] = {}
    for labels in VersionTriage.objects.filter(version__item__account=account).exclude(sensitive=[]).values_list(
            "sensitive", flat=True).iterator():
        for label in labels:
            sensitive_counts[label] = sensitive_counts.get(label, 0) + 1
    retention = []
    for cls in retention_classes().values():
        retention.append({"label": cls.label, "action": cls.action,
                          "period": cls.period.iso if cls.period else "", "decision": cls.decision})
    version = current_policy_version()
    joint = JOINT_CONTROLLER.get(account.platform, "")
    return ProcessingRecord(
        account=account, generated_at=timezone.now(),
        policy_version=version.version if version else current_policy().version,
        controller=authority.name, controller_org_number=authority.org_number,
        privacy_contact=authority.privacy_contact_email, organisation=authority.organisation.name,
        responsible=f"{account.responsible} ({account.unit.name})",
        joint_controller=(_("%(company)s är gemensamt personuppgiftsansvarig för besökarnas uppgifter på sidan "
                            "(EU-domstolen C-210/16, art. 26 dataskyddsförordningen).") % {"company": joint}) if joint else "",
        purposes=[
            _("Kontot: %(purpose)s") % {"purpose": account.purpose},
            _("Att besvara frågor och föra dialog med invånare och andra (serviceskyldighet, förvaltningslagen 6 §)."),
            _("Att ta emot, bevara, registrera och lämna ut allmänna handlingar (tryckfrihetsförordningen 2 kap., "
              "offentlighets- och sekretesslagen 5 kap., arkivlagen)."),
            _("Att moderera inlägg enligt lagen (1998:112) om elektroniska anslagstavlor."),
        ],
        legal_bases=[
            _("Uppgift av allmänt intresse och myndighetsutövning: art. 6.1 e dataskyddsförordningen, "
              "2 kap. 2 § dataskyddslagen (2018:218)."),
            _("Rättslig förpliktelse att bevara och registrera allmänna handlingar: art. 6.1 c, arkivlagen (1990:782), "
              "offentlighets- och sekretesslagen (2009:400) 5 kap."),
            _("Känsliga personuppgifter som någon själv skriver in: art. 9.2 g, 3 kap. 3 § dataskyddslagen; "
              "de flyttas från mediet och hanteras i diariet."),
        ],
        subjects=[_("Besökare som kommenterar eller skriver inlägg"), _("Personer som skickar meddelanden till kontot"),
                  _("Personer som nämns i inlägg, kommentarer och meddelanden"),
                  _("Medarbetare som administrerar och modererar kontot")],
        data_categories=[_("Namn eller användarnamn och plattformens id för avsändaren"),
                         _("Innehållet i inlägg, kommentarer och meddelanden, med tidigare versioner"),
                         _("Tidpunkter, adress (URL) och hur posten hämtades (rådata)"),
                         _("Bilder och andra filer som bifogats"),
                         _("Moderering, svar och handläggning av posten")],
        sensitive_seen=sorted(((str(SENSITIVE_LABELS.get(k, k)), v) for k, v in sensitive_counts.items()), key=lambda p: -p[1]),
        recipients=[
            _("%(platform)s (plattformen)") % {"platform": company or platform},
            _("Den som begär ut allmänna handlingar, efter sekretessprövning (tryckfrihetsförordningen 2 kap.)"),
            _("Arkivmyndigheten vid leverans till e-arkiv"),
            _("Diariesystemet när en handling registreras"),
        ],
        transfers=(_("%(company)s kan överföra uppgifter till tredjeland (USA). Bedömningen görs med "
                     "dataskyddsombudet och dokumenteras per konto.") % {"company": company or platform})
        if company else _("Beror på servern som kontot finns på; bedöms med dataskyddsombudet."),
        retention=retention,
        security=[
            _("Behörighet per enhet; innehåll under sekretess läses bara av myndighetens registratorer och "
              "handläggaren, och varje läsning loggas."),
            _("Tvåfaktorsinloggning för samordnare; inloggning via kommunens identitetstjänst (OIDC) kan användas."),
            _("Händelselogg med hashkedja: varje ändring och varje uttag av personuppgifter loggas och kan inte "
              "ändras i efterhand."),
            _("Plattformarnas åtkomstnycklar krypteras; rådata sparas med kontrollsumma (sha256)."),
            _("Gallring enligt beslut; bevarandespärrar och pågående begäranden om allmän handling stoppar gallring."),
        ],
        figures=figures,
    )


# ---------------------------------------------------------------- data-subject export (art. 15)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@dataclass
class SubjectExport:
    data: bytes
    sha256: str
    items: int
    withheld: int
    filename: str


def export_data_subject(actor: User, *, author_id: str = "", author_name: str = "") -> SubjectExport:
    """Everything stored about one author (by platform author id and/or exact name) on the
    accounts ``actor`` can see: items, versions, state changes, cases, triage, registrations
    and requests for records, as a ZIP of JSON and CSV. Content under sekretess that the actor
    may not read is left out (marked as withheld): handing it to the data subject needs a
    sekretessprövning first (TF/OSL go before the GDPR)."""
    from insyn.inbox import access as inbox_access
    from insyn.inbox.models import Case

    require(permissions.can_export_data_subject(actor))
    author_id, author_name = (author_id or "").strip()[:200], (author_name or "").strip()[:300]
    if not author_id and not author_name:
        raise ValidationError(_("Ange avsändarens id på plattformen eller namn."))
    match = Q()
    if author_id:
        match |= Q(author_id=author_id)
    if author_name:
        match |= Q(author_name__iexact=author_name)
    items = list(Item.objects.visible_to(actor).filter(match).select_related("account").order_by("inkommen_at", "id"))
    ids = [i.pk for i in items]
    hidden = set(Item.objects.filter(pk__in=ids).filter(
        Q(pk__in=records_access.unreadable_items(actor)) | Q(pk__in=inbox_access.unreadable_items(actor)))
        .values_list("pk", flat=True))
    readable = [i for i in ids if i not in hidden]

    item_rows = [{
        "id": i.pk, "account": i.account.name, "platform": i.account.platform, "platform_id": i.platform_id,
        "kind": i.kind, "direction": i.direction, "record_type": i.record_type, "author_id": i.author_id,
        "author_name": i.author_name, "url": i.url, "created_at": _iso(i.created_at), "inkommen_at": _iso(i.inkommen_at),
        "state": i.state, "text": None if i.pk in hidden else i.text, "text_sha256": i.text_sha256,
        "withheld": i.pk in hidden,
    } for i in items]
    versions = [{"item": v.item_id, "number": v.number, "text": v.text, "sha256": v.sha256,
                 "platform_time": _iso(v.platform_time), "captured_at": _iso(v.captured_at)}
                for v in ItemVersion.objects.filter(item_id__in=readable).order_by("item_id", "number")]
    # Staff identities and free-text notes are not the data subject's data; the legal basis is.
    states = [{"item": s.item_id, "state": s.state, "previous_state": s.previous_state, "seen_at": _iso(s.seen_at),
               "source": s.source, "legal_basis": s.legal_basis}
              for s in ItemStateChange.objects.filter(item_id__in=ids).order_by("item_id", "seen_at", "id")]
    triage = [{"item": t.version.item_id, "version": t.version.number, "model_version": t.model_version,
               "needs_answer": t.needs_answer, "topic": t.topic, "moderation": t.moderation, "sensitive": t.sensitive,
               "wrong_authority": t.wrong_authority or None, "spans": t.spans}
              for t in VersionTriage.objects.filter(version__item_id__in=readable).select_related("version")
              .order_by("version__item_id", "version__number")]
    cases = [{"item": c.item_id, "state": c.state, "received_at": _iso(c.received_at), "due_at": _iso(c.due_at),
              "closed_at": _iso(c.closed_at), "needs_answer": c.needs_answer, "topic": c.topic,
              "moderation": c.moderation, "sensitive": c.sensitive}
             for c in Case.objects.filter(item_id__in=ids).order_by("item_id")]
    registrations = [{"item": r.item_id, "diarienummer": r.diarienummer, "authority": r.authority.name,
                      "document_date": _iso(r.document_date), "direction": r.direction, "title": r.title,
                      "sekretess": r.sekretess, "osl_reference": r.osl_reference, "status": r.status}
                     for r in Registration.objects.filter(item_id__in=ids).select_related("authority").order_by("item_id")]
    requests = [{"item": ri.item_id, "request": ri.request.reference, "decision": ri.decision,
                 "decided_at": _iso(ri.decided_at)}
                for ri in RequestItem.objects.filter(item_id__in=ids).select_related("request").order_by("item_id", "id")]
    now = timezone.now()
    manifest = {
        "format": "insyn-registerutdrag/1", "generated_at": now.isoformat(), "generated_by": actor.get_username(),
        "query": {"author_id": author_id or None, "author_name": author_name or None},
        "scope": _("Konton som %(user)s har behörighet till.") % {"user": actor.get_username()},
        "counts": {"items": len(items), "withheld": len(hidden), "versions": len(versions), "state_changes": len(states),
                   "cases": len(cases), "triage": len(triage), "registrations": len(registrations),
                   "requests": len(requests)},
        "note": _("Innehåll som omfattas av sekretess och som du inte har behörighet att läsa är utelämnat "
                  "(withheld). Innan utdraget lämnas till den registrerade ska det sekretessprövas."),
    }

    def js(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, indent=2).encode("utf-8")

    buffer = io.BytesIO()
    stamp = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in (
            ("manifest.json", js(manifest)), ("items.json", js(item_rows)), ("versions.json", js(versions)),
            ("state_changes.json", js(states)), ("cases.json", js(cases)), ("triage.json", js(triage)),
            ("registrations.json", js(registrations)), ("requests.json", js(requests)),
            ("items.csv", csv_bytes(list(item_rows[0].keys()) if item_rows else ["id"],
                                    [list(r.values()) for r in item_rows])),
            ("versions.csv", csv_bytes(["item", "number", "text", "sha256", "platform_time", "captured_at"],
                                       [list(v.values()) for v in versions])),
        ):
            zf.writestr(zipfile.ZipInfo(name, stamp), content)
    data = buffer.getvalue()
    digest = sha256_hex(data)
    query_digest = sha256_hex(canonical_json({"author_id": author_id, "author_name": author_name.casefold()}))
    with transaction.atomic():
        log.append("gdpr.subject_exported", actor=actor, data={
            "query_sha256": query_digest, "items": len(items), "withheld": len(hidden), "zip_sha256": digest})
    return SubjectExport(data, digest, len(items), len(hidden),
                         f"registerutdrag-{timezone.localdate().isoformat()}-{query_digest[:8]}.zip")


# ---------------------------------------------------------------- log search (R29)


@dataclass
class LogQuery:
    actor: str = ""
    verb: str = ""
    object_type: str = ""
    object_id: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def as_dict(self) -> dict:
        return {"actor": self.actor, "verb": self.verb, "object_type": self.object_type, "object_id": self.object_id,
                "since": _iso(self.since), "until": _iso(self.until)}


MAX_LOG_RESULTS = 500


def search_log(actor: User, query: LogQuery, *, limit: int = 200) -> list[Event]:
    """Search the event chain (granskare only). The search itself is chained, with its filters
    and the number of entries it returned."""
    require(permissions.can_search_log(actor))
    if query.since and query.until and query.until < query.since:
        raise ValidationError(_("Slutdatumet ligger före startdatumet."))
    events = Event.objects.select_related("actor").order_by("-seq")
    if query.actor:
        # By the indexed actor id when the name is a user's; "system" and old labels by text.
        user_ids = list(User.objects.filter(username__iexact=query.actor).values_list("pk", flat=True))
        events = events.filter(actor_id__in=user_ids) if user_ids else events.filter(actor_label__iexact=query.actor)
    if query.verb:
        events = events.filter(kind__startswith=query.verb)
    if query.object_type:
        events = events.filter(object_type=query.object_type)
    if query.object_id:
        events = events.filter(object_id=query.object_id)
    if query.since:
        events = events.filter(at__gte=query.since)
    if query.until:
        events = events.filter(at__lt=query.until)
    found = list(events[:min(limit, MAX_LOG_RESULTS)])
    with transaction.atomic():
        log.append("eventlog.searched", actor=actor, data={"filters": query.as_dict(), "count": len(found)})
    return found
