"""Inbox pages: the list of cases, one case with its thread, and the forms that answer,
moderate, forward, draft and move to the diarium. Thin views over ``inbox.actions``.

A case is fetched together with the permission check (``Case.objects.visible_to``): other
units' cases answer 404. Restricted content (moved to the diarium) is shown only to those
``inbox.access`` allows, and each showing is logged.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from insyn.archive.models import Item
from insyn.registry import permissions as registry_permissions
from insyn.registry.forms import add_validation_errors
from insyn.registry.models import Account, Role, Unit, User, _path_filter
from insyn.registry.policy import current_policy

from . import access, actions, permissions, replies
from .forms import (
    AnswerForm,
    AssignForm,
    DiariumForm,
    DraftForm,
    FilterForm,
    ForwardForm,
    ModerateForm,
    SupervisionForm,
    new_key,
)
from .models import OPEN_STATES, TOPICS, Case, CaseState, PlatformAction, Route, Supervision
from .platform import ActionFailed
from .sweeps import supervision_status

PAGE_SIZE = 50
CASE_RELATED = ("item", "item__parent", "account__unit", "account__authority", "account__organisation",
                "assignee", "forwarded_to_unit", "forwarded_by", "draft_by", "triage", "version")


def _get_case(request, pk: int) -> Case:
    """The case, if this user may see it; 404 otherwise, so other units' ids don't leak."""
    return get_object_or_404(Case.objects.visible_to(request.user).select_related(*CASE_RELATED), pk=pk)


def _require_work(request, case: Case) -> None:
    registry_permissions.require(permissions.can_work(request.user, case))


def _content(request, case: Case, *, where: str):
    """(content visible?, restriction) for the case's item; a visible restricted read is logged."""
    restriction = access.restriction_for(case.item)
    if restriction is None:
        return True, None
    allowed = access.can_read_restricted(request.user, restriction)
    if allowed:
        access.record_read(request.user, restriction, where=where)
    return allowed, restriction


def _assignable(user: User):
    people = User.objects.filter(is_active=True, memberships__role__in=[Role.KOMMUNIKATOR, Role.CHEF, Role.SAMORDNARE])
    if not user.is_samordnare:
        people = people.filter(_path_filter(user.unit_paths(), "memberships__unit__path"))
    return people.distinct().order_by("last_name", "first_name")


# ---------------------------------------------------------------- the list


def _filtered(request, form: FilterForm):
    user = request.user
    cases = Case.objects.visible_to(user)
    f = form.cleaned_data if form.is_valid() else {}
    status = f.get("status") or "oppna"
    if status == "oppna":
        cases = cases.filter(state__in=OPEN_STATES)
    elif status in CaseState.values:
        cases = cases.filter(state=status)
    if f.get("konto"):
        cases = cases.filter(account=f["konto"])
    if f.get("enhet"):
        cases = cases.filter(account__unit__path__startswith=f["enhet"].path)
    if f.get("amne"):
        cases = cases.filter(topic=f["amne"])
    if f.get("etikett"):
        cases = cases.filter(labels__contains=f" {f['etikett']} ")
    if f.get("ansvarig") == "mig":
        cases = cases.filter(assignee=user)
    elif f.get("ansvarig") == "ingen":
        cases = cases.filter(assignee__isnull=True)
    return cases


def _label_list(case: Case) -> list[tuple[str, bool]]:
    """(text, alert?) per label, computed once here rather than by a template per row."""
    out = [(_("Behöver svar"), False)] if case.needs_answer else []
    if case.is_message:
        out.append((_("Direktmeddelande"), False))
    out += [(f"{_('Moderering')}: {label}", True) for _key, label in case.moderation_labels]
    out += [(f"{_('Känsligt')}: {label}", True) for _key, label in case.sensitive_labels]
    if case.wrong_authority:
        out.append((f"{_('Fel myndighet')}: {case.wrong_authority}", False))
    if case.topic:
        out.append((f"{_('Ämne')}: {case.topic_label}", False))
    return out


