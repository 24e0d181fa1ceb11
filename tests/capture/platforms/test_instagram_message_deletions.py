"""An unsent direct message (Messenger or Instagram) is a state change on a kept record:
the received message is an allmän handling (docs/message-deletions.md)."""

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

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SECRET = "deletion-test-secret"


def _post(path: str, body: bytes):
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(path, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature)


def _unsend(platform_object: str, account_id: str, sender: str, mid: str) -> bytes:
    return json.dumps({"object": platform_object, "entry": [{"id": account_id, "time": 1740827200456, "messaging": [
        {"sender": {"id": sender}, "recipient": {"id": account_id}, "timestamp": 1740827200000,
         "message": {"mid": mid, "is_deleted": True}}]}]}).encode()


@pytest.mark.parametrize("platform,path,fixture", [
    ("facebook_page", "/webhooks/facebook", "facebook/webhook_messaging.json"),
    ("instagram", "/webhooks/instagram", "instagram/webhook_messaging.json"),
])
def test_an_unsent_message_keeps_its_text_and_gains_a_state_change(world, make_account, settings, platform, path,
                                                                   fixture):
    settings.FACEBOOK_APP_SECRET = SECRET
    body = (FIXTURES / fixture).read_bytes()
    entry = json.loads(body)["entry"][0]
    incoming = entry["messaging"][0]
    account = make_account(status="aktivt", platform=platform, external_id=str(entry["id"]),
                           handle="exempelkommun", url=f"https://www.{platform.split('_')[0]}.com/exempelkommun")
    assert _post(path, body).status_code == 200
    process_pending()
    mid = incoming["message"]["mid"]
    item = Item.objects.get(account=account, platform_id=mid)
    text = incoming["message"]["text"]
    assert item.text == text and item.record_type == "direct_message" and item.state == "visible"

    notice = _unsend(json.loads(body)["object"], str(entry["id"]), incoming["sender"]["id"], mid)
    assert _post(path, notice).status_code == 200
    process_pending()
    item.refresh_from_db()
    assert item.state == "deleted_on_platform" and item.text == text
    assert item.versions.count() == 1
    change = item.state_changes.get()
    assert change.state == "deleted_on_platform" and bytes(change.raw.body) == notice
    assert RawCapture.objects.filter(account=account, status="processed").count() == 2
    assert log.verify().ok


def test_a_notice_for_a_message_never_received_changes_nothing(world, make_account, settings):
    settings.FACEBOOK_APP_SECRET = SECRET
    account = make_account(status="aktivt", platform="instagram", external_id="17841400000000001",
                           handle="exempelkommun", url="https://www.instagram.com/exempelkommun")
    body = (FIXTURES / "instagram/webhook_message_deleted.json").read_bytes()
    assert _post("/webhooks/instagram", body).status_code == 200
    process_pending()
    assert not Item.objects.filter(account=account).exists()
    assert RawCapture.objects.get(account=account).status == "processed"  # the notice is kept
