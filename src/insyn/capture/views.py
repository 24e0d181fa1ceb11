"""Webhook endpoints. A request is stored as received (and chained) before it is answered
200; one that fails its signature check is answered 403 and kept nowhere."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from insyn.archive.models import RawCapture
from insyn.registry.models import Account, Platform

from .actions import kept_headers, record_raw


@csrf_exempt
@require_http_methods(["GET", "POST"])
def facebook_webhook(request):
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
    accounts = {a.external_id: a for a in Account.objects.filter(
        platform__in=[Platform.FACEBOOK_PAGE, Platform.FACEBOOK_GROUP], external_id__in=page_ids)} if page_ids else {}
    with transaction.atomic():
        if not accounts:
            # Signed by Meta but for no account of ours (or unreadable): kept for the samordnare.
            reason = "no registered account for page ids %s" % sorted(page_ids) if page_ids else "unreadable webhook body"
            record_raw(account=None, platform=Platform.FACEBOOK_PAGE, source=RawCapture.Source.WEBHOOK, body=body,
                       url=request.path, headers=headers, context={"source": "webhook"},
                       status=RawCapture.Status.QUARANTINED, error=reason)
        for page_id, account in sorted(accounts.items()):
            record_raw(account=account, platform=Platform.FACEBOOK_PAGE, source=RawCapture.Source.WEBHOOK, body=body,
                       url=request.path, headers=headers, context={"source": "webhook", "page_id": page_id})
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


def _page_ids(body: bytes) -> set[str]:
    try:
        data = json.loads(body)
        return {str(entry["id"]) for entry in data.get("entry", []) if isinstance(entry, dict) and "id" in entry}
    except (ValueError, AttributeError, TypeError):
        return set()
