"""The diarium and gallring pages: thin views over actions, permissions and QuerySets."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from insyn.archive.models import Item, VersionTriage
from insyn.eventlog import log
from insyn.inbox.models import SENSITIVE_LABELS
from insyn.registry.forms import add_validation_errors
from insyn.registry.models import Authority
from insyn.registry.permissions import can_view, require
from insyn.registry.policy import current_policy

from . import actions, gallring, permissions
from .adapters import ADAPTERS, get_adapter
from .forms import (
    DecisionForm,
    FindItemForm,
    HandlerForm,
    HoldForm,
    ReasonForm,
    RegisterItemForm,
    RunForm,
)
from .holds import protection_reasons
from .models import DisposalLogEntry, GallringDecision, GallringRun, LegalHold, Registration
from .registration import SEKRETESS_HINTS, registration_advice
from .retention import class_of, retention_classes

PAGE_SIZE = 50


def _authorities(user):
    authorities = Authority.objects.select_related("organisation").order_by("name")
    return authorities if user.is_superuser else authorities.filter(organisation_id__in=permissions.organisation_ids(user))


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


# ---------------------------------------------------------------- the register


def _filtered(request):
    f = {k: request.GET.get(k, "").strip()[:200] for k in ("authority", "q", "status", "direction", "since", "until")}
    regs = Registration.objects.visible_to(request.user)
    errors = []
    if f["authority"].isdigit():
        regs = regs.filter(authority_id=int(f["authority"]))
    if f["q"]:
        # The public fields only: searching the protected ones would be a read of them.
        regs = regs.filter(Q(diarienummer__icontains=f["q"]) | Q(title__icontains=f["q"]) | Q(counterpart__icontains=f["q"]))
    if f["status"] in Registration.Status.values:
        regs = regs.filter(status=f["status"])
    if f["direction"] in Registration.Direction.values:
        regs = regs.filter(direction=f["direction"])
    for key, lookup in (("since", "document_date__gte"), ("until", "document_date__lte")):
        if f[key]:
            day = _day(f[key])
            if day is None:
                errors.append(_("Datum anges som ÅÅÅÅ-MM-DD."))
            else:
                regs = regs.filter(**{lookup: day})
    return regs, f, errors


@login_required
def register_list(request):
    regs, f, errors = _filtered(request)
    page_number = int(request.GET["sida"]) if request.GET.get("sida", "").isdigit() else 1
    page = Paginator(regs.select_related("authority").order_by("-registered_at", "-id"), PAGE_SIZE).get_page(page_number)
    authorities = list(_authorities(request.user))
    selected = next((a for a in authorities if str(a.pk) == f["authority"]), None)
    return render(request, "records/register_list.html", {
        "page": page, "f": f, "errors": errors, "authorities": authorities, "selected": selected,
        "statuses": Registration.Status.choices, "directions": Registration.Direction.choices,
        "adapters": [(name, get_adapter(name).label) for name in ADAPTERS],
        "can_export_protected": selected is not None and permissions.is_registrator_for(request.user, selected),
        "is_registrator": any(permissions.is_registrator_for(request.user, a) for a in authorities),
        "query": urlencode({k: v for k, v in f.items() if v and k != "authority"}),
    })


@login_required
def register_export(request, pk: int, fmt: str):
    if fmt not in ADAPTERS:
        raise Http404
    authority = get_object_or_404(Authority, pk=pk)
    if not permissions.can_read_register(request.user, authority):
        raise Http404
    regs, _f, _errors = _filtered(request)
    regs = regs.filter(authority=authority).order_by("registered_at", "seq")
    protected = request.GET.get("skyddat") == "1"
    if protected:
        require(permissions.is_registrator_for(request.user, authority))
        with transaction.atomic():
            log.append("records.protected_exported", actor=request.user, obj=authority,
                       data={"format": fmt, "count": regs.count()})
    adapter = get_adapter(fmt)
    response = HttpResponse(adapter.export(regs, include_protected=protected, authority=authority),
                            content_type=adapter.media_type)
    name = f"diarium-{slugify(authority.diarium_prefix)}-{timezone.localdate().isoformat()}"
    response["Content-Disposition"] = f'attachment; filename="{name}{"-skyddat" if protected else ""}.{adapter.extension}"'
    return response


def _get_registration_for_user(request, pk: int) -> Registration:
    reg = get_object_or_404(Registration.objects.select_related("authority", "handler", "created_by", "closed_by",
                                                                "item__account", "series"), pk=pk)
    if not permissions.can_read_register(request.user, reg.authority):
        raise Http404
    return reg


@login_required
def registration_detail(request, pk: int):
    reg = _get_registration_for_user(request, pk)
    can_manage = permissions.can_manage(request.user, reg)
    return render(request, "records/registration_detail.html", {
        "reg": reg, "can_read_protected": permissions.can_read_protected(request.user, reg),
        "can_manage": can_manage, "is_registrator": permissions.is_registrator_for(request.user, reg.authority),
        "handler_form": HandlerForm(authority=reg.authority, initial={"handler": reg.handler}) if can_manage else None,
    })


@login_required
def registration_protected(request, pk: int):
    """The protected fields and the linked content; each view is logged (who, which entry)."""
    reg = _get_registration_for_user(request, pk)
    require(permissions.can_read_protected(request.user, reg))
    actions.log_protected_read(request.user, reg, what="fields_and_content" if reg.item_id else "fields")
    item = reg.item
    versions = list(item.versions.select_related("raw").order_by("number")) if item else []
    return render(request, "records/registration_protected.html", {
        "reg": reg, "item": item, "versions": versions,
        "raw": item.first_raw if item and item.first_raw_id else None,
        "can_view_archive": bool(item) and can_view(request.user, item.account),
        "disposed": bool(item) and hasattr(item, "disposal"),
    })


def _manage(request, pk: int, run, success: str):
    reg = _get_registration_for_user(request, pk)
    try:
        run(reg)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("records:detail", pk=pk)


@login_required
@require_POST
def registration_close(request, pk: int):
    return _manage(request, pk, lambda reg: actions.close_registration(request.user, reg), _("Registreringen är avslutad."))


@login_required
@require_POST
def registration_reopen(request, pk: int):
    return _manage(request, pk, lambda reg: actions.reopen_registration(request.user, reg), _("Registreringen är öppnad igen."))


@login_required
@require_POST
def registration_handler(request, pk: int):
    reg = _get_registration_for_user(request, pk)
    require(permissions.can_manage(request.user, reg))
    form = HandlerForm(request.POST, authority=reg.authority)
    if not form.is_valid():
        messages.error(request, _("Välj en handläggare från listan."))
        return redirect("records:detail", pk=pk)
    return _manage(request, pk, lambda r: actions.assign_handler(request.user, r, form.cleaned_data["handler"]),
                   _("Handläggaren är ändrad."))


def _suggestions(user, authorities) -> list[tuple[Item, list[str]]]:
    """Recent incoming items at the user's authorities that the rules say should be registered."""
    mine = [a for a in authorities if permissions.is_registrator_for(user, a)]
    if not mine:
        return []
    base = Item.objects.filter(account__authority__in=mine, direction=Item.Direction.INKOMMEN, registrations__isnull=True,
                               disposal__isnull=True, inkommen_at__gte=timezone.now() - timedelta(days=180))
    ids: dict[int, list[str]] = {}
    if current_policy().direct_messages == "registreras":
        for pk in base.filter(record_type=Item.RecordType.DIRECT_MESSAGE).values_list("pk", flat=True)[:200]:
            ids.setdefault(pk, []).append(_("direktmeddelande"))
    flagged = (VersionTriage.objects.filter(version__item__in=base).exclude(sensitive=[])
               .values_list("version__item_id", "sensitive")[:2000])
    for pk, labels in flagged:
        hints = [label for label in labels if label in SEKRETESS_HINTS]
        if hints:
            named = ", ".join(str(SENSITIVE_LABELS.get(h, h)).lower() for h in hints)
            ids.setdefault(pk, []).append(_("möjlig sekretess: %(labels)s") % {"labels": named})
    items = Item.objects.filter(pk__in=list(ids)).select_related("account").order_by("-inkommen_at")[:100]
    return [(item, ids[item.pk]) for item in items]


