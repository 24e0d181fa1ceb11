"""Register of accounts, policy acknowledgement, public list and exports: thin views over actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from insyn.eventlog import log
from insyn.eventlog.models import Event

from . import actions, exports, permissions
from .forms import (
    AccountForm,
    DecisionForm,
    PublishedForm,
    SenderChecklistForm,
    add_validation_errors,
)
from .models import Account, Authority, Platform, Role, Status, User
from .policy import current_policy, current_policy_version


def _get_account_for_user(request, pk: int) -> Account:
    """The account, if this user may see it; 404 otherwise, so other units' ids don't leak."""
    account = get_object_or_404(
        Account.objects.select_related("unit", "authority", "organisation", "responsible", "official_page"),
        pk=pk,
    )
    if not permissions.can_view(request.user, account):
        raise Http404
    return account


@login_required
def home(request):
    accounts = (
        Account.objects.visible_to(request.user).exclude(status=Status.AVSLUTAT)
        .select_related("unit", "authority", "responsible").prefetch_related("administrators")
    )
    flagged = [(a, a.compliance_flags()) for a in accounts]
    from .models import Organisation

    return render(request, "registry/home.html", {
        "crisis_on": Organisation.objects.filter(crisis_mode=True).exists(),
        "flagged": [(a, f) for a, f in flagged if f],
        "account_count": len(flagged),
        "policy": current_policy_version(),
    })


@login_required
def account_list(request):
    accounts = Account.objects.visible_to(request.user).select_related("unit", "authority").prefetch_related(
        Prefetch("administrators", queryset=User.objects.only("id"))
    )
    status, platform = request.GET.get("status", ""), request.GET.get("platform", "")
    authority = request.GET.get("authority", "")
    if status in Status.values:
        accounts = accounts.filter(status=status)
    if platform in Platform.values:
        accounts = accounts.filter(platform=platform)
    if authority.isdigit():
        accounts = accounts.filter(authority_id=int(authority))
    context = {
        "accounts": accounts,
        "statuses": Status.choices,
        "platforms": Platform.choices,
        "authorities": Authority.objects.filter(accounts__in=Account.objects.visible_to(request.user)).distinct(),
        "selected": {"status": status, "platform": platform, "authority": authority},
    }
    template = "registry/_account_rows.html" if request.headers.get("HX-Request") else "registry/account_list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    form = AccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account = actions.register_account(request.user, **form.cleaned_data)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            if account.is_draft:
                messages.warning(request, _("Kontot sparades som utkast: det behöver minst två administratörer (R12)."))
            else:
                messages.success(request, _("Kontot är anmält till förteckningen och kommunkansliet har fått besked."))
            return redirect("account_detail", pk=account.pk)
    unit_id = form["unit"].value()
    confidential = form.fields["unit"].queryset.filter(pk=unit_id, handles_confidential=True).exists() if str(unit_id or "").isdigit() else False
    return render(request, "registry/account_form.html", {"form": form, "confidential_warning": confidential})


@login_required
def account_detail(request, pk: int):
    account = _get_account_for_user(request, pk)
    return render(request, "registry/account_detail.html", {
        "account": account,
        "flags": account.compliance_flags(),
        "decisions": account.decisions.select_related("decided_by", "recorded_by"),
        "administrators": account.administrators.all(),
        "can_edit": permissions.can_edit(request.user, account),
        "can_decide": permissions.can_decide(request.user, account),
        "info_text": actions.info_text(account),
        "policy": current_policy_version(),
        "connection": getattr(account, "connection", None),
        "item_count": account.items.count(),
        "response_rule": current_policy().response_rules.get(account.response_rule, {}).get(
            "description", account.response_rule),
    })


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request, pk: int):
    account = _get_account_for_user(request, pk)
    permissions.require(permissions.can_edit(request.user, account))
    initial = {
        "unit": account.unit, "platform": account.platform, "responsible": account.responsible,
        "administrators": account.administrators.all(), "official_page": account.official_page,
        **{f: getattr(account, f) for f in actions.ACCOUNT_FIELDS},
    }
    form = AccountForm(request.POST or None, user=request.user, initial=initial)
    form.fields["unit"].disabled = True
    form.fields["platform"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("unit"), data.pop("platform")
        admins = data.pop("administrators")
        try:
            actions.update_account(request.user, account, administrators=list(admins), **data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Ändringarna är sparade."))
            return redirect("account_detail", pk=account.pk)
    return render(request, "registry/account_form.html", {"form": form, "account": account})


@login_required
@require_http_methods(["GET", "POST"])
def account_decide(request, pk: int):
    account = _get_account_for_user(request, pk)
    permissions.require(permissions.can_decide(request.user, account))
    form = DecisionForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        to_status = data.pop("to_status")
        try:
            actions.decide(request.user, account, to_status, **data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Beslutet är registrerat: kontot är nu %(status)s.") % {"status": Status(to_status).label.lower()})
            return redirect("account_detail", pk=account.pk)
    return render(request, "registry/account_decide.html", {"form": form, "account": account})


def _simple_action(request, pk: int, form_class, run, success: str):
    account = _get_account_for_user(request, pk)
    permissions.require(permissions.can_edit(request.user, account))
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("Kontrollera uppgifterna: %(errors)s") % {"errors": "; ".join(sum(form.errors.values(), []))})
        return redirect("account_detail", pk=pk)
    try:
        run(account, form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("account_detail", pk=pk)


@login_required
@require_POST
def account_sender_check(request, pk: int):
    return _simple_action(
        request, pk, SenderChecklistForm,
        lambda a, d: actions.confirm_sender_checklist(request.user, a, **d), _("Avsändarkontrollen är sparad."),
    )


@login_required
@require_POST
def account_info_published(request, pk: int):
    return _simple_action(
        request, pk, PublishedForm,
        lambda a, d: actions.mark_info_text_published(request.user, a, **d),
        _("Informationstexten är markerad som publicerad."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_farewell(request, pk: int):
    if request.method == "POST":
        return _simple_action(
            request, pk, PublishedForm,
            lambda a, d: actions.mark_farewell_published(request.user, a, **d),
            _("Avskedsinlägget är markerat som publicerat. Nu kan kontot avslutas."),
        )
    account = _get_account_for_user(request, pk)
    return render(request, "registry/account_farewell.html", {
        "account": account, "text": actions.farewell_text(account), "can_edit": permissions.can_edit(request.user, account),
    })


@login_required
@require_POST
def crisis_mode_view(request):
    """Samordnare turn crisis mode on or off for their organisation."""
    from .models import Organisation

    permissions.require(request.user.is_samordnare)
    on = request.POST.get("on") == "1"
    for organisation in Organisation.objects.all():
        actions.set_crisis_mode(request.user, organisation, on=on)
    messages.success(request, _("Krisläget är på: alla svarstider är skärpta.") if on else _("Krisläget är av."))
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def policy_view(request):
    version = current_policy_version()
    if request.method == "POST":
        actions.acknowledge_policy(request.user)
        messages.success(request, _("Tack! Du har bekräftat riktlinjerna version %(version)s.") % {"version": version.version})
        return redirect(request.POST.get("next") or "home")
    return render(request, "registry/policy.html", {
        "version": version, "policy": current_policy(), "acknowledged": actions.has_acknowledged(request.user),
    })


def public_accounts(request):
    """R2: the public list of active accounts — no login, only what may be published."""
    accounts = Account.objects.active().select_related("unit", "authority").order_by("authority__name", "name")
    policy = current_policy()
    rows = [exports.public_row(a, policy) for a in accounts]
    if request.path.endswith(".json"):
        return JsonResponse({"accounts": rows}, json_dumps_params={"ensure_ascii": False, "indent": 2})
    return render(request, "registry/public_accounts.html", {"rows": rows})


@login_required
def authority_export(request, pk: int, fmt: str):
    """R5: the authority's external sites for its dokumenthanteringsplan, as xlsx or CSV."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    authority = get_object_or_404(Authority, pk=pk)
    accounts = Account.objects.visible_to(request.user).filter(authority=authority)
    if not request.user.is_samordnare and not accounts.exists():
        raise Http404
    accounts = accounts.select_related("unit", "responsible").prefetch_related("administrators")
    if fmt == "csv":
        body, content_type = exports.accounts_csv(accounts), "text/csv; charset=utf-8"
    else:
        body, content_type = exports.accounts_xlsx(accounts, authority), exports.XLSX_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename(authority, fmt)}"'
    return response


@login_required
def eventlog_view(request):
    """The event chain for samordnare and granskare; every read is itself logged (R29)."""
    permissions.require(permissions.can_read_eventlog(request.user))
    kind = request.GET.get("kind", "")[:64]
    events = Event.objects.select_related("actor").order_by("-seq")
    if kind:
        events = events.filter(kind__startswith=kind)
    page = events[:200]
    with transaction.atomic():
        log.append("eventlog.read", actor=request.user, data={"filter": kind, "count": len(page)})
    # Granskare search the whole chain on the log-search page (records' GDPR pages, R29).
    return render(request, "registry/eventlog.html", {
        "events": page, "kind": kind, "can_search_log": request.user.has_role(Role.GRANSKARE)})