@login_required
def inbox_view(request):
    user = request.user
    accounts = Account.objects.visible_to(user).order_by("name")
    units = Unit.objects.visible_to(user).select_related("authority")
    form = FilterForm(request.GET or None, accounts=accounts, units=units)
    # Two steps: the page's ids in deadline order (an index-only walk over the cases), then
    # those rows with their items. Sorting the joined rows instead costs ten times as much.
    ids = _filtered(request, form).order_by("due_at", "pk").values_list("pk", flat=True)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("sida"))
    page_ids = list(page.object_list)
    by_id = (Case.objects.select_related("item", "item__parent", "item__restriction", "account", "assignee")
             .in_bulk(page_ids))
    now = timezone.now()
    rows = [by_id[pk] for pk in page_ids if pk in by_id]
    # Everything translated or formatted per row is done here once per distinct value: a
    # template tag per row and label costs more than the queries (benchmarks/bench_inbox.py).
    kinds, states = {k: str(v) for k, v in Item.Kind.choices}, {k: str(v) for k, v in CaseState.choices}
    weekdays, months = [str(WEEKDAYS_ABBR[i]) for i in range(7)], {i: str(MONTHS_3[i]) for i in range(1, 13)}
    labels_cache: dict[tuple, list] = {}
    for case in rows:
        case.id_s = str(case.pk)  # an int would be localised (number_format) a dozen times per row
        case.restricted = hasattr(case.item, "restriction")
        case.overdue = case.is_open and case.due_at <= now
        key = (case.needs_answer, case.is_message, tuple(case.moderation), tuple(case.sensitive),
               case.wrong_authority, case.topic)
        if key not in labels_cache:
            labels_cache[key] = _label_list(case)
        case.label_list = labels_cache[key]
        case.kind_label, case.state_label = kinds.get(case.item.kind, case.item.kind), states.get(case.state, case.state)
        due = timezone.localtime(case.due_at)
        case.due_label = f"{weekdays[due.weekday()]} {due.day} {months[due.month]} {due:%H:%M}"
    context = {"page": page, "cases": rows, "now": now, "count": page.paginator.count, "base": reverse("inbox")}
    if request.headers.get("HX-Request"):
        return render(request, "inbox/_rows.html", context)
    due_reviews = [r for r in supervision_status(accounts, now=now) if r["is_due"]]
    context.update({
        "form": form, "people": _assignable(user), "due_reviews": due_reviews,
        "can_edit_routes": permissions.can_edit_routes(user),
    })
    return render(request, "inbox/inbox.html", context)


@login_required
@require_POST
def bulk_view(request):
    ids = [int(i) for i in request.POST.getlist("case") if i.isdigit()]
    cases = list(Case.objects.visible_to(request.user).filter(pk__in=ids).select_related("account__unit", "item"))
    back = request.POST.get("next") or ""
    target = back if back.startswith("/inkorg/") else "inbox"
    if not cases:
        messages.error(request, _("Välj minst ett ärende."))
        return redirect(target)
    op = request.POST.get("op")
    if op == "assign":
        assignee = _assignable(request.user).filter(pk=request.POST.get("assignee") or 0).first()
        if assignee is None:
            messages.error(request, _("Välj vem som ska ansvara för ärendena."))
            return redirect(target)
        done, errors = actions.bulk_assign(request.user, cases, assignee)
        if done:
            messages.success(request, _("%(n)d ärenden tilldelades %(name)s.") % {"n": done, "name": assignee})
    elif op == "no_action":
        done, errors = actions.bulk_no_action(request.user, cases)
        if done:
            messages.success(request, _("%(n)d ärenden markerades: ingen åtgärd behövs.") % {"n": done})
    else:
        messages.error(request, _("Okänd åtgärd."))
        return redirect(target)
    for error in errors[:20]:
        messages.error(request, error)
    return redirect(target)


# ---------------------------------------------------------------- one case


def _thread(case: Case, allowed: bool) -> list[dict]:
    """The item's thread as on the platform (root, then replies depth-first), with restricted
    items' content left out."""
    item = case.item
    root_pid = item.thread_platform_id or item.platform_id
    members = list(Item.objects.filter(account_id=item.account_id, thread_platform_id=root_pid)
                   .order_by("created_at", "id")[:300])
    root = next((m for m in members if m.platform_id == root_pid), None) or \
        Item.objects.filter(account_id=item.account_id, platform_id=root_pid).first()
    if root is not None and root not in members:
        members.insert(0, root)
    if item not in members:
        members.append(item)
    restricted = access.restricted_ids(m.pk for m in members)
    children: dict[str, list[Item]] = {}
    for m in members:
        children.setdefault(m.parent_platform_id or "", []).append(m)
    ordered: list[tuple[Item, int]] = []
    seen: set[int] = set()

    def walk(node: Item, depth: int) -> None:
        if node.pk in seen:
            return
        seen.add(node.pk)
        ordered.append((node, depth))
        for child in children.get(node.platform_id, []):
            walk(child, min(depth + 1, 3))

    if root is not None:
        walk(root, 0)
    ordered += [(m, 1) for m in members if m.pk not in seen]
    return [{"item": m, "depth": d, "current": m.pk == item.pk,
             "hidden": m.pk in restricted and not (allowed and m.pk == item.pk)} for m, d in ordered]


