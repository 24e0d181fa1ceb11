"""The arkivarie's e-archive pages: list deliveries, order a build, read the validation report,
download a package that passed. Thin views over ``actions`` and ``permissions``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from insyn.registry.forms import add_validation_errors
from insyn.registry.permissions import require

from . import actions, permissions
from .forms import DeliveryForm
from .models import Delivery
from .tasks import build_delivery_task


def _deliveries_for(user):
    accounts = permissions.deliverable_accounts(user)
    return Delivery.objects.filter(account__in=accounts).select_related("account__authority", "requested_by")


def _get_delivery_for_user(request, pk: int) -> Delivery:
    delivery = get_object_or_404(Delivery.objects.select_related("account__unit", "account__authority", "requested_by"),
                                 pk=pk)
    if not permissions.can_deliver(request.user, delivery.account):
        raise Http404
    return delivery


@login_required
@require_GET
def delivery_list(request):
    require(permissions.is_any_arkivarie(request.user))
    return render(request, "earchive/list.html", {"deliveries": _deliveries_for(request.user)[:200]})


@login_required
@require_http_methods(["GET", "POST"])
def delivery_create(request):
    require(permissions.is_any_arkivarie(request.user))
    form = DeliveryForm(request.POST or None, accounts=permissions.deliverable_accounts(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                delivery = actions.request_delivery(request.user, account=data["account"],
                                                    period_from=data["period_from"], period_to=data["period_to"],
                                                    fmt=data["format"])
                transaction.on_commit(lambda: build_delivery_task.enqueue(delivery.pk))
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Leveransen är beställd. Paketet byggs och valideras i bakgrunden."))
            return redirect("earchive:detail", pk=delivery.pk)
    return render(request, "earchive/create.html", {"form": form})


@login_required
@require_GET
def delivery_detail(request, pk: int):
    delivery = _get_delivery_for_user(request, pk)
    return render(request, "earchive/detail.html", {"delivery": delivery, "report": delivery.report or {}})


@login_required
@require_GET
def delivery_download(request, pk: int):
    delivery = _get_delivery_for_user(request, pk)
    if not delivery.offered:
        raise Http404
    path = actions.package_path(delivery)
    if not path.is_file() or path.stat().st_size != delivery.size:
        raise Http404
    actions.log_download(request.user, delivery)
    return FileResponse(path.open("rb"), as_attachment=True, filename=delivery.filename, content_type="application/zip")
