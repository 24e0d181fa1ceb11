"""Pages for requests for records (/utlamnande/) and the GDPR duties (/gdpr/): thin views over
the actions, permissions and QuerySets."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from insyn.archive import search
from insyn.archive.models import Item, VersionTriage
from insyn.inbox import access as inbox_access
from insyn.lib.calendar import STOCKHOLM
from insyn.records import access as records_access
from insyn.records.pdf import render_pdfa
from insyn.registry.forms import add_validation_errors
from insyn.registry.models import Account
from insyn.registry.permissions import can_view, require

from . import actions, gdpr, masking, permissions
from .age import request_age
from .forms import (
    CloseForm,
    FindForm,
    HandlerForm,
    LogSearchForm,
    RequestForm,
    ReviewForm,
    SubjectForm,
    handler_choices,
)
from .models import Delivery, Request, RequestItem

RESULTS = 50


def _get_request_for_user(request, pk: int) -> Request:
    req = get_object_or_404(Request.objects.select_related("authority", "unit", "handler", "created_by"), pk=pk)
    if not permissions.can_view_request(request.user, req):
        raise Http404
    return req


# ---------------------------------------------------------------- requests


@login_required
def request_list(request):
    show = request.GET.get("visa", "pagaende")
    reqs = Request.objects.visible_to(request.user).select_related("authority", "unit", "handler")
    if show != "alla":
        reqs = reqs.open()
    rows = [(r, request_age(r.received_at)) for r in reqs.order_by("received_at", "id")[:500]]
    return render(request, "utlamnande/request_list.html", {
        "rows": rows, "show": show,
        "can_register": permissions.registerable_units(request.user).exists(),
        "can_export_subject": permissions.can_export_data_subject(request.user),
        "can_search_log": permissions.can_search_log(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request):
    units = permissions.registerable_units(request.user)
    if not units.exists():
        raise Http404
    form = RequestForm(request.POST or None, units=units, handlers=handler_choices(units))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            req = actions.register_request(
                request.user, unit=data["unit"], received_at=form.received_at(), channel=data["channel"],
                description=data["description"], anonymous=data["anonymous"], requester_name=data["requester_name"],
                requester_contact=data["requester_contact"], delivery_form=data["delivery_form"], handler=data["handler"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
            if "received_at" in getattr(exc, "error_dict", {}):
                form.add_error("received_date", exc.error_dict["received_at"])
        else:
            messages.success(request, _("Begäran är registrerad som %(ref)s.") % {"ref": req.reference})
            return redirect("utlamnande:detail", req.pk)
    return render(request, "utlamnande/request_form.html", {"form": form})


@login_required
def request_detail(request, pk: int):
    req = _get_request_for_user(request, pk)
    items = list(req.items.select_related("item__account", "version").order_by("added_at", "id"))
    return render(request, "utlamnande/request_detail.html", {
        "req": req, "age": request_age(req.received_at), "items": items,
        "undecided": sum(1 for ri in items if not ri.decision),
        "can_handle": permissions.can_handle_request(request.user, req),
        "deliveries": req.deliveries.select_related("produced_by").defer("letter_pdf", "documents_pdf", "documents_csv"),
        "close_form": CloseForm(), "Status": Request.Status,
        "handler_form": HandlerForm(handlers=handler_choices([req.unit]), initial={"handler": req.handler}),
    })


def _day(value, end=False):
    if value is None:
        return None
    return datetime.combine(value + timedelta(days=1) if end else value, time.min, tzinfo=STOCKHOLM)


@login_required
@require_http_methods(["GET", "POST"])
def request_find(request, pk: int):
    """Find archive items (text, account, author, period) and select them for the request."""
    req = _get_request_for_user(request, pk)
    require(permissions.can_handle_request(request.user, req))
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("item") if v.isdigit()][:500]
        try:
            added = actions.add_items(request.user, req, Item.objects.filter(pk__in=ids))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)d poster har lagts till i begäran.") % {"n": len(added)})
            return redirect("utlamnande:detail", req.pk)
    candidates = actions.selectable_items(request.user, req)
    accounts = Account.objects.filter(pk__in=candidates.values("account_id")).order_by("name")
    form = FindForm(request.GET or None, accounts=accounts)
    results, searched = [], False
    if request.GET and form.is_valid():
        searched = True
        data = form.cleaned_data
        items = candidates
        if data["account"]:
            items = items.filter(account_id=int(data["account"]))
        if data["author"]:
            items = items.filter(author_name__icontains=data["author"])
        since, until = _day(data["since"]), _day(data["until"], end=True)
        if since:
            items = items.filter(inkommen_at__gte=since)
        if until:
            items = items.filter(inkommen_at__lt=until)
        if data["q"]:
            account_ids = [int(data["account"])] if data["account"] else list(accounts.values_list("pk", flat=True))
            hits = search.search_ids(data["q"], account_ids=account_ids, since=since, until=until, order="date",
                                     limit=RESULTS * 10)
            allowed = set(items.filter(pk__in=[h.item_id for h in hits]).values_list("pk", flat=True))
            by_id = Item.objects.select_related("account").in_bulk([h.item_id for h in hits if h.item_id in allowed])
            results = [by_id[h.item_id] for h in hits if h.item_id in by_id][:RESULTS]
        else:
            results = list(items.select_related("account").order_by("-inkommen_at", "-id")[:RESULTS])
    chosen = set(req.items.values_list("item_id", flat=True))
    return render(request, "utlamnande/request_find.html", {
        "req": req, "form": form, "results": results, "searched": searched, "chosen": chosen,
    })


def _candidates(ri: RequestItem, triage) -> list[dict]:
    """The masks offered on the review page, in a stable order the POST can refer to by index:
    the stored masks (checked) and the triage suggestions not already stored (checked only
    before the first decision, and never a whole-text one)."""
    text = ri.version.text
    out, seen = [], set()
    for m in ri.masks:
        seen.add((m["start"], m["end"]))
        out.append({"start": m["start"], "end": m["end"], "kind": m["kind"], "osl": m["osl"], "checked": True,
                    "label": ", ".join(str(masking.KIND_LABELS.get(k, k)) for k in m["kind"].split(",")),
                    "whole": m["start"] == 0 and m["end"] == len(text)})
    for s in masking.suggestions(text, triage):
        if (s.start, s.end) in seen:
            continue
        # A whole-text mask is in effect a refusal: offered, never pre-ticked.
        out.append({"start": s.start, "end": s.end, "kind": s.kind, "osl": s.osl,
                    "checked": not ri.decision and not s.whole_text,
                    "label": s.label, "whole": s.whole_text})
    for c in out:
        c["quote"] = text[c["start"]:c["end"]] if not c["whole"] else ""
    return out


@login_required
@require_http_methods(["GET", "POST"])
def item_review(request, pk: int, ri_pk: int):
    req = _get_request_for_user(request, pk)
    ri = get_object_or_404(RequestItem.objects.select_related("item__account", "version"), pk=ri_pk, request=req)
    can_handle = permissions.can_handle_request(request.user, req)
    # Reading content under sekretess during the review is logged like every other read.
    if not (records_access.content_allowed(request.user, ri.item, where="utlamnande")
            and inbox_access.content_allowed(request.user, ri.item, where="utlamnande")):
        raise Http404
    triage = VersionTriage.objects.filter(version=ri.version).first()
    candidates = _candidates(ri, triage)
    initial = {"decision": ri.decision or (RequestItem.Decision.MASKERAD if candidates else RequestItem.Decision.LAMNAS_UT),
               "mask_author": ri.mask_author, "author_osl": ri.author_osl, "osl_reference": ri.osl_reference,
               "reason": ri.reason}
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(can_handle)
        if form.is_valid():
            data = form.cleaned_data
            masks = []
            for index, c in enumerate(candidates):
                c["checked"] = request.POST.get(f"mask_{index}") == "on"
                c["osl"] = request.POST.get(f"osl_{index}", c["osl"]).strip()[:masking.MAX_OSL]
                if c["checked"]:
                    masks.append({"start": c["start"], "end": c["end"], "kind": c["kind"], "osl": c["osl"]})
            if data["phrase"].strip():
                ranges = masking.find_phrase(ri.version.text, data["phrase"])
                if not ranges:
                    form.add_error("phrase", _("Texten finns inte i posten."))
                masks += [{"start": a, "end": b, "kind": "manuell", "osl": data["phrase_osl"].strip()} for a, b in ranges]
            if not form.errors:
                try:
                    actions.decide_item(request.user, ri, decision=data["decision"], masks=masks,
                                        mask_author=data["mask_author"], author_osl=data["author_osl"],
                                        osl_reference=data["osl_reference"], reason=data["reason"])
                except ValidationError as exc:
                    if "masks" in getattr(exc, "error_dict", {}):
                        form.add_error(None, exc.error_dict.pop("masks"))
                    add_validation_errors(form, exc)
                else:
                    messages.success(request, _("Beslutet för posten är sparat."))
                    return redirect("utlamnande:review", req.pk, ri.pk)
    return render(request, "utlamnande/item_review.html", {
        "req": req, "ri": ri, "form": form, "candidates": candidates, "can_handle": can_handle,
        "editable": can_handle and req.status in (Request.Status.REGISTRERAD, Request.Status.UNDER_PROVNING),
        "preview": masking.segments(ri.version.text, ri.masks) if ri.decision == RequestItem.Decision.MASKERAD else None,
        "Decision": RequestItem.Decision,
    })


def _action(request, pk: int, run, success: str):
    req = _get_request_for_user(request, pk)
    try:
        run(req)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("utlamnande:detail", req.pk)


@login_required
@require_POST
def item_remove(request, pk: int, ri_pk: int):
    req = _get_request_for_user(request, pk)
    ri = get_object_or_404(RequestItem, pk=ri_pk, request=req)
    return _action(request, pk, lambda r: actions.remove_item(request.user, ri), _("Posten är borttagen ur begäran."))


@login_required
@require_POST
def request_handler(request, pk: int):
    req = _get_request_for_user(request, pk)
    form = HandlerForm(request.POST, handlers=handler_choices([req.unit]))
    if not form.is_valid():
        messages.error(request, _("Välj en handläggare i listan."))
        return redirect("utlamnande:detail", req.pk)
    return _action(request, pk, lambda r: actions.assign_handler(request.user, r, form.cleaned_data["handler"]),
                   _("Handläggaren är ändrad."))


@login_required
@require_POST
def request_decide(request, pk: int):
    return _action(request, pk, lambda r: actions.decide_request(request.user, r), _("Begäran är beslutad."))


# Up to this many items are rendered while the handler waits (about a second per 15 items);
# larger requests go to the worker.
SYNC_PRODUCTION_LIMIT = 40


@login_required
@require_POST
def request_expedite(request, pk: int):
    req = _get_request_for_user(request, pk)
    if req.items.count() > SYNC_PRODUCTION_LIMIT:
        return _action(request, pk, lambda r: actions.order_production(request.user, r),
                       _("Handlingarna tas fram i bakgrunden. Ladda om sidan om en stund."))
    return _action(request, pk, lambda r: actions.expedite(request.user, r),
                   _("Beslut och handlingar är framtagna och sparade som utlämnade."))


@login_required
@require_POST
def request_close(request, pk: int):
    form = CloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _action(request, pk, lambda r: actions.close_request(request.user, r, note=note), _("Begäran är avslutad."))


DOWNLOADS = {
    "beslut.pdf": ("letter_pdf", "application/pdf"),
    "handlingar.pdf": ("documents_pdf", "application/pdf"),
    "handlingar.csv": ("documents_csv", "text/csv; charset=utf-8"),
}


@login_required
def delivery_file(request, pk: int, delivery_pk: int, name: str):
    req = _get_request_for_user(request, pk)
    if name not in DOWNLOADS:
        raise Http404
    delivery = get_object_or_404(Delivery, pk=delivery_pk, request=req)
    field, media_type = DOWNLOADS[name]
    response = HttpResponse(bytes(getattr(delivery, field)), content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{slugify(req.reference.replace("/", "-"))}-{name}"'
    return response


# ---------------------------------------------------------------- GDPR


@login_required
def gdpr_overview(request):
    accounts = Account.objects.visible_to(request.user).select_related("authority").order_by("authority__name", "name")
    if not accounts.exists() and not permissions.can_search_log(request.user):
        raise Http404
    return render(request, "utlamnande/gdpr_overview.html", {
        "accounts": accounts, "can_export_subject": permissions.can_export_data_subject(request.user),
        "can_search_log": permissions.can_search_log(request.user),
    })


@login_required
def processing_record(request, pk: int, fmt: str = "html"):
    account = get_object_or_404(Account.objects.select_related("authority__organisation", "unit", "responsible"), pk=pk)
    if not can_view(request.user, account):
        raise Http404
    record = gdpr.record_of_processing(account)
    if fmt == "pdf":
        title = _("Registerförteckning – %(name)s") % {"name": account.name}
        data = render_pdfa("utlamnande/pdf/registerforteckning.html", {"r": record}, title=title,
                           author=account.authority.name, created=record.generated_at)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="registerforteckning-{slugify(account.name)}.pdf"'
        return response
    return render(request, "utlamnande/processing_record.html", {"r": record})


@login_required
@require_http_methods(["GET", "POST"])
def subject_export(request):
    require(permissions.can_export_data_subject(request.user))
    form = SubjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            export = gdpr.export_data_subject(request.user, author_id=form.cleaned_data["author_id"],
                                              author_name=form.cleaned_data["author_name"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            response = HttpResponse(export.data, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
    return render(request, "utlamnande/subject_export.html", {"form": form})


@login_required
def log_search(request):
    require(permissions.can_search_log(request.user))
    form = LogSearchForm(request.GET or None)
    events, searched = [], False
    if request.GET and form.is_valid():
        data = form.cleaned_data
        query = gdpr.LogQuery(actor=data["actor"].strip(), verb=data["verb"].strip(),
                              object_type=data["object_type"].strip(), object_id=data["object_id"].strip(),
                              since=_day(data["since"]), until=_day(data["until"], end=True))
        try:
            events = gdpr.search_log(request.user, query)
            searched = True
        except ValidationError as exc:
            add_validation_errors(form, exc)
    return render(request, "utlamnande/log_search.html", {"form": form, "events": events, "searched": searched,
                                                           "now": timezone.now()})
