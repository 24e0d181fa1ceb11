"""Login, logout and TOTP two-factor for samordnare."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from insyn.eventlog import log

from .forms import OTPForm


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


@login_required
def two_factor(request):
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setup = device is None
    if setup:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="Insyn", confirmed=False
        )
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", _("För många felaktiga försök. Vänta en stund och försök igen."))
        elif device.verify_token(form.cleaned_data["token"].strip()):
            with transaction.atomic():
                if setup:
                    device.confirmed = True
                    device.save(update_fields=["confirmed"])
                    log.append("auth.totp_enrolled", actor=user, obj=device)
                log.append("auth.totp_verified", actor=user)
            otp_login(request, device)
            messages.success(request, _("Tvåfaktorsinloggningen är klar."))
            return redirect(_safe_next(request))
        form.add_error("token", _("Koden stämmer inte. Kontrollera klockan i telefonen och försök igen."))
    context = {"form": form, "setup": setup, "next": _safe_next(request)}
    if setup:
        context["qr"] = _qr_svg(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode("ascii")
    return render(request, "registration/two_factor.html", context)