@login_required
def register_start(request):
    authorities = list(_authorities(request.user))
    if not any(permissions.is_registrator_for(request.user, a) for a in authorities):
        raise PermissionDenied
    form = FindItemForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("records:register_item", item_pk=form.cleaned_data["item"])
    return render(request, "records/register_start.html", {
        "form": form, "suggestions": _suggestions(request.user, authorities)})


@login_required
@require_http_methods(["GET", "POST"])
def register_item(request, item_pk: int):
    item = get_object_or_404(Item.objects.select_related("account__authority", "account__unit"), pk=item_pk)
    authority = item.account.authority
    if not permissions.can_read_register(request.user, authority):
        raise Http404
    require(permissions.can_register(request.user, authority, item))
    existing = actions.registration_for(item)
    if existing is not None:
        messages.info(request, _("Posten är redan registrerad som %(number)s.") % {"number": existing.diarienummer})
        return redirect("records:detail", pk=existing.pk)
    advice = registration_advice(item)
    initial = {"received_or_drawn_up": timezone.localtime(item.inkommen_at).date(), "counterpart": item.author_name,
               "sekretess": bool(advice.suggested_osl_reference), "osl_reference": advice.suggested_osl_reference}
    form = RegisterItemForm(request.POST or None, authority=authority, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            reg = actions.register_document(request.user, authority=authority, item=item, **form.action_kwargs())
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Handlingen är registrerad som %(number)s.") % {"number": reg.diarienummer})
            return redirect("records:detail", pk=reg.pk)
    return render(request, "records/register_item.html", {"form": form, "item": item, "advice": advice,
                                                          "authority": authority})


# ---------------------------------------------------------------- gallring (arkivarie)


def _require_gallring_reader(user) -> None:
    require(permissions.is_arkivarie(user) or user.is_samordnare or user.has_role("granskare"))


@login_required
def gallring_overview(request):
    _require_gallring_reader(request.user)
    try:
        classes = list(retention_classes().values())
        policy_error = ""
    except Exception as exc:  # noqa: BLE001 - shown to the archivist instead of a 500
        classes, policy_error = [], str(exc)
    decisions = (GallringDecision.objects.prefetch_related("authorities").select_related("recorded_by", "revoked_by"))
    if not request.user.is_superuser:
        decisions = decisions.filter(authorities__organisation_id__in=permissions.organisation_ids(request.user)).distinct()
    decisions = list(decisions)
    covering: dict[str, list[GallringDecision]] = {}
    for d in decisions:
        if d.in_force:
            for key in d.classes:
                covering.setdefault(key, []).append(d)
    return render(request, "records/gallring_overview.html", {
        "classes": [(c, covering.get(c.key, [])) for c in classes], "policy_error": policy_error,
        "class_labels": {c.key: c.label for c in classes}, "decisions": decisions, "runs": GallringRun.objects.select_related("started_by")[:20],
        "is_arkivarie": permissions.is_arkivarie(request.user),
        "can_place_hold": permissions.can_place_hold(request.user),
        "holds": LegalHold.objects.active().select_related("account", "item", "placed_by")[:200],
    })


@login_required
@require_http_methods(["GET", "POST"])
def decision_create(request):
    require(permissions.is_arkivarie(request.user))
    form = DecisionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            actions.record_gallring_decision(request.user, authorities=list(data.pop("authorities")), **data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Gallringsbeslutet är registrerat."))
            return redirect("gallring:overview")
    return render(request, "records/decision_form.html", {"form": form})


@login_required
@require_POST
def decision_revoke(request, pk: int):
    require(permissions.is_arkivarie(request.user))
    decision = get_object_or_404(GallringDecision, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Ange varför beslutet upphör att gälla."))
    else:
        try:
            actions.revoke_gallring_decision(request.user, decision, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Beslutet gäller inte längre; ingenting gallras under det."))
    return redirect("gallring:overview")


@login_required
def gallring_preview(request):
    require(permissions.is_arkivarie(request.user))
    try:
        plan = gallring.preview(user=request.user)
    except gallring.GallringRefused as exc:
        messages.error(request, str(exc))
        return redirect("gallring:overview")
    return render(request, "records/gallring_preview.html", {"plan": plan, "form": RunForm()})


@login_required
@require_POST
def gallring_start(request):
    require(permissions.is_arkivarie(request.user))
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Bekräfta att du har granskat förhandsvisningen."))
        return redirect("gallring:preview")
    try:
        with transaction.atomic():
            run = gallring.start_gallring(request.user)
            from .tasks import run_gallring_task

            transaction.on_commit(lambda: run_gallring_task.enqueue(run.pk))
    except gallring.GallringRefused as exc:
        messages.error(request, str(exc))
        return redirect("gallring:overview")
    messages.success(request, _("Gallringen är beställd och körs av bakgrundsarbetaren."))
    return redirect("gallring:run", pk=run.pk)


@login_required
def gallring_run(request, pk: int):
    _require_gallring_reader(request.user)
    run = get_object_or_404(GallringRun.objects.select_related("started_by"), pk=pk)
    return render(request, "records/gallring_run.html", {
        "run": run, "entries": run.log_entries.select_related("decision").order_by("batch")})


@login_required
def disposal_log(request):
    _require_gallring_reader(request.user)
    entries = DisposalLogEntry.objects.select_related("run", "decision").order_by("-at", "-id")
    page_number = int(request.GET["sida"]) if request.GET.get("sida", "").isdigit() else 1
    return render(request, "records/disposal_log.html", {"page": Paginator(entries, PAGE_SIZE).get_page(page_number)})


@login_required
@require_http_methods(["GET", "POST"])
def hold_create(request):
    require(permissions.can_place_hold(request.user))
    initial = {"item": request.GET.get("post")} if request.GET.get("post", "").isdigit() else None
    form = HoldForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        item = None
        if d["scope"] in ("item", "thread"):
            item = Item.objects.select_related("account").filter(
                pk=d["item"], account__in=form.fields["account"].queryset).first()
            if item is None:
                form.add_error("item", _("Det finns ingen sådan post i din organisation."))
        if form.is_valid():
            try:
                if d["scope"] == "item":
                    actions.place_hold(request.user, item=item, reason=d["reason"])
                elif d["scope"] == "thread":
                    actions.place_hold(request.user, account=item.account, reason=d["reason"],
                                       thread_platform_id=item.thread_platform_id or item.platform_id)
                else:
                    actions.place_hold(request.user, account=d["account"], reason=d["reason"])
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, _("Spärren är lagd. Det spärrade gallras inte förrän spärren hävs."))
                return redirect("gallring:overview")
    return render(request, "records/hold_form.html", {"form": form})


@login_required
@require_POST
def hold_release(request, pk: int):
    require(permissions.is_arkivarie(request.user))
    hold = get_object_or_404(LegalHold, pk=pk)
    if not request.user.is_superuser and hold.account.organisation_id not in permissions.organisation_ids(request.user):
        raise Http404
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Ange varför spärren hävs."))
    else:
        try:
            actions.release_hold(request.user, hold, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Spärren är hävd."))
    return redirect("gallring:overview")


@login_required
def item_status(request, item_pk: int):
    """An item's records status: class, registration, holds, disposal (for arkivarie/registrator)."""
    item = get_object_or_404(Item.objects.select_related("account"), pk=item_pk)
    same_org = request.user.is_superuser or item.account.organisation_id in permissions.organisation_ids(request.user)
    if not (can_view(request.user, item.account) or (permissions.is_arkivarie(request.user) and same_org)):
        raise Http404
    return render(request, "records/item_status.html", {
        "item": item, "record_class": class_of(item), "registration": actions.registration_for(item),
        "reasons": protection_reasons(item), "disposal": getattr(item, "disposal", None),
        "can_place_hold": permissions.can_place_hold(request.user),
    })