@login_required
def case_view(request, pk: int):
    case = _get_case(request, pk)
    allowed, restriction = _content(request, case, where="inbox_case")
    user = request.user
    policy = current_policy()
    can_work = permissions.can_work(user, case)
    context = {
        "case": case, "item": case.item, "allowed": allowed, "restriction": restriction,
        "thread": _thread(case, allowed), "triage": case.triage if allowed else None,
        "events": case.events.select_related("actor"),
        "failed_actions": case.actions.filter(status__in=[PlatformAction.Status.FAILED, PlatformAction.Status.UNCLEAR]),
        "can_work": can_work, "can_draft": permissions.can_draft(user, case),
        "draft_form": DraftForm(initial={"text": case.draft_text}),
        "assign_form": AssignForm(people=_assignable(user), initial={"assignee": case.assignee_id}) if can_work else None,
        "authority_contact": policy.authorities.get(case.wrong_authority, {}).get("contact", ""),
        "now": timezone.now(),
    }
    return render(request, "inbox/case.html", context)


def _done_redirect(request, case: Case, message: str):
    messages.success(request, message)
    return redirect("inbox")


@login_required
@require_http_methods(["GET", "POST"])
def answer_view(request, pk: int):
    case = _get_case(request, pk)
    _require_work(request, case)
    policy = current_policy()
    failure = None
    source = request.POST if request.method == "POST" else request.GET
    authority = source.get("authority") or case.wrong_authority
    if request.method == "POST":
        form = AnswerForm(request.POST, policy=policy)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = actions.answer_case(
                    request.user, case, data["text"], key=data["key"], confirm=data["confirm"],
                    wrong_authority=data["authority"] if data["template"] == "fel_myndighet" else "")
            except ValidationError as exc:
                add_validation_errors(form, exc)
            except ActionFailed as exc:
                failure = exc
            else:
                if outcome.already_done:
                    return _done_redirect(request, case, _("Svaret var redan publicerat; inget skickades igen."))
                return _done_redirect(request, case, _("Svaret är publicerat och ärendet är besvarat."))
    else:
        template = request.GET.get("mall") or request.GET.get("template", "")
        if not template and not case.draft_text and "hamta" not in request.GET:
            template = "fel_myndighet" if case.wrong_authority else ""
        text = request.GET.get("text", "")
        if template in policy.templates and (not text or "hamta" in request.GET):
            text = replies.render(policy, template, case, authority=authority)
        elif not text:
            text = case.draft_text
        form = AnswerForm(policy=policy, initial={
            "template": template, "authority": authority, "text": text, "key": request.GET.get("key") or new_key()})
    allowed, _restriction = _content(request, case, where="inbox_answer")
    return render(request, "inbox/answer.html", {
        "case": case, "form": form, "failure": failure, "allowed": allowed,
        "templates": [(k, t.title, replies.render(policy, k, case, authority=authority)) for k, t in policy.templates.items()],
    })


@login_required
@require_http_methods(["GET", "POST"])
def moderate_view(request, pk: int):
    case = _get_case(request, pk)
    _require_work(request, case)
    policy = current_policy()
    failure = None
    if request.method == "POST":
        form = ModerateForm(request.POST, policy=policy)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = actions.moderate_case(
                    request.user, case, how=data["how"], legal_basis=data["legal_basis"], reason=data["reason"],
                    key=data["key"], notify_text=data["notify_text"] if data["notify"] else "")
            except ValidationError as exc:
                add_validation_errors(form, exc)
            except ActionFailed as exc:
                failure = exc
            else:
                for warning in outcome.warnings:
                    messages.warning(request, warning)
                done = _("Inlägget är dolt.") if data["how"] == "hide" else _("Inlägget är borttaget från plattformen.")
                return _done_redirect(request, case, done + " " + _("Kopian finns kvar i arkivet."))
    else:
        form = ModerateForm(policy=policy, initial={
            "how": "hide", "key": new_key(),
            "notify_text": replies.render(policy, "borttaget", case)})
    allowed, _restriction = _content(request, case, where="inbox_moderate")
    # Triage's labels are a suggestion; the person chooses the ground themselves.
    suggested = [policy.legal_bases[m]["label"] for m in case.moderation if m in policy.legal_bases]
    return render(request, "inbox/moderate.html", {"case": case, "form": form, "failure": failure, "allowed": allowed,
                                                   "suggested": suggested})


