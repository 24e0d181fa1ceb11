"""Webhook endpoints. A request is stored as received (and chained) before it is answered
200; one that fails its signature check is answered 403 and kept nowhere."""

from __future__ import annotations

import hmac
import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from insyn.archive.models import RawCapture
from insyn.registry import actions as registry_actions
from insyn.registry import permissions
from insyn.registry.models import Account, Platform

from . import actions as capture_actions
from .actions import kept_headers, record_raw
from .platforms import PLATFORMS

# Meta's webhook `object` → (the platform a raw capture is filed under, the account platforms
# whose external id an entry's `id` names). Instagram entries name the Instagram user id.
META_OBJECTS = {
    "page": (Platform.FACEBOOK_PAGE, [Platform.FACEBOOK_PAGE, Platform.FACEBOOK_GROUP]),
    "instagram": (Platform.INSTAGRAM, [Platform.INSTAGRAM]),
}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def facebook_webhook(request):
    """Meta's webhooks, for Pages (``object: page``) and Instagram (``object: instagram``):
    the same app secret signs both, and the body says which it is."""
    if request.method == "GET":
        token = request.GET.get("hub.verify_token", "")
        if (request.GET.get("hub.mode") == "subscribe" and settings.FACEBOOK_VERIFY_TOKEN
                and hmac.compare_digest(token, settings.FACEBOOK_VERIFY_TOKEN)):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("verify token mismatch")

    from .platforms.facebook import verify_signature

    body = request.body
    secret = settings.FACEBOOK_APP_SECRET
    if not secret or not verify_signature(body, request.headers.get("X-Hub-Signature-256"), secret):
        return HttpResponseForbidden("invalid signature")
    headers = kept_headers(request.headers)
    page_ids = _page_ids(body)
    platform, account_platforms = META_OBJECTS.get(_meta_object(body), META_OBJECTS["page"])
    accounts = {a.external_id: a for a in Account.objects.filter(
        platform__in=account_platforms, external_id__in=page_ids)} if page_ids else {}
    with transaction.atomic():
        if not accounts:
            # Signed by Meta but for no account of ours (or unreadable): kept for the samordnare.
            reason = f"no registered account for page ids {sorted(page_ids)}" if page_ids else "unreadable webhook body"
            record_raw(account=None, platform=platform, source=RawCapture.Source.WEBHOOK, body=body,
                       url=request.path, headers=headers, context={"source": "webhook"},
                       status=RawCapture.Status.QUARANTINED, error=reason)
        for page_id, account in sorted(accounts.items()):
            record_raw(account=account, platform=platform, source=RawCapture.Source.WEBHOOK, body=body,
                       url=request.path, headers=headers, context={"source": "webhook", "page_id": page_id})
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


def _meta_object(body: bytes) -> str:
    try:
        value = json.loads(body).get("object")
    except (ValueError, AttributeError, TypeError):
        return ""
    return value if isinstance(value, str) else ""


def _page_ids(body: bytes) -> set[str]:
    try:
        data = json.loads(body)
        return {str(entry["id"]) for entry in data.get("entry", []) if isinstance(entry, dict) and "id" in entry}
    except (ValueError, AttributeError, TypeError):
        return set()


