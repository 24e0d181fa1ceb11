"""Two-factor enforcement for samordnare (TOTP through django-otp), and the one answer to an
action refused because the guidelines in force are not acknowledged (R8)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .actions import PolicyNotAcknowledged

_ALLOWED_PREFIXES = ("/konto/", "/static/", "/konton", "/i18n/", "/webhooks/", "/healthz")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.REQUIRE_TWO_FACTOR
            and user.is_authenticated
            and user.is_samordnare
            and not user.is_verified()
            and not request.path.startswith(_ALLOWED_PREFIXES)
        ):
            return redirect(f"{reverse('two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)


class PolicyAcknowledgementMiddleware:
    """Any action may refuse a person who has not acknowledged the guidelines in force; every
    view answers it the same way: the reason as a message, and the page where they read and
    acknowledge them. (Views catch their own ValidationErrors; this one is not theirs.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PolicyNotAcknowledged):
            messages.error(request, str(exception))
            return redirect("policy")
        return None
