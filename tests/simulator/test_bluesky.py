"""The Bluesky stand-in over HTTP: sessions, XRPC errors, cursors, threads, threadgates,
repository writes, rate limits, faults, the scenario and persistence."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from insyn.simulator import Simulator, SimulatorHandle, VirtualClock, start_in_thread
from insyn.simulator.bluesky.ids import split_uri, tid_time

BSKY_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


@dataclass
class Bsky:
    handle: SimulatorHandle
    did: str
    account_handle: str
    password: str
    http: httpx.Client

    @property
    def sim(self) -> Simulator:
        return self.handle.simulator

    def url(self, nsid: str) -> str:
        return f"{self.handle.bluesky_url}/xrpc/{nsid}"

    def session(self, password: str | None = None) -> dict:
        r = self.http.post(
            self.url("com.atproto.server.createSession"),
            json={"identifier": self.account_handle, "password": password or self.password},
        )
        assert r.status_code == 200, r.text
        return r.json()

    def get(self, nsid: str, token: str | None = None, **params) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.get(self.url(nsid), params=params, headers=headers)

    def post(self, nsid: str, token: str, body: dict) -> httpx.Response:
        return self.http.post(
            self.url(nsid), json=body, headers={"Authorization": f"Bearer {token}"}
        )


@pytest.fixture
def bsky() -> Iterator[Bsky]:
    handle = start_in_thread(seed=5, clock=VirtualClock(), port=0, mastodon_port=0)
    info = handle.simulator.seed_default_world(history_days=2, bluesky_handle="norrvik.bsky.social")
    handle.simulator.tick(40)
    account = info["bluesky_account"]
    with httpx.Client(timeout=10) as http:
        yield Bsky(handle, account["did"], account["handle"], account["app_password"], http)
    handle.stop()


def walk(b: Bsky, nsid: str, key: str, token: str, **params) -> tuple[list[dict], int]:
    items, pages, cursor = [], 0, None
    while True:
        r = b.get(nsid, token, **params, **({"cursor": cursor} if cursor else {}))
        assert r.status_code == 200, r.text
        pages += 1
        page = r.json()
        items.extend(page[key])
        cursor = page.get("cursor")
        if not cursor or not page[key]:
            return items, pages


# --- sessions ------------------------------------------------------------------------------


def test_create_session_gives_jwts_and_a_did_document(bsky: Bsky) -> None:
    s = bsky.session()
    assert s["did"] == bsky.did and s["handle"] == "norrvik.bsky.social" and s["active"] is True
    assert s["accessJwt"].count(".") == 2 and s["refreshJwt"].count(".") == 2
    pds = s["didDoc"]["service"][0]
    assert pds["id"] == "#atproto_pds" and pds["serviceEndpoint"] == bsky.handle.bluesky_url
    got = bsky.get("com.atproto.server.getSession", s["accessJwt"]).json()
    assert got["did"] == bsky.did


def test_wrong_password_and_missing_auth_are_xrpc_errors(bsky: Bsky) -> None:
    r = bsky.http.post(
        bsky.url("com.atproto.server.createSession"),
        json={"identifier": bsky.account_handle, "password": "fel-fel-fel-fel"},
    )
    assert (r.status_code, r.json()) == (
        401,
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
    )
    r = bsky.get("app.bsky.notification.listNotifications")
    assert (r.status_code, r.json()["error"]) == (401, "AuthMissing")
    r = bsky.get("app.bsky.notification.listNotifications", "not-a-jwt")
    assert (r.status_code, r.json()["error"]) == (400, "InvalidToken")


def test_expired_access_token_then_refresh_rotates_the_refresh_token(bsky: Bsky) -> None:
    s = bsky.session()
    assert bsky.sim.bluesky.expire_sessions(bsky.did) >= 1
    r = bsky.get("com.atproto.server.getSession", s["accessJwt"])
    assert (r.status_code, r.json()) == (
        400,
        {"error": "ExpiredToken", "message": "Token has expired"},
    )
    # The access token in place of a refresh token is refused.
    wrong = bsky.http.post(
        bsky.url("com.atproto.server.refreshSession"),
        headers={"Authorization": f"Bearer {s['accessJwt']}"},
    )
    assert wrong.json()["error"] == "InvalidToken"
    fresh = bsky.http.post(
        bsky.url("com.atproto.server.refreshSession"),
        headers={"Authorization": f"Bearer {s['refreshJwt']}"},
    )
    assert fresh.status_code == 200 and fresh.json()["accessJwt"] != s["accessJwt"]
    assert bsky.get("com.atproto.server.getSession", fresh.json()["accessJwt"]).status_code == 200
    again = bsky.http.post(
        bsky.url("com.atproto.server.refreshSession"),
        headers={"Authorization": f"Bearer {s['refreshJwt']}"},
    )
    assert again.status_code == 400 and again.json()["error"] == "ExpiredToken"


def test_access_tokens_run_out_after_two_hours_of_virtual_time(bsky: Bsky) -> None:
    s = bsky.session()
    bsky.sim.world.clock.advance(2 * 3600 + 1)
    assert (
        bsky.get("com.atproto.server.getSession", s["accessJwt"]).json()["error"] == "ExpiredToken"
    )


def test_a_revoked_app_password_ends_sign_in_and_refresh(bsky: Bsky) -> None:
    s = bsky.session()
    bsky.sim.set_token_state(bsky.password, "revoked")
    r = bsky.http.post(
        bsky.url("com.atproto.server.refreshSession"),
        headers={"Authorization": f"Bearer {s['refreshJwt']}"},
    )
    assert r.status_code == 400
    r = bsky.http.post(
        bsky.url("com.atproto.server.createSession"),
        json={"identifier": bsky.account_handle, "password": bsky.password},
    )
    assert r.status_code == 401


# --- reading -------------------------------------------------------------------------------


def test_author_feed_pages_by_cursor_newest_first_without_gaps(bsky: Bsky) -> None:
    token = bsky.session()["accessJwt"]
    items, pages = walk(bsky, "app.bsky.feed.getAuthorFeed", "feed", token, actor=bsky.did, limit=3)
    assert pages > 2
    uris = [i["post"]["uri"] for i in items]
    assert len(uris) == len(set(uris))
    assert set(uris) == set(bsky.sim.bluesky.live_posts(bsky.did))
    post = items[0]["post"]
    assert set(post) >= {
        "uri",
        "cid",
        "author",
        "record",
        "replyCount",
        "likeCount",
        "indexedAt",
        "labels",
    }
    assert post["cid"].startswith("bafyrei") and BSKY_TIME.match(post["indexedAt"])
    assert TID.match(split_uri(post["uri"])[2])
    replies = [i for i in items if i["post"]["record"].get("reply")]
    assert replies and all(set(i["reply"]) >= {"root", "parent"} for i in replies)


def test_author_feed_filters_and_limits(bsky: Bsky) -> None:
    token = bsky.session()["accessJwt"]
    only_posts, _ = walk(
        bsky,
        "app.bsky.feed.getAuthorFeed",
        "feed",
        token,
        actor=bsky.did,
        filter="posts_no_replies",
    )
    assert only_posts and not any(i["post"]["record"].get("reply") for i in only_posts)
    r = bsky.get("app.bsky.feed.getAuthorFeed", token, actor=bsky.did, limit=101)
    assert (r.status_code, r.json()["error"]) == (400, "InvalidRequest")
    r = bsky.get("app.bsky.feed.getAuthorFeed", token)
    assert r.json()["message"] == 'Error: Params must have the property "actor"'


def test_notifications_name_replies_mentions_quotes_and_likes(bsky: Bsky) -> None:
    token = bsky.session()["accessJwt"]
    notes, _ = walk(
        bsky, "app.bsky.notification.listNotifications", "notifications", token, limit=7
    )
    reasons = {n["reason"] for n in notes}
    assert {"reply", "mention"} <= reasons
    for n in notes:
        assert set(n) >= {
            "uri",
            "cid",
            "author",
            "reason",
            "record",
            "isRead",
            "indexedAt",
            "labels",
        }
        if n["reason"] == "reply":
            assert (
                n["reasonSubject"] == n["record"]["reply"]["parent"]["uri"] or n["record"]["reply"]
            )
    only, _ = walk(
        bsky, "app.bsky.notification.listNotifications", "notifications", token, reasons="mention"
    )
    assert only and {n["reason"] for n in only} == {"mention"}


def test_a_deleted_reply_leaves_thread_notifications_and_get_posts(bsky: Bsky) -> None:
    token = bsky.session()["accessJwt"]
    root = bsky.sim.bluesky.act(
        "post", actor=bsky.did, text="Ny cykelväg längs älven öppnar i maj."
    )["uri"]
    resident = bsky.sim.bluesky.act("account", handle="karin.bsky.social", display_name="Karin K")
    reply = bsky.sim.bluesky.act("post", actor=resident["did"], text="Äntligen!", reply_to=root)[
        "uri"
    ]
    thread = bsky.get("app.bsky.feed.getPostThread", token, uri=root).json()["thread"]
    assert thread["$type"] == "app.bsky.feed.defs#threadViewPost"
    assert [r["post"]["uri"] for r in thread["replies"]] == [reply]
    bsky.sim.bluesky.act("delete", uri=reply)
    assert (
        bsky.get("app.bsky.feed.getPostThread", token, uri=root).json()["thread"]["replies"] == []
    )
    assert (
        bsky.get("app.bsky.feed.getPosts", token, uris=[root, reply]).json()["posts"][0]["uri"]
        == root
    )
    assert len(bsky.get("app.bsky.feed.getPosts", token, uris=[root, reply]).json()["posts"]) == 1
    notes, _ = walk(bsky, "app.bsky.notification.listNotifications", "notifications", token)
    assert reply not in {n["uri"] for n in notes}
    bsky.sim.bluesky.act("delete", uri=root)
    r = bsky.get("app.bsky.feed.getPostThread", token, uri=root)
    assert (r.status_code, r.json()) == (
        400,
        {"error": "NotFound", "message": f"Post not found: {root}"},
    )


def test_a_thread_with_a_deleted_parent_shows_not_found_post(bsky: Bsky) -> None:
    token = bsky.session()["accessJwt"]
    root = bsky.sim.bluesky.act("post", actor=bsky.did, text="Badplatsen är öppen.")["uri"]
    a = bsky.sim.bluesky.act("account", handle="a.bsky.social")["did"]
    middle = bsky.sim.bluesky.act("post", actor=a, text="Är vattnet varmt?", reply_to=root)["uri"]
    leaf = bsky.sim.bluesky.act("post", actor=a, text="Svara gärna!", reply_to=middle)["uri"]
    bsky.sim.bluesky.act("delete", uri=middle)
    thread = bsky.get("app.bsky.feed.getPostThread", token, uri=leaf).json()["thread"]
    assert thread["parent"] == {
        "$type": "app.bsky.feed.defs#notFoundPost",
        "uri": middle,
        "notFound": True,
    }


# --- writing -------------------------------------------------------------------------------


def test_create_reply_then_delete_it(bsky: Bsky) -> None:
    s = bsky.session()
    token = s["accessJwt"]
    feed = bsky.get(
        "app.bsky.feed.getAuthorFeed", token, actor=bsky.did, filter="posts_no_replies"
    ).json()["feed"]
    root = feed[0]["post"]
    ref = {"uri": root["uri"], "cid": root["cid"]}
    record = {
        "$type": "app.bsky.feed.post",
        "text": "Tack för alla frågor!",
        "createdAt": "2025-03-01T12:00:00.000Z",
        "reply": {"root": ref, "parent": ref},
    }
    r = bsky.post(
        "com.atproto.repo.createRecord",
        token,
        {"repo": bsky.did, "collection": "app.bsky.feed.post", "record": record},
    )
    assert r.status_code == 200 and r.json()["validationStatus"] == "valid"
    created = r.json()
    assert created["uri"].startswith(f"at://{bsky.did}/app.bsky.feed.post/") and created[
        "cid"
    ].startswith("bafyrei")
    assert tid_time(split_uri(created["uri"])[2]) is not None
    again = bsky.post(
        "com.atproto.repo.createRecord",
        token,
        {
            "repo": bsky.did,
            "collection": "app.bsky.feed.post",
            "rkey": split_uri(created["uri"])[2],
            "record": record,
        },
    )
    assert again.status_code == 400
    rkey = split_uri(created["uri"])[2]
    got = bsky.get(
        "com.atproto.repo.getRecord",
        None,
        repo=bsky.did,
        collection="app.bsky.feed.post",
        rkey=rkey,
    )
    assert got.json()["value"]["text"] == "Tack för alla frågor!"
    gone = bsky.post(
        "com.atproto.repo.deleteRecord",
        token,
        {"repo": bsky.did, "collection": "app.bsky.feed.post", "rkey": rkey},
    )
    assert gone.status_code == 200
    missing = bsky.get(
        "com.atproto.repo.getRecord",
        None,
        repo=bsky.did,
        collection="app.bsky.feed.post",
        rkey=rkey,
    )
    assert (missing.status_code, missing.json()["error"]) == (400, "RecordNotFound")


def test_writes_are_checked_like_the_pds_does(bsky: Bsky) -> None:
    token = bsky.session()["accessJwt"]
    other = bsky.sim.bluesky.act("account", handle="b.bsky.social")["did"]
    post = {
        "$type": "app.bsky.feed.post",
        "text": "x" * 301,
        "createdAt": "2025-03-01T12:00:00.000Z",
    }
    r = bsky.post(
        "com.atproto.repo.createRecord",
        token,
        {"repo": bsky.did, "collection": "app.bsky.feed.post", "record": post},
    )
    assert (r.status_code, r.json()["error"]) == (400, "InvalidRecord")
    r = bsky.post(
        "com.atproto.repo.createRecord",
        token,
        {"repo": other, "collection": "app.bsky.feed.post", "record": {**post, "text": "hej"}},
    )
    assert r.status_code == 400
    r = bsky.http.get(bsky.url("com.atproto.repo.createRecord"))
    assert r.status_code == 400
    assert bsky.get("com.example.nothing", token).status_code == 501


def test_threadgate_hides_replies_and_must_sit_at_the_roots_rkey(bsky: Bsky) -> None:
    token = bsky.session()["accessJwt"]
    root = bsky.sim.bluesky.act("post", actor=bsky.did, text="Synpunkter på nya torget?")["uri"]
    troll = bsky.sim.bluesky.act("account", handle="troll.bsky.social")["did"]
    nasty = bsky.sim.bluesky.act("post", actor=troll, text="Ni är idioter allihop", reply_to=root)[
        "uri"
    ]
    rkey = split_uri(root)[2]
    gate = {
        "$type": "app.bsky.feed.threadgate",
        "post": root,
        "createdAt": "2025-03-01T12:00:00.000Z",
        "hiddenReplies": [nasty],
    }
    wrong = bsky.post(
        "com.atproto.repo.putRecord",
        token,
        {
            "repo": bsky.did,
            "collection": "app.bsky.feed.threadgate",
            "rkey": "3aaaaaaaaaaaa",
            "record": gate,
        },
    )
    assert (wrong.status_code, wrong.json()["error"]) == (400, "InvalidRecord")
    ok = bsky.post(
        "com.atproto.repo.putRecord",
        token,
        {"repo": bsky.did, "collection": "app.bsky.feed.threadgate", "rkey": rkey, "record": gate},
    )
    assert ok.status_code == 200
    stale = bsky.post(
        "com.atproto.repo.putRecord",
        token,
        {
            "repo": bsky.did,
            "collection": "app.bsky.feed.threadgate",
            "rkey": rkey,
            "record": {**gate, "hiddenReplies": []},
            "swapRecord": "bafyreistale",
        },
    )
    assert (stale.status_code, stale.json()["error"]) == (400, "InvalidSwap")
    view = bsky.get("app.bsky.feed.getPostThread", token, uri=root).json()
    assert view["threadgate"]["record"]["hiddenReplies"] == [nasty]
    assert [r["post"]["uri"] for r in view["thread"]["replies"]] == [
        nasty
    ]  # still returned; clients hide it
    too_many = {**gate, "hiddenReplies": [nasty] * 301}
    r = bsky.post(
        "com.atproto.repo.putRecord",
        token,
        {
            "repo": bsky.did,
            "collection": "app.bsky.feed.threadgate",
            "rkey": rkey,
            "record": too_many,
        },
    )
    assert r.json()["error"] == "InvalidRecord"


# --- limits and faults ---------------------------------------------------------------------


def test_rate_limit_headers_and_429() -> None:
    handle = start_in_thread(seed=6, clock=VirtualClock(), port=0, mastodon_port=0)
    try:
        sim = handle.simulator
        sim.bluesky.meters.api.limit = 4
        acct = sim.create_bluesky_account("grannby.bsky.social", "Grannby kommun")
        url = f"{handle.bluesky_url}/xrpc/app.bsky.feed.getAuthorFeed"
        answers = [httpx.get(url, params={"actor": acct.did}) for _ in range(5)]
        first, last = answers[0], answers[-1]
        assert (
            first.headers["ratelimit-limit"] == "4" and first.headers["ratelimit-remaining"] == "3"
        )
        assert (
            first.headers["ratelimit-policy"] == "4;w=300"
            and first.headers["ratelimit-reset"].isdigit()
        )
        assert (last.status_code, last.json()) == (
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        )
        assert last.headers["ratelimit-remaining"] == "0"
    finally:
        handle.stop()


def test_sign_in_is_limited_per_account(bsky: Bsky) -> None:
    codes = [
        bsky.http.post(
            bsky.url("com.atproto.server.createSession"),
            json={"identifier": bsky.account_handle, "password": bsky.password},
        ).status_code
        for _ in range(31)
    ]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_injected_faults_answer_as_bluesky_does(bsky: Bsky) -> None:
    token = bsky.session()["accessJwt"]
    bsky.sim.add_fault("http_error", platform="bluesky", status=502, count=1)
    r = bsky.get("app.bsky.feed.getAuthorFeed", token, actor=bsky.did)
    assert (r.status_code, r.json()["error"]) == (502, "UpstreamFailure")
    bsky.sim.add_fault("auth_error", platform="bluesky", count=1)
    assert (
        bsky.get("app.bsky.feed.getAuthorFeed", token, actor=bsky.did).json()["error"]
        == "ExpiredToken"
    )
    bsky.sim.add_fault("rate_limit", platform="bluesky", count=1, path="getAuthorFeed")
    assert bsky.get("app.bsky.feed.getAuthorFeed", token, actor=bsky.did).status_code == 429
    bsky.sim.add_fault("malformed", platform="bluesky", count=1)
    with pytest.raises(json.JSONDecodeError):
        bsky.get("app.bsky.feed.getAuthorFeed", token, actor=bsky.did).json()
    assert bsky.get("app.bsky.feed.getAuthorFeed", token, actor=bsky.did).status_code == 200
    # A Mastodon fault does not touch Bluesky.
    bsky.sim.add_fault("http_error", platform="mastodon", status=500, count=1)
    assert bsky.get("app.bsky.feed.getAuthorFeed", token, actor=bsky.did).status_code == 200


def test_control_api_creates_acts_and_expires(bsky: Bsky) -> None:
    control = f"{bsky.handle.control_url}/bluesky"
    state = bsky.http.get(f"{control}/state").json()
    assert state["accounts"][0]["did"] == bsky.did and state["counts"]["posts"] > 0
    resident = bsky.http.post(
        f"{control}/accounts", json={"handle": "olle.bsky.social", "kommun": False}
    ).json()
    assert resident["app_password"] is None
    posted = bsky.http.post(
        f"{control}/act",
        json={"action": "post", "actor": resident["did"], "text": f"@{bsky.account_handle} Hej!"},
    ).json()
    assert posted["uri"].startswith(f"at://{resident['did']}/")
    assert bsky.http.post(f"{control}/sessions/expire", json={"did": bsky.did}).status_code == 200
    assert bsky.http.post(f"{control}/nothing", json={}).status_code == 404


# --- the scenario and persistence --------------------------------------------------------------


def test_scenario_writes_swedish_threads_with_questions_and_abuse(bsky: Bsky) -> None:
    store = bsky.sim.bluesky.store
    kinds = set(store.meta["kinds"].values())
    assert {"question", "felanmalan", "complaint"} & kinds
    texts = " ".join(r.value.get("text", "") for r in store.records.values())
    assert re.search(r"[åäö]", texts)
    assert all(len(r.value.get("text", "")) <= 300 for r in store.records.values())


def test_same_seed_same_bluesky_world() -> None:
    def build() -> dict:
        sim = Simulator(seed=9, clock=VirtualClock())
        sim.seed_default_world(history_days=1, bluesky_handle="norrvik.bsky.social")
        sim.tick(15)
        return sim.bluesky.store.to_json()

    assert build() == build()


def test_the_bluesky_world_survives_a_restart(tmp_path) -> None:
    sim = Simulator(seed=4, clock=VirtualClock(), data_dir=tmp_path)
    info = sim.seed_default_world(history_days=1, bluesky_handle="norrvik.bsky.social")
    sim.tick(5)
    sim.save()
    before = sim.bluesky.store.to_json()
    again = Simulator(data_dir=tmp_path)
    assert again.bluesky.store.to_json() == before
    assert again.bluesky.accounts()[0]["app_passwords"] == [info["bluesky_account"]["app_password"]]
