"""Snapshot pages: thin views over actions and permissions. An account the user may not see
answers 404; one they see but whose snapshots they do not work with, 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from insyn.registry.forms import add_validation_errors
from insyn.registry.models import Account
from insyn.registry.permissions import can_view, require

from . import actions, permissions, schedule
from .forms import StartForm, SummaryForm
from .models import Snapshot


def _account(request, pk: int) -> Account:
    account = get_object_or_404(Account.objects.select_related("unit", "authority", "organisation"), pk=pk)
    if not can_view(request.user, account):
        raise Http404
    require(permissions.can_work_with(request.user, account))
    return account


def _snapshot(request, pk: int) -> Snapshot:
    snapshot = get_object_or_404(Snapshot.objects.select_related(
        "account__unit", "account__authority", "created_by", "saved_by", "summary_edited_by"), pk=pk)
    if not can_view(request.user, snapshot.account):
        raise Http404
    require(permissions.can_work_with(request.user, snapshot.account))
    return snapshot


@login_required
def overview(request):
    accounts = permissions.accounts_for(request.user).order_by("authority__name", "name")
    return render(request, "snapshots/overview.html", {
        "rows": schedule.status_rows(accounts), "interval": schedule.interval_months()})


@login_required
def account_snapshots(request, account_pk: int):
    account = _account(request, account_pk)
    row = schedule.status_rows(Account.objects.filter(pk=account.pk))[0]
    return render(request, "snapshots/account.html", {
        "account": account, "row": row, "snapshots": account.snapshots.select_related("saved_by"),
        "form": StartForm(), "interval": schedule.interval_months()})


@login_required
@require_POST
def take_now(request, account_pk: int):
    account = _account(request, account_pk)
    form = StartForm(request.POST)
    if form.is_valid():
        start, end = form.period()
        try:
            snapshot = actions.start_snapshot(request.user, account, trigger=Snapshot.Trigger.MANUAL,
                                              period_start=start, period_end=end)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Ögonblicksbilden tas fram. Sidan visar när den är klar att granska."))
            return redirect("snapshots:detail", snapshot.pk)
    row = schedule.status_rows(Account.objects.filter(pk=account.pk))[0]
    return render(request, "snapshots/account.html", {
        "account": account, "row": row, "snapshots": account.snapshots.select_related("saved_by"),
        "form": form, "interval": schedule.interval_months()}, status=400)


def _detail(request, snapshot: Snapshot, form: SummaryForm | None = None, status: int = 200):
    files = []
    for kind, label in (("screenshot", _("Skärmbild (PNG)")), ("pdf", _("Arkivkopia (PDF/A)")),
                        ("warc", _("Webbarkiv (WARC)"))):
        files.append({"kind": kind, "label": label, "sha256": getattr(snapshot, f"{kind}_sha256"),
                      "size": getattr(snapshot, f"{kind}_size")})
    if form is None and not snapshot.is_saved:
        form = SummaryForm(initial={"summary_text": snapshot.summary_text})
    return render(request, "snapshots/detail.html", {
        "snapshot": snapshot, "account": snapshot.account, "files": files, "form": form,
        "data": snapshot.summary_data or {}, "ready": snapshot.generation == Snapshot.Generation.DONE,
    }, status=status)


@login_required
def detail(request, pk: int):
    return _detail(request, _snapshot(request, pk))


@login_required
@require_POST
def edit_summary(request, pk: int):
    snapshot = _snapshot(request, pk)
    if snapshot.is_saved:
        messages.error(request, _("Ögonblicksbilden är sparad och kan inte ändras."))
        return redirect("snapshots:detail", snapshot.pk)
    form = SummaryForm(request.POST)
    if form.is_valid():
        try:
            actions.edit_summary(request.user, snapshot, form.cleaned_data["summary_text"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Sammanfattningen är ändrad. Den blir slutlig när du sparar ögonblicksbilden."))
            return redirect("snapshots:detail", snapshot.pk)
    snapshot.refresh_from_db()
    return _detail(request, snapshot, form, status=400)


@login_required
@require_POST
def save(request, pk: int):
    snapshot = _snapshot(request, pk)
    try:
        actions.save_snapshot(request.user, snapshot)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Ögonblicksbilden är sparad och kan inte längre ändras."))
    return redirect("snapshots:detail", snapshot.pk)


@login_required
@require_POST
def regenerate(request, pk: int):
    snapshot = _snapshot(request, pk)
    try:
        actions.regenerate(request.user, snapshot)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Ögonblicksbilden tas fram igen."))
    return redirect("snapshots:detail", snapshot.pk)


@login_required
def download(request, pk: int, kind: str):
    if kind not in actions.FILES:
        raise Http404
    snapshot = _snapshot(request, pk)
    path = actions.file_path(snapshot, kind)
    if path is None or not path.exists():
        raise Http404
    actions.record_file_read(request.user, snapshot, kind)
    name, content_type = actions.FILES[kind]
    filename = f"ogonblicksbild-{snapshot.account_id}-{snapshot.pk}-{name}"
    response = FileResponse(open(path, "rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
