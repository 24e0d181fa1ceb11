"""The Instagram stand-in on the simulated Graph, over real HTTP: node and edge shapes,
defaults, cursors, errors, writes, rate limits, signed webhooks, the Swedish scenario and
persistence."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest

from insyn.simulator import Simulator, VirtualClock, WebhookConfig, start_in_thread
from insyn.simulator.store import World


class IgEnv:
    def __init__(self, handle, info: dict) -> None:
        self.handle = handle
        self.sim: Simulator = handle.simulator
        self.ig = info["instagram_account"]["ig_user_id"]
        self.token = info["instagram_account"]["token"]
        self.graph = f"{handle.graph_url}/v23.0"

    def get(self, http: httpx.Client, path: str, **params) -> httpx.Response:
        params.setdefault("access_token", self.token)
        return http.get(f"{self.graph}/{path}", params=params)

    def post(self, http: httpx.Client, path: str, **params) -> httpx.Response:
        params.setdefault("access_token", self.token)
        return http.post(f"{self.graph}/{path}", params=params)


@pytest.fixture
def ig() -> Iterator[IgEnv]:
    handle = start_in_thread(seed=11, clock=VirtualClock())
    info = handle.simulator.seed_default_world(history_days=3, instagram_username="norrvikskommun")
    handle.simulator.tick(40)
    try:
        yield IgEnv(handle, info)
    finally:
        handle.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def _live_comment(env: IgEnv, *, top_level: bool = True, hidden: bool = False):
    world = env.sim.world
    for comment in sorted(world.ig_comments.values(), key=lambda c: c.seq):
        if comment.from_id == env.ig or comment.hidden != hidden or (comment.parent_id is None) != top_level:
            continue
        try:
            world.live_ig_comment(comment.id)
        except Exception:  # noqa: BLE001 - gone
            continue
        return comment
    raise AssertionError("no such comment in the scenario")


def test_user_node_and_defaults(ig, http) -> None:
    assert ig.get(http, ig.ig).json() == {"id": ig.ig}
    user = ig.get(http, ig.ig, fields="id,username,name,followers_count,media_count").json()
    assert user["username"] == "norrvikskommun" and user["media_count"] >= 3


def test_media_edge_newest_first_with_cursor_paging(ig, http) -> None:
    fields = "id,caption,media_type,media_product_type,media_url,permalink,timestamp,username,comments_count"
    first = ig.get(http, f"{ig.ig}/media", fields=fields, limit=2).json()
    assert len(first["data"]) == 2 and set(first["paging"]["cursors"]) == {"before", "after"}
    media = first["data"][0]
    assert set(media) >= {"id", "media_type", "permalink", "timestamp", "username", "comments_count"}
    assert media["timestamp"].endswith("+0000") and media["permalink"].startswith("https://www.instagram.com/")
    seen, url = [m["id"] for m in first["data"]], first["paging"]["next"]
    while url:
        page = http.get(url).json()
        seen += [m["id"] for m in page["data"]]
        url = page.get("paging", {}).get("next")
    live = sorted((m for m in ig.sim.world.media_of(ig.ig) if m.deleted_at is None),
                  key=lambda m: (-m.timestamp, -m.seq))
    assert seen == [m.id for m in live]


def test_comments_edge_defaults_hidden_and_nested_replies(ig, http) -> None:
    world = ig.sim.world
    parent = next(c for c in world.ig_comments.values()
                  if c.parent_id is None and c.deleted_at is None and world.ig_replies_of(c.id))
    default = ig.get(http, f"{parent.media_id}/comments").json()
    assert set(default["data"][0]) == {"timestamp", "text", "id"}
    ig.sim.act("ig_hide_comment", comment_id=parent.id)
    page = ig.get(http, f"{parent.media_id}/comments", limit=100,
                  fields="id,text,username,hidden,from{id,username},replies.limit(1){id,text,parent_id}").json()
    found = next(c for c in page["data"] if c["id"] == parent.id)
    assert found["hidden"] is True  # still listed to the owner
    assert found["replies"]["data"][0]["parent_id"] == parent.id
    assert all("parent_id" not in c for c in page["data"])  # top-level only
    replies = ig.get(http, f"{parent.id}/replies", fields="id,parent_id").json()["data"]
    assert {r["parent_id"] for r in replies} == {parent.id}


def test_deleted_objects_and_other_pages_tokens_get_error_100_33(ig, http) -> None:
    comment = _live_comment(ig)
    ig.sim.act("ig_delete_comment", comment_id=comment.id)
    gone = ig.get(http, comment.id, fields="id,text")
    assert gone.status_code == 400
    assert (gone.json()["error"]["code"], gone.json()["error"]["error_subcode"]) == (100, 33)
    other = ig.sim.create_page("Grannkommun")
    stranger = ig.get(http, f"{ig.ig}/media", access_token=other.token)
    assert stranger.json()["error"]["error_subcode"] == 33


def test_unknown_fields_are_graph_errors(ig, http) -> None:
    media = ig.sim.world.media_of(ig.ig)[0]
    answer = ig.get(http, media.id, fields="id,text").json()
    assert answer["error"]["code"] == 100 and "IGMedia" in answer["error"]["message"]


def test_writes_reply_hide_delete_and_their_limits(ig, http) -> None:
    comment = _live_comment(ig)
    created = ig.post(http, f"{comment.id}/replies", message="Hej! Vi svarar i morgon.").json()
    reply = ig.sim.world.ig_comments[created["id"]]
    assert reply.parent_id == comment.id and reply.from_id == ig.ig
    refused = ig.post(http, f"{reply.id}/replies", message="Svar på svar")
    assert refused.status_code == 400 and "top-level" in refused.json()["error"]["message"]
    assert ig.post(http, f"{comment.media_id}/replies", message="x").json()["error"]["code"] == 2500
    own_hide = ig.post(http, reply.id, hide="true")
    assert own_hide.json()["error"]["code"] == 100
    assert ig.post(http, comment.id, hide="true").json() == {"success": True}
    assert ig.post(http, f"{comment.id}/replies", message="x").json()["error"]["code"] == 100  # hidden
    assert ig.post(http, comment.id, hide="false").json() == {"success": True}
    assert http.delete(f"{ig.graph}/{comment.id}", params={"access_token": ig.token}).json() == {"success": True}
    # The reply went with its comment.
    assert ig.get(http, reply.id, fields="id").json()["error"]["error_subcode"] == 33
    media = ig.sim.world.media_of(ig.ig)[0]
    assert ig.post(http, media.id, comment_enabled="false").json() == {"success": True}
    assert ig.post(http, f"{media.id}/comments", message="Hej").status_code == 400


def test_the_meter_answers_instagrams_rate_limit_code(ig, http) -> None:
    ig.sim.graph_meter.limit = 2
    answers = [ig.get(http, ig.ig) for _ in range(3)]
    error = answers[-1].json()["error"]
    assert answers[-1].status_code == 400 and error["code"] == 80002 and error["is_transient"] is True
    buc = json.loads(answers[-1].headers["X-Business-Use-Case-Usage"])
    assert next(iter(buc.values()))[0]["call_count"] == 100


def test_faults_and_token_states_reach_instagram_calls(ig, http) -> None:
    ig.sim.add_fault("auth_error", platform="graph", subcode=463, count=1, path="/media")
    answer = ig.get(http, f"{ig.ig}/media").json()["error"]
    assert (answer["code"], answer["error_subcode"]) == (190, 463)
    ig.sim.set_token_state(ig.token, "revoked")
    assert ig.get(http, ig.ig).json()["error"]["error_subcode"] == 458


def test_webhooks_are_signed_instagram_objects(ig, receiver) -> None:
    secret = "hemligt"
    ig.sim.configure_webhook(WebhookConfig(receiver.url, secret, retry_base=0.0,
                                           instagram_url=receiver.url.replace("facebook", "instagram")))
    media = ig.sim.world.media_of(ig.ig)[0]
    added = ig.sim.act("ig_comment", object_id=media.id, username="maja.k", text="När öppnar badhuset?")
    parent_reply = ig.sim.act("ig_comment", object_id=added["id"], username="per.s", text="Kl. 9 tror jag")
    sent = ig.sim.act("ig_message", ig_user_id=ig.ig, username="karin.b", text="Hej, en fråga om bygglov")
    ig.sim.act("ig_unsend", mid=sent["id"])
    ig.sim.act("ig_delete_comment", comment_id=added["id"])  # Instagram says nothing about this
    ig.sim.deliver_webhooks()
    bodies = []
    for request in receiver.requests:
        body = request["body"]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert request["headers"]["x-hub-signature-256"] == expected
        bodies.append(json.loads(body))
    assert all(b["object"] == "instagram" for b in bodies)
    changes = [c for b in bodies for e in b["entry"] for c in e.get("changes", [])]
    assert [c["field"] for c in changes] == ["comments", "comments"]
    assert changes[0]["value"] == {"from": {"id": added["from_id"], "username": "maja.k"},
                                   "media": {"id": media.id, "media_product_type": media.media_product_type},
                                   "id": added["id"], "text": "När öppnar badhuset?"}
    assert changes[1]["value"]["parent_id"] == added["id"] and changes[1]["value"]["id"] == parent_reply["id"]
    messages = [m["message"] for b in bodies for e in b["entry"] for m in e.get("messaging", [])]
    assert messages == [{"mid": sent["id"], "text": "Hej, en fråga om bygglov"},
                        {"mid": sent["id"], "is_deleted": True}]
    messaging_entry = next(e for b in bodies for e in b["entry"] if "messaging" in e)
    assert messaging_entry["time"] > 10**12  # milliseconds for messaging


def test_scenario_is_swedish_deterministic_and_survives_a_restart(tmp_path) -> None:
    def run() -> dict:
        sim = Simulator(seed=4, clock=VirtualClock())
        sim.seed_default_world(history_days=2, instagram_username="alvbykommun")
        sim.tick(60)
        return sim.world.to_json()

    first, second = run(), run()
    assert first["ig_comments"] == second["ig_comments"] and first["ig_messages"] == second["ig_messages"]
    texts = " ".join(c["text"] for c in first["ig_comments"])
    assert any(word in texts for word in (" och ", " att ", " inte ", " kommunen"))
    assert first["ig_messages"] and first["ig_media"]
    world = World.from_json(json.loads(json.dumps(first)))
    assert world.to_json()["ig_comments"] == first["ig_comments"]
    owner = world.ig_business_accounts()[0]
    assert world.ig_comments_of(world.media_of(owner.id)[0].id)  # indexes rebuilt


def test_no_instagram_account_unless_asked_for() -> None:
    sim = Simulator(seed=4, clock=VirtualClock())
    sim.seed_default_world(history_days=1)
    sim.tick(10)
    assert not sim.world.ig_accounts and sim.world.counts()["ig_media"] == 0
