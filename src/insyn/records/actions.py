"""Every change to the diarium, gallring decisions and holds.

Each action validates, writes, and appends its event to the chain in the same transaction.
Views, commands, tasks and other apps (the inbox) call these; nothing else writes these
models. Gallring runs themselves are in ``gallring.py``.

Event data never carries a counterpart, a subject or item text: the chain cannot be gallrad,
so it holds ids, numbers, dates and a hash of each registration instead.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.archive.models import Item
from insyn.eventlog import log
from insyn.lib.hashing import canonical_json, sha256_hex
from insyn.registry.models import Account, Authority, User
from insyn.registry.permissions import require
from insyn.registry.policy import current_policy_version

from . import numbering, permissions
from .models import DiariumSeries, GallringDecision, LegalHold, OpenRequestItem, Registration
from .registration import shielded_title, should_register
from .retention import RetentionError, retention_classes

MAX_COUNTERPART = 300
MAX_TITLE = 500


def _label(actor) -> str:
    return actor.get_username() if getattr(actor, "pk", None) else "system"


def registration_hash(reg: Registration) -> str:
    """A digest of everything a registration says, protected fields included: the chain proves
    the entry unchanged without holding names or subjects."""
    return sha256_hex(canonical_json({
        "diarienummer": reg.diarienummer, "authority": reg.authority_id, "document_date": reg.document_date,
        "direction": reg.direction, "counterpart": reg.counterpart, "title": reg.title,
        "sekretess": reg.sekretess, "osl_reference": reg.osl_reference,
        "protected_counterpart": reg.protected_counterpart, "protected_subject": reg.protected_subject,
        "item": reg.item_id,
    }))


# ---------------------------------------------------------------- registration (OSL 5 kap.)


@transaction.atomic
def register_document(
    actor: User | None,
    *,
    authority: Authority,
    item: Item | None = None,
    received_or_drawn_up: date,
    counterpart: str,
    subject: str,
    sekretess: bool,
    osl_reference: str = "",
    protected_counterpart: str = "",
    protected_subject: str = "",
    handler: User | None = None,
    direction: str | None = None,
) -> Registration:
    """Register a document in the authority's diarium and give it the next diarienummer.

    ``counterpart`` (sender or recipient) and ``subject`` (briefly what the document concerns)
    are what the public register shows. With ``sekretess=True``:

    - ``osl_reference`` (the provision, e.g. "OSL 26 kap. 1 §") is required;
    - if ``protected_counterpart``/``protected_subject`` are empty, ``counterpart``/``subject``
      are taken as the real values and moved there, and the public register shows a shielded
      title ("Meddelande via Facebook – sekretess enligt OSL 26 kap. 1 §") and no counterpart;
    - if they are given, ``counterpart``/``subject`` are the public (shielded) versions; an empty
      ``subject`` gets the shielded title, and a public text equal to its protected one is refused.

    ``direction`` comes from the item (inkommen/upprättad); without an item it defaults to
    inkommen. ``actor=None`` is a registration the system makes by rule (created_by empty,
    chained as "system"); a person needs ``permissions.can_register``. An item is registered
    once; a second attempt raises ``ValidationError`` naming the existing diarienummer.
    """
    if actor is not None:
        require(permissions.can_register(actor, authority, item))
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if item is not None:
        item = Item.objects.select_related("account").get(pk=item.pk)
        if item.account.authority_id != authority.pk:
            error("item", _("Posten kom in till en annan myndighet än den du registrerar hos."))
        existing = Registration.objects.filter(item=item).first()
        if existing is not None:
            raise ValidationError({"item": [_("Posten är redan registrerad som %(number)s.")
                                            % {"number": existing.diarienummer}]})
        if hasattr(item, "disposal"):
            error("item", _("Postens innehåll är gallrat; den kan inte registreras."))
        if direction and direction != item.direction:
            error("direction", _("Riktningen följer posten: den är %(d)s.") % {"d": item.get_direction_display().lower()})
        direction = item.direction
    direction = direction or Registration.Direction.INKOMMEN
    if direction not in Registration.Direction.values:
        error("direction", _("Okänd riktning."))
    if not isinstance(received_or_drawn_up, date):
        error("received_or_drawn_up", _("Ange datum."))
    elif received_or_drawn_up > timezone.localdate():
        error("received_or_drawn_up", _("Datumet kan inte ligga i framtiden."))

    counterpart, subject = (counterpart or "").strip(), (subject or "").strip()
    protected_counterpart, protected_subject = (protected_counterpart or "").strip(), (protected_subject or "").strip()
    osl_reference = (osl_reference or "").strip()
    if sekretess:
        if not osl_reference:
            error("osl_reference", _("Ange vilken sekretessbestämmelse som gäller (t.ex. OSL 26 kap. 1 §)."))
        if not protected_counterpart and not protected_subject:
            protected_counterpart, protected_subject = counterpart, subject
            counterpart, subject = "", ""
        if not protected_subject:
            error("subject", _("Ange i korthet vad handlingen rör; det hålls skyddat."))
        if subject and subject.casefold() == protected_subject.casefold():
            error("subject", _("Den offentliga ärendemeningen får inte upprepa den skyddade."))
        if counterpart and counterpart.casefold() == protected_counterpart.casefold():
            error("counterpart", _("Den offentliga avsändaren/mottagaren får inte upprepa den skyddade."))
        title = subject or shielded_title(item, osl_reference)
    else:
        if protected_counterpart or protected_subject:
            error("sekretess", _("Skyddade uppgifter hålls isär bara när sekretess gäller (OSL 5 kap. 2 §)."))
        if osl_reference:
            error("osl_reference", _("Sekretessbestämmelse anges bara när sekretess gäller."))
        if not subject:
            error("subject", _("Ange i korthet vad handlingen rör (OSL 5 kap. 2 §)."))
        title = subject
    for field, value, limit in (("counterpart", counterpart, MAX_COUNTERPART), ("counterpart", protected_counterpart, MAX_COUNTERPART),
                                ("subject", title, MAX_TITLE)):
        if len(value) > limit:
            error(field, _("Högst %(n)d tecken.") % {"n": limit})
    if handler is not None and not permissions.works_for(handler, authority):
        error("handler", _("Handläggaren har ingen roll hos myndigheten."))
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    year = timezone.localtime(now).year
    series, seq, number = numbering.allocate(authority, year)
    registration = Registration.objects.create(
        authority=authority, series=series, seq=seq, diarienummer=number, registered_at=now,
        document_date=received_or_drawn_up, direction=direction, counterpart=counterpart, title=title,
        sekretess=sekretess, osl_reference=osl_reference if sekretess else "",
        protected_counterpart=protected_counterpart if sekretess else "",
        protected_subject=protected_subject if sekretess else "",
        item=item, handler=handler, created_by=actor if getattr(actor, "pk", None) else None,
        created_by_label=_label(actor),
    )
    log.append("records.registered", actor=actor, obj=registration, data={
        "diarienummer": number, "authority": authority.pk, "year": year, "seq": seq, "direction": direction,
        "document_date": received_or_drawn_up.isoformat(), "sekretess": sekretess,
        "osl_reference": registration.osl_reference, "item": item.pk if item else None,
        "handler": handler.pk if handler else None, "record_sha256": registration_hash(registration),
    })
    return registration


def registration_for(item: Item) -> Registration | None:
    """The registration of an archive item, if it has one."""
    return Registration.objects.filter(item=item).select_related("authority").first()



def _locked_registration(registration: Registration) -> Registration:
    return Registration.objects.select_for_update().select_related("authority").get(pk=registration.pk)


@transaction.atomic
def close_registration(actor: User, registration: Registration) -> Registration:
    """Mark the registration avslutad (the matter is finished)."""
    registration = _locked_registration(registration)
    require(permissions.can_manage(actor, registration))
    if registration.status == Registration.Status.AVSLUTAD:
        raise ValidationError(_("Registreringen är redan avslutad."))
    registration.status = Registration.Status.AVSLUTAD
    registration.closed_at, registration.closed_by = timezone.now(), actor
    registration.save(update_fields=["status", "closed_at", "closed_by"])
    log.append("records.closed", actor=actor, obj=registration, data={"diarienummer": registration.diarienummer})
    return registration


@transaction.atomic
def reopen_registration(actor: User, registration: Registration) -> Registration:
    registration = _locked_registration(registration)
    require(permissions.is_registrator_for(actor, registration.authority))
    if registration.status != Registration.Status.AVSLUTAD:
        raise ValidationError(_("Registreringen är inte avslutad."))
    registration.status, registration.closed_at, registration.closed_by = Registration.Status.REGISTRERAD, None, None
    registration.save(update_fields=["status", "closed_at", "closed_by"])
    log.append("records.reopened", actor=actor, obj=registration, data={"diarienummer": registration.diarienummer})
    return registration


@transaction.atomic
def assign_handler(actor: User, registration: Registration, handler: User | None) -> Registration:
    registration = _locked_registration(registration)
    require(permissions.can_manage(actor, registration))
    if handler is not None and not permissions.works_for(handler, registration.authority):
        raise ValidationError({"handler": [_("Handläggaren har ingen roll hos myndigheten.")]})
    registration.handler = handler
    registration.save(update_fields=["handler"])
    log.append("records.handler_assigned", actor=actor, obj=registration, data={
        "diarienummer": registration.diarienummer, "handler": handler.pk if handler else None})
    return registration


@transaction.atomic
def log_protected_read(actor: User, registration: Registration, *, what: str) -> None:
    """Every read of protected fields or linked content leaves an entry (who, which entry, what)."""
    log.append("records.protected_read", actor=actor, obj=registration,
               data={"diarienummer": registration.diarienummer, "what": what})


@transaction.atomic
def configure_series(actor: User | None, authority: Authority, *, year: int, number_format: str,
                     pad: int = 0) -> DiariumSeries:
    """Set the number format of an authority's series for a year. Allowed until the first
    number of that year is given: a series keeps one format."""
    if actor is not None:
        require(permissions.is_registrator_for(actor, authority) or actor.is_superuser)
    numbering.validate_format(number_format, pad)
    series = DiariumSeries.objects.select_for_update().filter(authority=authority, year=year).first()
    if series is not None and series.last_seq:
        raise ValidationError(_("Serien %(series)s har redan gett nummer; formatet kan inte ändras.") % {"series": series})
    if series is None:
        series = DiariumSeries(authority=authority, year=year, prefix=authority.diarium_prefix)
    series.number_format, series.pad, series.prefix = number_format, pad, authority.diarium_prefix
    series.save()
    log.append("records.series_configured", actor=actor, obj=series, data={
        "authority": authority.pk, "year": year, "format": number_format, "pad": pad})
    return series


# ---------------------------------------------------------------- gallring decisions (R23)


@transaction.atomic
def record_gallring_decision(
    actor: User, *, reference: str, decided_by: str, decision_date: date, authorities: list[Authority],
    classes: list[str], note: str = "", scheduled: bool = False,
) -> GallringDecision:
    """Record a gallringsbeslut. Each class must be one the policy in force says is gallras;
    the decision keeps the period the policy states for it now."""
    require(permissions.is_arkivarie(actor))
    errors: dict[str, list[str]] = {}
    try:
        known = retention_classes()
    except RetentionError as exc:
        raise ValidationError(str(exc)) from exc
    chosen = {}
    for key in dict.fromkeys(classes):
        cls = known.get(key)
        if cls is None:
            errors.setdefault("classes", []).append(_("Okänt handlingsslag: %(key)s.") % {"key": key})
        elif not cls.gallras:
            errors.setdefault("classes", []).append(_("%(label)s bevaras enligt riktlinjerna och kan inte gallras.")
                                                    % {"label": cls.label})
        elif cls.mapped:
            chosen[key] = cls.period.iso
        else:
            errors.setdefault("classes", []).append(_("Insyn vet inte vilka poster som hör till %(key)s.") % {"key": key})
    if not classes:
        errors.setdefault("classes", []).append(_("Välj minst ett handlingsslag."))
    if not authorities:
        errors.setdefault("authorities", []).append(_("Välj minst en myndighet."))
    orgs = permissions.organisation_ids(actor)
    if not actor.is_superuser and any(a.organisation_id not in orgs for a in authorities):
        errors.setdefault("authorities", []).append(_("Du kan bara registrera beslut för din egen organisation."))
    for field, value in (("reference", reference), ("decided_by", decided_by)):
        if not (value or "").strip():
            errors.setdefault(field, []).append(_("Fältet måste fyllas i."))
    if decision_date and decision_date > timezone.localdate():
        errors.setdefault("decision_date", []).append(_("Beslutsdatumet kan inte ligga i framtiden."))
    if errors:
        raise ValidationError(errors)
    version = current_policy_version()
    decision = GallringDecision.objects.create(
        reference=reference.strip(), decided_by=decided_by.strip(), decision_date=decision_date, classes=chosen,
        note=note.strip(), scheduled=scheduled, policy_version=version.version if version else "", recorded_by=actor,
    )
    decision.authorities.set(authorities)
    log.append("records.gallring_decision_recorded", actor=actor, obj=decision, data={
        "reference": decision.reference, "decided_by": decision.decided_by, "decision_date": decision_date.isoformat(),
        "authorities": sorted(a.pk for a in authorities), "classes": chosen, "scheduled": scheduled,
        "policy_version": decision.policy_version,
    })
    return decision


@transaction.atomic
def revoke_gallring_decision(actor: User, decision: GallringDecision, *, reason: str) -> GallringDecision:
    require(permissions.is_arkivarie(actor))
    decision = GallringDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.revoked_at:
        raise ValidationError(_("Beslutet är redan upphävt."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Ange varför beslutet upphör att gälla.")]})
    decision.revoked_at, decision.revoked_by, decision.revoked_reason = timezone.now(), actor, reason.strip()
    decision.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    log.append("records.gallring_decision_revoked", actor=actor, obj=decision, data={"reference": decision.reference})
    return decision


# ---------------------------------------------------------------- holds and open requests


def _lock_account(account_id: int) -> Account:
    # Gallring locks the accounts of each batch it disposes of; taking the same lock here means
    # a hold either commits before a batch re-checks its items, or waits until it is done.
    return Account.objects.select_for_update().get(pk=account_id)


@transaction.atomic
def place_hold(actor: User, *, reason: str, item: Item | None = None, account: Account | None = None,
               thread_platform_id: str = "") -> LegalHold:
    """Put an item, a thread (``account`` + ``thread_platform_id``: the post at the top or the
    conversation) or a whole account under a legal hold: gallring leaves it alone until released."""
    require(permissions.can_place_hold(actor))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Ange skälet till spärren.")]})
    if item is not None:
        scope, account, thread_platform_id = LegalHold.Scope.ITEM, item.account, ""
    elif account is not None and thread_platform_id:
        scope = LegalHold.Scope.THREAD
    elif account is not None:
        scope = LegalHold.Scope.ACCOUNT
    else:
        raise ValidationError(_("Välj en post, en tråd eller ett konto."))
    if not actor.is_superuser and account.organisation_id not in permissions.organisation_ids(actor):
        require(False)
    _lock_account(account.pk)
    hold = LegalHold.objects.create(scope=scope, account=account, item=item, thread_platform_id=thread_platform_id,
                                    reason=reason.strip(), placed_by=actor, placed_at=timezone.now())
    log.append("records.hold_placed", actor=actor, obj=hold, data={
        "scope": scope, "account": account.pk, "item": item.pk if item else None,
        "thread_platform_id": thread_platform_id})
    return hold


@transaction.atomic
def release_hold(actor: User, hold: LegalHold, *, reason: str) -> LegalHold:
    require(permissions.is_arkivarie(actor))
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at:
        raise ValidationError(_("Spärren är redan hävd."))
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Ange varför spärren hävs.")]})
    hold.released_at, hold.released_by, hold.release_reason = timezone.now(), actor, reason.strip()
    hold.save(update_fields=["released_at", "released_by", "release_reason"])
    log.append("records.hold_released", actor=actor, obj=hold, data={"scope": hold.scope, "account": hold.account_id})
    return hold


@transaction.atomic
def add_to_open_request(item: Item, request_reference: str, *, actor=None) -> OpenRequestItem:
    """Mark an item as part of an open request for records; gallring will not touch it until
    ``close_open_request`` (for the utlämnande feature)."""
    _lock_account(item.account_id)
    row, created = OpenRequestItem.objects.get_or_create(
        item=item, request_reference=request_reference, defaults={"added_at": timezone.now()})
    if not created and row.closed_at is not None:
        row.closed_at = None
        row.save(update_fields=["closed_at"])
    log.append("records.request_item_added", actor=actor, obj=row, data={"item": item.pk, "request": request_reference})
    return row


@transaction.atomic
def close_open_request(request_reference: str, *, actor=None) -> int:
    count = OpenRequestItem.objects.filter(request_reference=request_reference, closed_at__isnull=True).update(
        closed_at=timezone.now())
    log.append("records.request_closed", actor=actor, data={"request": request_reference, "items": count})
    return count


__all__ = [
    "add_to_open_request", "assign_handler", "close_open_request", "close_registration", "configure_series",
    "log_protected_read", "place_hold", "record_gallring_decision", "register_document", "registration_for",
    "registration_hash", "release_hold", "reopen_registration", "revoke_gallring_decision", "should_register",
]
