"""Every change to a request for records (begäran om allmän handling).

Each action validates, writes and appends its event to the chain in one transaction. Event
data never carries the requester's name or contact, item text or masked words: the chain
cannot be gallrad, so it holds ids, references, decisions, provisions and sha256 digests.

The lifecycle: registrerad → under prövning (items selected) → beslutad (every item has a
decision) → expedierad (the letter and documents produced and stored) → avslutad. A request
can be closed from any state (withdrawn, or after the time to appeal); closing closes its
``records.OpenRequestItem`` rows, so gallring may take the items again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.archive.models import Item
from insyn.eventlog import log
from insyn.lib.hashing import canonical_json, sha256_hex
from insyn.records import access as records_access
from insyn.records import actions as records_actions
from insyn.records.models import OpenRequestItem
from insyn.registry.models import Authority, Unit, User
from insyn.registry.permissions import require

from . import masking, permissions
from .models import Delivery, Request, RequestItem

MAX_DESCRIPTION = 5000
MAX_NAME = 200
MAX_CONTACT = 300
MAX_ITEMS_PER_REQUEST = 2000


def request_hash(req: Request) -> str:
    """A digest of what the request says, requester included: the chain proves it unchanged
    without holding the requester's name."""
    return sha256_hex(canonical_json({
        "reference": req.reference, "authority": req.authority_id, "unit": req.unit_id,
        "received_at": req.received_at.isoformat(), "channel": req.channel, "anonymous": req.anonymous,
        "requester_name": req.requester_name, "requester_contact": req.requester_contact,
        "description": req.description, "delivery_form": req.delivery_form,
    }))