# ---------------------------------------------------------------- connecting an account (UI)
# What the connect form asks for on each platform: (label, help) of the platform's id, the
# secret and the API address. The secret's form is the platform module's (docs/platforms/).
CONNECT_FIELDS: dict[str, dict[str, tuple]] = {
    "facebook_page": {
        "external_id": (gettext_lazy("Sidans id (Page ID)"),
                        gettext_lazy("Facebooksidans numeriska id.")),
        "token": (gettext_lazy("Sidans åtkomstnyckel"),
                  gettext_lazy("En åtkomstnyckel för sidan (Page access token) från Meta.")),
        "base_url": (gettext_lazy("API-adress (valfritt)"),
                     gettext_lazy("Lämna tomt för Meta Graph API.")),
    },
    "instagram": {
        "external_id": (gettext_lazy("Instagramkontots id (ig-user-id)"),
                        gettext_lazy("Det numeriska id:t för Instagramkontot (företags- eller kreatörskonto "
                                     "kopplat till en Facebooksida), inte @namnet.")),
        "token": (gettext_lazy("Den kopplade Facebooksidans åtkomstnyckel"),
                  gettext_lazy("Sidans åtkomstnyckel med behörigheterna instagram_basic, instagram_manage_comments, "
                               "instagram_manage_messages och pages_read_engagement.")),
        "base_url": (gettext_lazy("API-adress (valfritt)"),
                     gettext_lazy("Lämna tomt för Meta Graph API.")),
    },
    "mastodon": {
        "external_id": (gettext_lazy("Kontots id på servern"),
                        gettext_lazy("Det numeriska id:t, t.ex. från /api/v1/accounts/lookup?acct=namn.")),
        "token": (gettext_lazy("Åtkomstnyckel"),
                  gettext_lazy("Från Inställningar → Utveckling → Ny applikation, med läs- och skrivbehörighet.")),
        "base_url": (gettext_lazy("Serverns adress (valfritt)"),
                     gettext_lazy("Lämna tomt: servern i kontots @namn@server.")),
    },
    "youtube": {
        "external_id": (gettext_lazy("Kanalens id (UC…)"),
                        gettext_lazy("Kanalens id börjar med UC och har 24 tecken (YouTube Studio → Inställningar → "
                                     "Kanal → Avancerade inställningar).")),
        "token": (gettext_lazy("Googles inloggningsuppgifter (JSON)"),
                  gettext_lazy("Googles ”authorized user”-JSON med client_id, client_secret och refresh_token, så "
                               "att Insyn kan förnya sin åtkomst. En åtkomstnyckel räcker bara en timme.")),
        "base_url": (gettext_lazy("API-adress (valfritt)"),
                     gettext_lazy("Lämna tomt för YouTube Data API.")),
    },
    "bluesky": {
        "external_id": (gettext_lazy("Kontots DID (did:plc:…)"),
                        gettext_lazy("Kontots bestående id: ett byte av handle kan då inte leda Insyn till ett annat "
                                     "konto.")),
        "token": (gettext_lazy("Applösenord"),
                  gettext_lazy("Ett applösenord från Inställningar → Integritet och säkerhet → Applösenord, aldrig "
                               "kontots eget lösenord.")),
        "base_url": (gettext_lazy("Kontots server (PDS, valfritt)"),
                     gettext_lazy("Lämna tomt för konton hos Bluesky (https://bsky.social).")),
    },
    "blog": {
        "external_id": (gettext_lazy("WordPress-användarens id (valfritt)"),
                        gettext_lazy("Id för användaren som applösenordet hör till. Lämna tomt för ett flöde.")),
        "token": (gettext_lazy("Applösenord eller -"),
                  gettext_lazy("användarnamn:applösenord (WordPress → Användare → Profil → Applösenord) för att "
                               "läsa och moderera över REST-API:t, eller - för att bara läsa flödet.")),
        "base_url": (gettext_lazy("REST-API eller flöde (valfritt)"),
                     gettext_lazy("https://bloggen/wp-json för WordPress REST-API, eller flödets adress (RSS eller "
                                  "Atom, bara läsning). Tomt: bloggens adress + /feed/.")),
    },
}
OPTIONAL_EXTERNAL_ID = {"blog"}  # a feed has no account id (docs/platforms/blog.md)


def connect_fields(platform: str) -> dict[str, tuple]:
    generic = {"external_id": (gettext_lazy("Plattformens id för kontot"), ""),
               "token": (gettext_lazy("Åtkomstnyckel"), ""),
               "base_url": (gettext_lazy("API-adress (valfritt)"), "")}
    return CONNECT_FIELDS.get(platform, generic)


class ConnectForm(forms.Form):
    external_id = forms.CharField(label=gettext_lazy("Plattformens id för kontot"), max_length=200, required=False)
    token = forms.CharField(label=gettext_lazy("Åtkomstnyckel"), widget=forms.PasswordInput(render_value=False),
                            max_length=4000)
    base_url = forms.URLField(label=gettext_lazy("API-adress (valfritt)"), required=False, assume_scheme="https")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _editable_account(request, pk: int) -> Account:
    account = get_object_or_404(Account.objects.select_related("unit", "organisation"), pk=pk)
    if not permissions.can_view(request.user, account):
        raise Http404
    permissions.require(permissions.can_edit(request.user, account))
    return account


@login_required
@require_POST
def connect_view(request, pk: int):
    account = _editable_account(request, pk)
    if account.platform not in PLATFORMS:
        messages.error(request, _("Insamling från %(platform)s finns inte ännu.") % {"platform": account.get_platform_display()})
        return redirect("account_detail", pk=pk)
    form = ConnectForm(request.POST)
    if form.is_valid() and not form.cleaned_data["external_id"] and account.platform not in OPTIONAL_EXTERNAL_ID:
        label = connect_fields(account.platform)["external_id"][0]
        form.add_error("external_id", _("Ange plattformens id för kontot (%(field)s).") % {"field": label})
    if not form.is_valid():
        messages.error(request, _("Kontrollera uppgifterna: %(errors)s") % {"errors": "; ".join(sum(form.errors.values(), []))})
        return redirect("account_detail", pk=pk)
    try:
        with transaction.atomic():
            if form.cleaned_data["external_id"] != account.external_id:
                registry_actions.update_account(request.user, account, external_id=form.cleaned_data["external_id"])
                account.refresh_from_db()
            capture_actions.connect_account(account, token=form.cleaned_data["token"],
                                            base_url=form.cleaned_data["base_url"], actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Kontot är anslutet. Insamlingen börjar inom en minut."))
    return redirect("account_detail", pk=pk)


@login_required
@require_POST
def poll_now_view(request, pk: int):
    account = _editable_account(request, pk)
    connection = getattr(account, "connection", None)
    if connection is None:
        raise Http404
    from .models import Connection
    from .tasks import poll_connection

    with transaction.atomic():
        Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.ACTIVE, consecutive_failures=0)
    poll_connection.enqueue(connection.pk, False)
    messages.success(request, _("Hämtningen är beställd och körs av bakgrundsarbetaren."))
    return redirect("account_detail", pk=pk)