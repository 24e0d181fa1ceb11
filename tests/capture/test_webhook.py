"""POST /webhooks/facebook: signed requests are stored before they are acknowledged; anything
else is refused and kept nowhere."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.test import Client

from insyn.archive.models import Item, RawCapture
from insyn.capture.actions import process_pending
from insyn.eventlog import log
from insyn.eventlog.models import Event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "facebook"
SECRET = "test-app-secret"


@pytest.fixture
def page_account(world, make_account, settings):
    settings.FACEBOOK_APP_SECRET = SECRET
    settings.FACEBOOK_VERIFY_TOKEN = "verify-me"
    body = json.loads((FIXTURES / "webhook_comment_add.json").read_text())
    return make_account(status="aktivt", external_id=str(body["entry"][0]["id"]))


def _signed(body: bytes, secret: str = SECRET) -> dict:
    return {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def test_verification_handshake(page_account):
    ok = Client().get("/webhooks/facebook", {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.content == b"1158201444"
    bad = Client().get("/webhooks/facebook", {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "x"})
    assert bad.status_code == 403


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_HUB_SIGNATURE_256": "sha256=00"}, "wrong-secret"])
def test_unsigned_or_wrongly_signed_is_403_and_kept_nowhere(page_account, headers):
    body = (FIXTURES / "webhook_comment_add.json").read_bytes()
    events = Event.objects.count()
    if headers == "wrong-secret":
        headers = _signed(body, "another-secret")
    response = Client().post("/webhooks/facebook", body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert RawCapture.objects.count() == 0 and Event.objects.count() == events


def test_signed_event_is_stored_chained_and_archived(page_account, django_capture_on_commit_callbacks):
    body = (FIXTURES / "webhook_comment_add.json").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/webhooks/facebook", body, content_type="application/json", **_signed(body))
    assert response.status_code == 200
    raw = RawCapture.objects.get()
    assert bytes(raw.body) == body and raw.account == page_account and raw.source == "webhook"
    assert Event.objects.get(seq=raw.event_seq).data["sha256"] == raw.sha256
    process_pending()
    raw.refresh_from_db()
    assert raw.status == "processed"
    comment = Item.objects.get()
    assert comment.kind in ("comment", "reply") and comment.direction == "inkommen" and comment.text
    # The same delivery again (Meta retries) changes nothing in the archive.
    Client().post("/webhooks/facebook", body, content_type="application/json", **_signed(body))
    process_pending()
    assert Item.objects.count() == 1 and comment.versions.count() == 1
    assert log.verify().ok


def test_signed_event_for_an_unknown_page_is_quarantined(page_account):
    body = json.dumps({"object": "page", "entry": [{"id": "999", "time": 1, "changes": []}]}).encode()
    response = Client().post("/webhooks/facebook", body, content_type="application/json", **_signed(body))
    assert response.status_code == 200
    raw = RawCapture.objects.get()
    assert raw.status == "quarantined" and "999" in raw.error


def test_malformed_payload_is_quarantined_and_the_worker_goes_on(page_account):
    body = b'{"object": "page", "entry": [{"id": "%s", "changes": "not a list"}]}' % page_account.external_id.encode()
    Client().post("/webhooks/facebook", body, content_type="application/json", **_signed(body))
    good = (FIXTURES / "webhook_comment_add.json").read_bytes()
    Client().post("/webhooks/facebook", good, content_type="application/json", **_signed(good))
    assert process_pending() == 2
    statuses = dict(RawCapture.objects.values_list("sha256", "status"))
    assert sorted(statuses.values()) == ["processed", "quarantined"]
    assert Item.objects.count() == 1


def test_quarantine_page_shows_the_reason_to_the_samordnare(page_account, world):
    from tests.conftest import login

    body = json.dumps({"object": "page", "entry": [{"id": "999", "time": 1, "changes": []}]}).encode()
    Client().post("/webhooks/facebook", body, content_type="application/json", **_signed(body))
    page = login(Client(), world.samordnare).get("/arkiv/karantan/").content.decode()
    assert "999" in page
    assert login(Client(), world.kom_a).get("/arkiv/karantan/").status_code == 403