def _next_reference(authority: Authority, year: int) -> str:
    # The authority row is locked for the transaction, so two registrations cannot take the
    # same number (SQLite serialises writers anyway).
    Authority.objects.select_for_update().get(pk=authority.pk)
    prefix = f"BAH {authority.diarium_prefix} {year}/"
    taken = Request.objects.filter(authority=authority, reference__startswith=prefix).values_list("reference", flat=True)
    numbers = [int(r[len(prefix):]) for r in taken if r[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


@transaction.atomic
def register_request(
    actor: User, *, unit: Unit, received_at: datetime, channel: str, description: str,
    anonymous: bool = False, requester_name: str = "", requester_contact: str = "",
    delivery_form: str = "", handler: User | None = None,
) -> Request:
    """Register a request for allmänna handlingar received by ``unit``.

    The requester may stay anonymous (TF 2 kap. 18 §): nothing about them is required, and an
    anonymous request holds no name. A contact (where to send the documents) may still be given.
    """
    require(permissions.can_register_request(actor, unit))
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    description = (description or "").strip()
    requester_name, requester_contact = (requester_name or "").strip(), (requester_contact or "").strip()
    if not description:
        error("description", _("Beskriv vilka handlingar som begärs."))
    elif len(description) > MAX_DESCRIPTION:
        error("description", _("Högst %(n)d tecken.") % {"n": MAX_DESCRIPTION})
    if channel not in Request.Channel.values:
        error("channel", _("Välj hur begäran kom in."))
    if not isinstance(received_at, datetime) or timezone.is_naive(received_at):
        error("received_at", _("Ange när begäran kom in (datum och tid)."))
    elif received_at > timezone.now() + timedelta(minutes=5):
        error("received_at", _("Tidpunkten kan inte ligga i framtiden."))
    if anonymous and requester_name:
        error("requester_name", _("En anonym begäran har inget namn. Ta bort namnet eller avmarkera anonym."))
    if len(requester_name) > MAX_NAME:
        error("requester_name", _("Högst %(n)d tecken.") % {"n": MAX_NAME})
    if len(requester_contact) > MAX_CONTACT:
        error("requester_contact", _("Högst %(n)d tecken.") % {"n": MAX_CONTACT})
    if handler is not None and not any(m.unit.authority_id == unit.authority_id for m in handler.memberships_cached()):
        error("handler", _("Handläggaren har ingen roll hos myndigheten."))
    if errors:
        raise ValidationError(errors)

    year = timezone.localtime(received_at).year
    req = Request.objects.create(
        reference=_next_reference(unit.authority, year), authority=unit.authority, unit=unit, handler=handler,
        received_at=received_at, channel=channel, anonymous=anonymous, requester_name=requester_name,
        requester_contact=requester_contact, description=description, delivery_form=(delivery_form or "")[:100],
        created_by=actor,
    )
    log.append("utlamnande.request_registered", actor=actor, obj=req, data={
        "reference": req.reference, "authority": req.authority_id, "unit": unit.pk, "channel": channel,
        "anonymous": anonymous, "received_at": received_at.isoformat(), "handler": handler.pk if handler else None,
        "record_sha256": request_hash(req),
    })
    return req


@transaction.atomic
def assign_handler(actor: User, req: Request, handler: User | None) -> Request:
    """Give the request a handläggare (or none)."""
    req = _locked(req)
    require(permissions.can_handle_request(actor, req))
    if req.status == Request.Status.AVSLUTAD:
        raise ValidationError(_("Begäran är redan avslutad."))
    if handler is not None and not any(m.unit.authority_id == req.authority_id for m in handler.memberships_cached()):
        raise ValidationError({"handler": [_("Handläggaren har ingen roll hos myndigheten.")]})
    req.handler = handler
    req.save(update_fields=["handler"])
    log.append("utlamnande.handler_assigned", actor=actor, obj=req, data={
        "reference": req.reference, "handler": handler.pk if handler else None})
    return req


def _locked(req: Request) -> Request:
    return Request.objects.select_for_update().select_related("authority", "unit").get(pk=req.pk)


def _require_reviewable(req: Request) -> None:
    if req.status not in (Request.Status.REGISTRERAD, Request.Status.UNDER_PROVNING):
        raise ValidationError(_("Begäran är %(status)s; urvalet och prövningen kan inte ändras.")
                              % {"status": req.get_status_display().lower()})


def selectable_items(actor: User, req: Request):
    """Archive items ``actor`` may select for ``req``: the authority's accounts that the actor
    can see, without content the actor may not read (sekretess, moved to the diarium)."""
    from insyn.inbox import access as inbox_access

    return (Item.objects.visible_to(actor).filter(account__authority_id=req.authority_id)
            .exclude(pk__in=records_access.unreadable_items(actor))
            .exclude(pk__in=inbox_access.unreadable_items(actor)))


@transaction.atomic
def add_items(actor: User, req: Request, items: Iterable[Item]) -> list[RequestItem]:
    """Select archive items for the request. Each becomes an open-request item in the records
    app, so gallring leaves it alone until the request is closed."""
    req = _locked(req)
    require(permissions.can_handle_request(actor, req))
    _require_reviewable(req)
    ids = sorted({i.pk for i in items})
    if not ids:
        raise ValidationError(_("Välj minst en post."))
    allowed = {i.pk: i for i in selectable_items(actor, req).filter(pk__in=ids).select_related("account")}
    missing = [i for i in ids if i not in allowed]
    if missing:
        raise ValidationError(_("Posten %(ids)s finns inte bland de poster du kan välja för den här begäran.")
                              % {"ids": ", ".join(map(str, missing[:10]))})
    if req.items.count() + len(ids) > MAX_ITEMS_PER_REQUEST:
        raise ValidationError(_("En begäran kan ha högst %(n)d poster; dela upp den.") % {"n": MAX_ITEMS_PER_REQUEST})
    now, added = timezone.now(), []
    already = set(req.items.values_list("item_id", flat=True))
    for item_id in ids:
        if item_id in already:
            continue
        item = allowed[item_id]
        if hasattr(item, "disposal"):
            raise ValidationError(_("Posten %(id)s är gallrad och kan inte lämnas ut.") % {"id": item_id})
        version = item.versions.order_by("-number").first()
        if version is None:
            raise ValidationError(_("Posten %(id)s har ingen sparad text.") % {"id": item_id})
        records_actions.add_to_open_request(item, req.reference, actor=actor)
        added.append(RequestItem.objects.create(request=req, item=item, version=version, added_by=actor, added_at=now))
    if req.status == Request.Status.REGISTRERAD:
        req.status = Request.Status.UNDER_PROVNING
        req.save(update_fields=["status"])
    log.append("utlamnande.items_selected", actor=actor, obj=req, data={
        "reference": req.reference, "items": [ri.item_id for ri in added], "status": req.status})
    return added


@transaction.atomic
def remove_item(actor: User, request_item: RequestItem) -> None:
    """Take a wrongly selected item out of the request (before the decision)."""
    req = _locked(request_item.request)
    require(permissions.can_handle_request(actor, req))
    _require_reviewable(req)
    item_id = request_item.item_id
    RequestItem.objects.filter(pk=request_item.pk).delete()
    # Closing only loosens protection: no lock needed (a gallring batch re-checks under its own).
    OpenRequestItem.objects.filter(item_id=item_id, request_reference=req.reference,
                                   closed_at__isnull=True).update(closed_at=timezone.now())
    log.append("utlamnande.item_removed", actor=actor, obj=req, data={"reference": req.reference, "item": item_id})


def _masks_digest(masks: list[dict]) -> str:
    return sha256_hex(canonical_json(masks))


@transaction.atomic
def decide_item(
    actor: User, request_item: RequestItem, *, decision: str, masks: list[dict] | None = None,
    mask_author: bool = False, author_osl: str = "", osl_reference: str = "", reason: str = "",
) -> RequestItem:
    """Record the sekretessprövning of one item: lämnas ut, lämnas ut med maskering (masks are
    character ranges on the reviewed version's text, each with its provision) or lämnas inte ut
    (with the provision)."""
    req = _locked(request_item.request)
    require(permissions.can_handle_request(actor, req))
    _require_reviewable(req)
    ri = RequestItem.objects.select_for_update().select_related("version", "item").get(pk=request_item.pk)
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    osl_reference, author_osl, reason = (osl_reference or "").strip(), (author_osl or "").strip(), (reason or "").strip()
    clean: list[dict] = []
    if decision not in RequestItem.Decision.values:
        error("decision", _("Välj ett beslut för posten."))
    try:
        clean = masking.normalise_masks(ri.version.text, list(masks or []))
    except ValidationError as exc:
        error("masks", exc.messages[0])
    if mask_author and not author_osl:
        error("author_osl", _("Ange sekretessbestämmelsen för att maskera avsändarens namn."))
    if len(osl_reference) > 200 or len(author_osl) > masking.MAX_OSL:
        error("osl_reference", _("Sekretessbestämmelsen är för lång."))
    if decision == RequestItem.Decision.LAMNAS_UT and (clean or mask_author):
        error("decision", _("Du har valt maskeringar: välj beslutet ”Lämnas ut med maskering”."))
    if decision == RequestItem.Decision.MASKERAD and not (clean or mask_author):
        error("decision", _("Välj minst en maskering, eller beslutet ”Lämnas ut”."))
    if decision == RequestItem.Decision.LAMNAS_INTE_UT:
        if not osl_reference:
            error("osl_reference", _("Ange den sekretessbestämmelse som hindrar utlämnandet (t.ex. OSL 26 kap. 1 §)."))
        clean, mask_author, author_osl = [], False, ""
    if errors:
        raise ValidationError(errors)

    ri.decision, ri.masks, ri.mask_author, ri.author_osl = decision, clean, mask_author, author_osl if mask_author else ""
    ri.osl_reference = "" if decision == RequestItem.Decision.LAMNAS_UT else osl_reference
    ri.reason, ri.decided_by, ri.decided_at = reason, actor, timezone.now()
    ri.save()
    provisions = sorted({m["osl"] for m in clean} | ({author_osl} if mask_author else set())
                        | ({osl_reference} if osl_reference and decision != RequestItem.Decision.LAMNAS_UT else set()))
    log.append("utlamnande.item_decided", actor=actor, obj=req, data={
        "reference": req.reference, "item": ri.item_id, "version": ri.version_id, "decision": decision,
        "masks": len(clean), "mask_author": mask_author, "masks_sha256": _masks_digest(clean),
        "provisions": provisions,
    })
    return ri


@transaction.atomic
def decide_request(actor: User, req: Request) -> Request:
    """The authority's decision on the whole request: every selected item must be decided."""
    req = _locked(req)
    require(permissions.can_handle_request(actor, req))
    _require_reviewable(req)
    undecided = req.items.filter(decision="").count()
    if undecided:
        raise ValidationError(_("%(n)d poster saknar beslut. Pröva varje post innan du beslutar.") % {"n": undecided})
    counts = {d: req.items.filter(decision=d).count() for d in RequestItem.Decision.values}
    req.status, req.decided_at, req.decided_by = Request.Status.BESLUTAD, timezone.now(), actor
    req.save(update_fields=["status", "decided_at", "decided_by"])
    log.append("utlamnande.decided", actor=actor, obj=req, data={"reference": req.reference, **counts})
    return req


def _decisions_digest(req: Request) -> str:
    return sha256_hex(canonical_json([
        [ri.pk, ri.item_id, ri.version_id, ri.decision, ri.masks, ri.mask_author, ri.author_osl, ri.osl_reference]
        for ri in req.items.order_by("pk")]))


def expedite(actor: User, req: Request) -> Delivery:
    """Produce the decision letter, the documents (PDF/A) and the CSV from the stored
    decisions, store them as what was handed out and chain their digests."""
    from . import produce

    req = Request.objects.select_related("authority", "unit", "decided_by").get(pk=req.pk)
    require(permissions.can_handle_request(actor, req))
    if req.status != Request.Status.BESLUTAD:
        raise ValidationError(_("Bara en beslutad begäran kan expedieras."))
    # Rendering takes a second or two: done before the transaction so the chain is not held.
    digest = _decisions_digest(req)
    now = timezone.now()
    files = produce.produce(req, actor=actor, now=now)
    with transaction.atomic():
        locked = _locked(req)
        if locked.status != Request.Status.BESLUTAD or _decisions_digest(locked) != digest:
            raise ValidationError(_("Begäran ändrades medan handlingarna togs fram. Försök igen."))
        delivery = Delivery.objects.create(
            request=locked, produced_at=now, produced_by=actor,
            letter_pdf=files.letter_pdf, letter_sha256=sha256_hex(files.letter_pdf),
            documents_pdf=files.documents_pdf, documents_sha256=sha256_hex(files.documents_pdf),
            documents_csv=files.documents_csv, csv_sha256=sha256_hex(files.documents_csv),
            items_handed_out=files.counts["handed_out"], items_masked=files.counts["masked"],
            items_refused=files.counts["refused"], has_appeal_notice=files.appeal,
        )
        locked.status, locked.expedited_at = Request.Status.EXPEDIERAD, now
        locked.production_ordered_at, locked.production_error = None, ""
        locked.save(update_fields=["status", "expedited_at", "production_ordered_at", "production_error"])
        log.append("utlamnande.expedited", actor=actor, obj=locked, data={
            "reference": locked.reference, "delivery": delivery.pk, "letter_sha256": delivery.letter_sha256,
            "documents_sha256": delivery.documents_sha256, "csv_sha256": delivery.csv_sha256,
            "decisions_sha256": digest, **files.counts, "appeal_notice": files.appeal,
        })
    return delivery


@transaction.atomic
def order_production(actor: User, req: Request) -> Request:
    """Have the worker produce and store what is handed out (``expedite``): for requests too
    large to render within a page load. Visible on the request until it is done or fails."""
    from .tasks import expedite_task

    req = _locked(req)
    require(permissions.can_handle_request(actor, req))
    if req.status != Request.Status.BESLUTAD:
        raise ValidationError(_("Bara en beslutad begäran kan expedieras."))
    req.production_ordered_at, req.production_error = timezone.now(), ""
    req.save(update_fields=["production_ordered_at", "production_error"])
    log.append("utlamnande.production_ordered", actor=actor, obj=req, data={"reference": req.reference})
    request_id, actor_id = req.pk, actor.pk
    transaction.on_commit(lambda: expedite_task.enqueue(request_id, actor_id))
    return req


@transaction.atomic
def close_request(actor: User, req: Request, *, note: str = "") -> Request:
    """Close the request (handed out and the time to appeal passed, or withdrawn). Its items are
    no longer held back from gallring."""
    req = _locked(req)
    require(permissions.can_handle_request(actor, req))
    if req.status == Request.Status.AVSLUTAD:
        raise ValidationError(_("Begäran är redan avslutad."))
    previous = req.status
    req.status, req.closed_at, req.closed_by, req.close_note = Request.Status.AVSLUTAD, timezone.now(), actor, (note or "").strip()[:2000]
    req.save(update_fields=["status", "closed_at", "closed_by", "close_note"])
    released = records_actions.close_open_request(req.reference, actor=actor)
    log.append("utlamnande.closed", actor=actor, obj=req, data={
        "reference": req.reference, "previous_status": previous, "items_released": released})
    return req


__all__ = ["add_items", "assign_handler", "close_request", "decide_item", "decide_request", "expedite", "order_production", "register_request",
           "remove_item", "request_hash", "selectable_items"]
