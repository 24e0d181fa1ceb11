"""The imports page: every import run with its status, per account (samordnare and granskare)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from insyn.capture.imports import IMPORT_KINDS, reader_class
from insyn.capture.models import ImportRun
from insyn.registry import permissions
from insyn.registry.models import Account


@login_required
def import_list_view(request):
    # Error messages may quote a record's content: the same people who see the quarantine.
    permissions.require(request.user.is_samordnare or request.user.has_role("granskare"))
    runs = (ImportRun.objects.filter(account__in=Account.objects.visible_to(request.user))
            .select_related("account", "actor").order_by("account__name", "-started_at")[:500])
    labels = {kind: reader_class(kind).label for kind in IMPORT_KINDS}
    for run in runs:
        run.kind_label = labels.get(run.kind, run.kind)
    return render(request, "capture/imports.html", {"runs": runs})
