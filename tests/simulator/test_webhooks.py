"""Page webhooks: payload shapes, signatures over the raw bytes, retries, the handshake."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from insyn.simulator import WebhookConfig

from .conftest import Env, Receiver

SECRET = "hemlig-app-secret"


def configure(env: Env, receiver: Receiver, **options) -> None:
    env.sim.configure_webhook(
        WebhookConfig(receiver.url, SECRET, receiver.verify_token, retry_base=0.0, **options)
    )


def verified(request: dict) -> dict:
    body = request["body"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request["headers"]["x-hub-signature-256"], expected)
    legacy = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert request["headers"]["x-hub-signature"] == legacy
    return json.loads(body)


def changes(receiver: Receiver) -> list[dict]:
    out = []
    for request in receiver.requests:
        payload = verified(request)
        assert payload["object"] == "page"
        for entry in payload["entry"]:
            assert isinstance(entry["time"], int)
            out.extend(
                c["value"] | {"_page": entry["id"], "_field": c["field"]}
                for c in entry.get("changes", [])
            )
    return out


def test_comment_lifecycle_payloads(env: Env, receiver: Receiver) -> None:
    configure(env, receiver)
    post = env.sim.act("post", page_id=env.page_id, message="Vattenavstängning på Storgatan")
    comment = env.sim.act(
        "comment",
        object_id=post["id"],
        from_name="Örjan Öberg",
        message="Gäller det även Sjövägen? 😡",
    )
    reply = env.sim.act("comment", object_id=comment["id"], from_name="Åsa Åström", message="Ja")
    env.sim.act("edit_comment", comment_id=comment["id"], message="Gäller det även Sjövägen?")
    env.sim.act("hide_comment", comment_id=comment["id"], hidden=True)
    env.sim.act("hide_comment", comment_id=comment["id"], hidden=False)
    env.sim.act("delete_comment", comment_id=comment["id"])
    deliveries = env.sim.deliver_webhooks()
    assert all(d.delivered_at for d in deliveries)

    values = changes(receiver)
    assert [(v["item"], v["verb"]) for v in values] == [
        ("status", "add"),
        ("comment", "add"),
        ("comment", "add"),
        ("comment", "edited"),
        ("comment", "hide"),
        ("comment", "unhide"),
        ("comment", "remove"),
    ]
    assert all(v["_field"] == "feed" and v["_page"] == env.page_id for v in values)
    added = values[1]
    assert added["comment_id"] == comment["id"]
    assert added["post_id"] == post["id"] and added["parent_id"] == post["id"]
    assert added["from"] == {"id": comment["from_id"], "name": "Örjan Öberg"}
    assert added["message"] == "Gäller det även Sjövägen? 😡"
    assert isinstance(added["created_time"], int)
    assert added["post"]["id"] == post["id"]
    assert values[2]["comment_id"] == reply["id"] and values[2]["parent_id"] == comment["id"]
    assert values[3]["message"] == "Gäller det även Sjövägen?"
    assert "message" not in values[6]


def test_visitor_posts_and_photo_comments(env: Env, receiver: Receiver, http) -> None:
    configure(env, receiver)
    world = env.sim.world
    visitor = world.create_user("Gunnel Dahl")
    post = world.create_post(env.page_id, "Varför plogas inte Granvägen?", from_id=visitor.id)
    src = "https://scontent.example/hal.jpg"
    photo = {
        "type": "photo",
        "url": src,
        "media": {"image": {"src": src, "width": 960, "height": 720}},
    }
    comment = world.add_comment(post.id, visitor.id, "", attachment=photo)
    env.sim.deliver_webhooks()
    values = changes(receiver)
    assert (values[0]["item"], values[0]["from"]["id"]) == ("post", visitor.id)
    assert values[1]["photo"] == src
    got = env.gget(http, comment.id, fields="message,attachment{type,media}").json()
    assert got["message"] == "" and got["attachment"] == {"type": "photo", "media": photo["media"]}


def test_body_escapes_unicode_and_slashes_and_signature_is_over_raw_bytes(
    env: Env, receiver: Receiver
) -> None:
    configure(env, receiver)
    post = env.sim.act("post", page_id=env.page_id, message="Snö på väg/gata")
    env.sim.deliver_webhooks()
    body = receiver.requests[0]["body"]
    assert b"\\u00f6" in body and b"\\/" in body and "ö".encode() not in body
    payload = verified(receiver.requests[0])
    assert payload["entry"][0]["changes"][0]["value"]["post_id"] == post["id"]
    reserialised = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    wrong = "sha256=" + hmac.new(SECRET.encode(), reserialised, hashlib.sha256).hexdigest()
    assert wrong != receiver.requests[0]["headers"]["x-hub-signature-256"]


def test_messages_and_echoes(env: Env, receiver: Receiver, http) -> None:
    configure(env, receiver)
    sent = env.sim.act(
        "message",
        page_id=env.page_id,
        user_name="Leila Ali",
        text="Mitt personnummer är 19850312-1234",
    )
    env.sim.world.pages[env.page_id].subscribed_fields.append("message_echoes")
    http.post(
        f"{env.graph}/me/messages",
        params={"access_token": env.page_token},
        json={"recipient": {"id": sent["user_id"]}, "message": {"text": "Ring oss istället"}},
    )
    env.sim.deliver_webhooks()
    entries = [e for r in receiver.requests for e in verified(r)["entry"]]
    assert len(entries) == 2
    first = entries[0]["messaging"][0]
    assert first["sender"] == {"id": sent["user_id"]} and first["recipient"] == {"id": env.page_id}
    assert first["message"] == {"mid": sent["id"], "text": "Mitt personnummer är 19850312-1234"}
    assert isinstance(first["timestamp"], int) and first["timestamp"] > 10**12
    assert entries[0]["time"] > 10**12
    echo = entries[1]["messaging"][0]
    assert echo["message"]["is_echo"] is True and echo["sender"] == {"id": env.page_id}


def test_api_writes_are_announced_too(env: Env, receiver: Receiver, http) -> None:
    configure(env, receiver)
    post = env.sim.act("post", page_id=env.page_id, message="Inlägg")
    comment = env.sim.act("comment", object_id=post["id"], message="Hej")
    http.post(
        f"{env.graph}/{comment['id']}/comments",
        data={"message": "Svar", "access_token": env.page_token},
    )
    http.post(
        f"{env.graph}/{comment['id']}", data={"is_hidden": "true", "access_token": env.page_token}
    )
    env.sim.deliver_webhooks()
    verbs = [(v["item"], v["verb"], v["from"]["id"]) for v in changes(receiver)]
    assert ("comment", "add", env.page_id) in verbs
    assert verbs[-1][:2] == ("comment", "hide")


def test_failed_deliveries_are_retried(env: Env, receiver: Receiver) -> None:
    configure(env, receiver, max_attempts=3)
    receiver.statuses = [500, 503]
    env.sim.act("post", page_id=env.page_id, message="Försök igen")
    first = env.sim.deliver_webhooks()
    assert first[0].status == 500 and first[0].delivered_at is None
    env.sim.deliver_webhooks(wait_for_retries=True)
    final = env.sim.deliver_webhooks(wait_for_retries=True)
    assert final[0].attempts == 3 and final[0].status == 200 and final[0].delivered_at
    assert len(receiver.requests) == 3
    assert receiver.requests[0]["body"] == receiver.requests[2]["body"]


def test_gives_up_after_max_attempts(env: Env, receiver: Receiver) -> None:
    configure(env, receiver, max_attempts=2)
    receiver.statuses = [500, 500, 500]
    env.sim.act("post", page_id=env.page_id, message="x")
    env.sim.deliver_webhooks()
    last = env.sim.deliver_webhooks(wait_for_retries=True)
    assert last[0].gave_up and env.sim.webhooks.pending_count() == 0


def test_batches_are_per_page_and_kind(env: Env, receiver: Receiver) -> None:
    configure(env, receiver, batch_size=2)
    post = env.sim.act("post", page_id=env.page_id, message="a")
    for text in ("1", "2", "3"):
        env.sim.act("comment", object_id=post["id"], message=text)
    env.sim.deliver_webhooks()
    sizes = [len(json.loads(r["body"])["entry"]) for r in receiver.requests]
    assert sizes == [2, 2]


def test_verification_handshake(env: Env, receiver: Receiver) -> None:
    configure(env, receiver)
    result = env.sim.verify_webhook()
    assert result["ok"] is True and result["body"] == result["challenge"]
    env.sim.configure_webhook(WebhookConfig(receiver.url, SECRET, "fel-token"))
    result = env.sim.verify_webhook()
    assert result["ok"] is False and result["status"] == 403


def test_background_delivery(receiver: Receiver) -> None:
    from insyn.simulator import VirtualClock, start_in_thread

    handle = start_in_thread(
        seed=5,
        clock=VirtualClock(),
        tick_seconds=0.05,
        webhook=WebhookConfig(receiver.url, SECRET, retry_base=0.0),
    )
    try:
        handle.simulator.seed_default_world(history_days=0)
        import time

        deadline = time.time() + 10
        while time.time() < deadline and not receiver.requests:
            time.sleep(0.05)
        assert receiver.requests
        verified(receiver.requests[0])
    finally:
        handle.stop()


def test_control_api_webhooks(env: Env, receiver: Receiver, http) -> None:
    r = http.put(
        f"{env.handle.control_url}/webhooks",
        json={"url": receiver.url, "app_secret": SECRET, "verify_token": receiver.verify_token},
    )
    assert r.json()["config"]["app_secret"] == "***"
    assert http.post(f"{env.handle.control_url}/webhooks/verify").json()["ok"] is True
    env.sim.act("post", page_id=env.page_id, message="via kontroll-API")
    flushed = http.post(f"{env.handle.control_url}/webhooks/flush").json()["deliveries"]
    assert flushed[0]["status"] == 200
    log = http.get(f"{env.handle.control_url}/webhooks").json()
    assert log["pending"] == 0 and log["deliveries"][0]["body"].startswith('{"object":"page"')
    httpx.get(receiver.url)  # the receiver still answers after all that