@login_required
@require_http_methods(["GET", "POST"])
def forward_view(request, pk: int):
    case = _get_case(request, pk)
    _require_work(request, case)
    organisation = case.account.organisation
    if request.method == "POST":
        form = ForwardForm(request.POST, organisation=organisation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.forward_case(request.user, case, unit=data["unit"], handler=data["handler"],
                                     note=data["note"], topic=data["topic"])
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                return _done_redirect(request, case, _("Frågan är vidarebefordrad till %(unit)s.") % {"unit": data["unit"]})
    else:
        route = actions.route_for(case)
        form = ForwardForm(organisation=organisation, initial={
            "unit": route.unit_id if route else None, "handler": route.handler_id if route and route.handler_id else None,
            "topic": case.topic or "ovrigt"})
    allowed, _restriction = _content(request, case, where="inbox_forward")
    return render(request, "inbox/forward.html", {"case": case, "form": form, "allowed": allowed,
                                                  "route": actions.route_for(case)})


@login_required
@require_POST
def draft_view(request, pk: int):
    case = _get_case(request, pk)
    registry_permissions.require(permissions.can_draft(request.user, case))
    form = DraftForm(request.POST)
    if form.is_valid():
        try:
            actions.save_draft(request.user, case, form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Utkastet är sparat och kommunikatören har fått besked."))
    else:
        messages.error(request, _("Skriv ett utkast."))
    return redirect("inbox_case", pk=case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def diarium_view(request, pk: int):
    case = _get_case(request, pk)
    _require_work(request, case)
    policy = current_policy()
    failure = None
    is_message = case.item.kind == Item.Kind.MESSAGE
    if request.method == "POST":
        form = DiariumForm(request.POST, policy=policy, is_message=is_message)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = actions.move_to_diarium(
                    request.user, case, removal=data["removal"], subject=data["subject"], key=data["key"],
                    sekretess=data["sekretess"], osl_reference=data["osl_reference"], legal_basis=data["legal_basis"],
                    handler=data["handler"], answer_text=data["answer_text"] if data["send_answer"] else "")
            except ValidationError as exc:
                add_validation_errors(form, exc)
            except ActionFailed as exc:
                failure = exc
            else:
                for warning in outcome.warnings:
                    messages.warning(request, warning)
                return _done_redirect(request, case, _("Inlägget är registrerat i diariet med dnr %(dnr)s.")
                                      % {"dnr": outcome.diarienummer})
    else:
        handler = case.assignee if case.assignee and case.assignee.has_role(Role.HANDLAGGARE) else None
        form = DiariumForm(policy=policy, is_message=is_message, initial={
            "subject": _("Meddelande via %(account)s") % {"account": case.account.name}, "key": new_key(),
            "handler": handler.pk if handler else None,
            "answer_text": replies.render(policy, "eget_arende", case)})
    allowed, _restriction = _content(request, case, where="inbox_diarium")
    return render(request, "inbox/diarium.html", {"case": case, "form": form, "failure": failure, "allowed": allowed})


@login_required
@require_POST
def no_action_view(request, pk: int):
    case = _get_case(request, pk)
    _require_work(request, case)
    try:
        actions.close_no_action(request.user, case, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("inbox_case", pk=pk)
    return _done_redirect(request, case, _("Ärendet är avslutat: ingen åtgärd behövs."))


@login_required
@require_POST
def assign_view(request, pk: int):
    case = _get_case(request, pk)
    _require_work(request, case)
    form = AssignForm(request.POST, people=_assignable(request.user))
    if not form.is_valid():
        messages.error(request, _("Välj vem som ska ansvara för ärendet."))
        return redirect("inbox_case", pk=pk)
    try:
        actions.assign_case(request.user, case, form.cleaned_data["assignee"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s ansvarar nu för ärendet.") % {"name": form.cleaned_data["assignee"]})
    return redirect("inbox_case", pk=pk)


@login_required
@require_POST
def retry_view(request, pk: int, action_pk: int):
    case = _get_case(request, pk)
    _require_work(request, case)
    action = get_object_or_404(PlatformAction, pk=action_pk, case=case)
    try:
        outcome = actions.retry_action(request.user, action)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ActionFailed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Redan publicerat; inget skickades igen.") if outcome.already_done
                         else _("Publicerat."))
    return redirect("inbox_case", pk=pk)


# ---------------------------------------------------------------- routing table (R18)


@login_required
@require_http_methods(["GET", "POST"])
def routes_view(request):
    registry_permissions.require(permissions.can_edit_routes(request.user))
    organisation = actions._organisation_of(request.user)
    units = Unit.objects.filter(authority__organisation=organisation).select_related("authority")
    handlers = User.objects.filter(is_active=True, memberships__role=Role.HANDLAGGARE).distinct().order_by("last_name")
    routes = {r.topic: r for r in Route.objects.filter(organisation=organisation).select_related("unit", "handler")}
    errors: list[str] = []
    if request.method == "POST":
        units_by_id, handlers_by_id = {u.pk: u for u in units}, {h.pk: h for h in handlers}
        changed = 0
        for topic, label in TOPICS.items():
            unit_id, handler_id = request.POST.get(f"unit_{topic}", ""), request.POST.get(f"handler_{topic}", "")
            unit = units_by_id.get(int(unit_id)) if unit_id.isdigit() else None
            handler = handlers_by_id.get(int(handler_id)) if handler_id.isdigit() else None
            current = routes.get(topic)
            if (current.unit_id if current else None) == (unit.pk if unit else None) and \
                    (current.handler_id if current else None) == (handler.pk if handler else None):
                continue
            try:
                actions.set_route(request.user, topic=topic, unit=unit, handler=handler)
                changed += 1
            except ValidationError as exc:
                errors.append(f"{label}: {' '.join(exc.messages)}")
        if not errors:
            messages.success(request, _("Routningen är sparad (%(n)d ändringar).") % {"n": changed})
            return redirect("inbox_routes")
        routes = {r.topic: r for r in Route.objects.filter(organisation=organisation).select_related("unit", "handler")}
    rows = [{"topic": t, "label": label, "route": routes.get(t)} for t, label in TOPICS.items()]
    return render(request, "inbox/routes.html", {"rows": rows, "units": units, "handlers": handlers, "errors": errors})


# ---------------------------------------------------------------- weekly supervision (R31)


@login_required
def supervision_list_view(request):
    accounts = Account.objects.visible_to(request.user).order_by("name")
    return render(request, "inbox/supervision_list.html", {
        "rows": supervision_status(accounts), "interval": current_policy().supervision_interval_days,
        "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def supervise_view(request, pk: int):
    account = get_object_or_404(Account.objects.visible_to(request.user).select_related("unit"), pk=pk)
    registry_permissions.require(registry_permissions.can_edit(request.user, account))
    last = Supervision.objects.filter(account=account).select_related("reviewer").first()
    now = timezone.now()
    if request.method == "POST":
        form = SupervisionForm(request.POST)
        if form.is_valid():
            try:
                actions.record_supervision(request.user, account, items_from=form.cleaned_data["items_from"],
                                           items_to=form.cleaned_data["items_to"], note=form.cleaned_data["note"])
            except ValidationError as exc:
                add_validation_errors(form, exc)
            else:
                messages.success(request, _("Tillsynen av %(account)s är registrerad.") % {"account": account.name})
                return redirect("inbox_supervision")
        start = form.cleaned_data.get("items_from") if hasattr(form, "cleaned_data") else None
        end = form.cleaned_data.get("items_to") if hasattr(form, "cleaned_data") else None
    else:
        first = (Item.objects.filter(account=account, direction=Item.Direction.INKOMMEN)
                 .order_by("inkommen_at").values_list("inkommen_at", flat=True).first())
        start = last.items_to if last else min(filter(None, [account.created_at, first]))
        end = now
        form = SupervisionForm(initial={"items_from": timezone.localtime(start), "items_to": timezone.localtime(end)})
    items = []
    if start and end:
        items = list(Item.objects.filter(account=account, direction=Item.Direction.INKOMMEN,
                                         inkommen_at__gte=start, inkommen_at__lte=end)
                     .select_related("case").order_by("inkommen_at", "id")[:500])
        restricted = access.restricted_ids(i.pk for i in items)
        for item in items:
            item.restricted = item.pk in restricted
    return render(request, "inbox/supervise.html", {
        "account": account, "form": form, "last": last, "items": items,
        "history": Supervision.objects.filter(account=account).select_related("reviewer")[:20]})

