"""The Bluesky module against recorded responses (tests/fixtures/bluesky).

The fixtures are written by hand from the lexicons (com.atproto.server.createSession,
refreshSession, getSession; com.atproto.repo.*; app.bsky.feed.defs, getAuthorFeed,
getPostThread, getPosts; app.bsky.notification.listNotifications; app.bsky.feed.threadgate)
and docs.bsky.app's rate-limit headers. Each file is ``status``, ``headers`` and ``body``;
``ids.json`` names the posts:

    P0  own post 03-01 with an image and a shortened link      C0  Anna's comment on P0
    R0  our answer to C0                                        C1  Erik's abusive comment on P0,
    C2  Lisa's reply to Anna's C0                                   hidden by P0's threadgate
    M1  Erik's post mentioning us (with a link)                 Q1  Lisa's post quoting P0
    P1  own post 03-02                                          C3  Anna's comment on P1
    D1  Erik's reply to P1, deleted (a notFoundPost)            P2  own post 03-03, later deleted
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insyn.capture.platforms import platform_class
from insyn.capture.platforms.base import (
    Connection,
    MalformedPayload,
    NotFound,
    PlatformError,
    RateLimited,
    TokenInvalid,
)
from insyn.capture.platforms.bluesky import (
    Bluesky,
    Refused,
    forget_sessions,
    normalise,
    tid_for_key,
    web_url,
)
from insyn.lib.http import HttpSeam

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bluesky"
IDS = json.loads((FIXTURES / "ids.json").read_text())
U, DID = IDS["ids"], IDS["dids"]
K = DID["K"]
BASE = "https://bsky.social"
PDS = "https://pds.alvby.example"  # what the session's DID document names
NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
PASSWORD = "abcd-efgh-ijkl-mnop"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def body_of(name: str) -> bytes:
    return json.dumps(fixture(name)["body"], ensure_ascii=False).encode()


def response_of(name: str) -> httpx.Response:
    doc = fixture(name)
    return httpx.Response(doc["status"], headers=doc["headers"], content=body_of(name))


def ctx(endpoint: str, **extra: Any) -> dict:
    return {"endpoint": endpoint, "account_external_id": K, **extra}


class Pds:
    """A recorded PDS: (method, nsid, key params) → fixture names served in turn (the last repeats)."""

    KEYS = ("cursor", "uri", "uris", "rkey", "collection")

    def __init__(self) -> None:
        self.routes: dict[tuple, list] = {}
        self.requests: list[httpx.Request] = []

    def add(self, method: str, nsid: str, *answers: str | httpx.Response, **params: str) -> None:
        self.routes[(method, nsid, frozenset(params.items()))] = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        nsid = request.url.path.rsplit("/", 1)[-1]
        params = {k: v for k, v in request.url.params.multi_items() if k in self.KEYS}
        if request.method == "POST" and request.content:
            body = json.loads(request.content)
            params.update({k: body[k] for k in ("rkey", "collection") if k in body})
        for key in (frozenset(params.items()), frozenset()):
            answers = self.routes.get((request.method, nsid, key))
            if answers:
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                return response_of(answer) if isinstance(answer, str) else answer
        return httpx.Response(
            501, json={"error": "MethodNotImplemented", "message": "Method Not Implemented"}
        )

    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path.rsplit('/', 1)[-1]}" for r in self.requests]

    def bodies(self, nsid: str) -> list[dict]:
        return [
            json.loads(r.content) for r in self.requests if r.url.path.endswith(nsid) and r.content
        ]


def recorded_pds() -> Pds:
    pds = Pds()
    pds.add("POST", "com.atproto.server.createSession", "session_create")
    pds.add("POST", "com.atproto.server.refreshSession", "session_refresh")
    pds.add("GET", "com.atproto.server.getSession", "session_get")
    feed = "app.bsky.feed.getAuthorFeed"
    pds.add("GET", feed, "author_feed_1")
    pds.add("GET", feed, "author_feed_2", cursor="2025-03-01T16:00:00.000Z")
    pds.add("GET", feed, "empty_feed", cursor="2025-03-01T09:15:03.123Z")
    notes = "app.bsky.notification.listNotifications"
    pds.add("GET", notes, "notifications_1")
    pds.add("GET", notes, "notifications_2", cursor="2025-03-01T14:20:06.000Z")
    pds.add("GET", notes, "empty_notifications", cursor="2025-03-01T09:40:12.500Z")
    for name in ("P0", "P1", "P2"):
        pds.add("GET", "app.bsky.feed.getPostThread", f"thread_{name}", uri=U[name])
    for name in ("C0", "C1", "M1", "P2"):
        pds.add("GET", "app.bsky.feed.getPosts", f"posts_{name}", uris=U[name])
    pds.add("GET", "app.bsky.feed.getPosts", "posts_empty")
    pds.add(
        "GET",
        "com.atproto.repo.getRecord",
        "threadgate_P0",
        collection="app.bsky.feed.threadgate",
        rkey=U["P0"].rsplit("/", 1)[1],
    )
    pds.add("GET", "com.atproto.repo.getRecord", "error_record_not_found")
    return pds


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(
    pds: Pds, *, sleeps: Sleeps | None = None, password: str = PASSWORD, **seam: Any
) -> Bluesky:
    connection = Connection(
        platform="bluesky",
        external_id=K,
        handle="alvbykommun.bsky.social",
        base_url=BASE,
        token=password,
    )
    http = HttpSeam(
        transport=httpx.MockTransport(pds),
        sleep=sleeps if sleeps is not None else (lambda s: None),
        **seam,
    )
    return Bluesky(connection, http, now=lambda: NOW)


@pytest.fixture(autouse=True)
def _fresh_sessions():
    forget_sessions()
    yield
    forget_sessions()


def items_of(pages) -> dict:
    found: dict = {}
    for page in pages:
        for item in normalise(page.body, {**page.context, "account_external_id": K}).items:
            found[item.platform_id] = item
    return found


# --- sessions ------------------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert platform_class("bluesky") is Bluesky


def test_sign_in_with_the_app_password_then_use_the_pds_from_the_did_document() -> None:
    pds = recorded_pds()
    data = client(pds).verify_credentials()
    assert data["did"] == K
    create, get = pds.requests
    assert create.url == f"{BASE}/xrpc/com.atproto.server.createSession"
    assert json.loads(create.content) == {
        "identifier": "alvbykommun.bsky.social",
        "password": PASSWORD,
    }
    assert str(get.url).startswith(f"{PDS}/xrpc/com.atproto.server.getSession")
    assert (
        get.headers["authorization"] == "Bearer " + fixture("session_create")["body"]["accessJwt"]
    )


def test_the_session_is_reused_across_clients_in_one_process() -> None:
    pds = recorded_pds()
    client(pds).verify_credentials()
    client(pds).verify_credentials()
    assert pds.calls().count("POST com.atproto.server.createSession") == 1


def test_a_changed_app_password_signs_in_again() -> None:
    pds = recorded_pds()
    client(pds).verify_credentials()
    client(pds, password="wxyz-wxyz-wxyz-wxyz").verify_credentials()
    assert pds.calls().count("POST com.atproto.server.createSession") == 2


def test_an_app_password_of_another_account_is_refused() -> None:
    pds = recorded_pds()
    other = Connection(
        platform="bluesky",
        external_id="did:plc:someoneelse",
        handle="x.bsky.social",
        base_url=BASE,
        token=PASSWORD,
    )
    with pytest.raises(Refused):
        Bluesky(other, HttpSeam(transport=httpx.MockTransport(pds))).verify_credentials()


def test_an_expired_access_token_is_refreshed_and_the_call_repeated() -> None:
    pds = recorded_pds()
    pds.add("GET", "com.atproto.server.getSession", "error_expired_token", "session_get")
    assert client(pds).verify_credentials()["did"] == K
    assert pds.calls() == [
        "POST com.atproto.server.createSession",
        "GET com.atproto.server.getSession",
        "POST com.atproto.server.refreshSession",
        "GET com.atproto.server.getSession",
    ]
    refresh = pds.requests[2]
    assert (
        refresh.headers["authorization"]
        == "Bearer " + fixture("session_create")["body"]["refreshJwt"]
    )
    assert pds.requests[3].headers["authorization"].endswith("sigA2")


def test_a_failed_refresh_signs_in_again_with_the_app_password() -> None:
    pds = recorded_pds()
    pds.add("GET", "com.atproto.server.getSession", "error_expired_token", "session_get")
    pds.add("POST", "com.atproto.server.refreshSession", "error_invalid_token")
    assert client(pds).verify_credentials()["did"] == K
    assert pds.calls().count("POST com.atproto.server.createSession") == 2


@pytest.mark.parametrize("answer", ["error_auth_required", "error_account_takedown"])
def test_a_revoked_app_password_is_an_invalid_token(answer: str) -> None:
    pds = recorded_pds()
    pds.add("POST", "com.atproto.server.createSession", answer)
    with pytest.raises(TokenInvalid) as caught:
        client(pds).verify_credentials()
    assert caught.value.permanent


def test_expired_session_and_refused_sign_in_stop_a_poll_as_invalid_token() -> None:
    pds = recorded_pds()
    pds.add("POST", "com.atproto.server.createSession", "session_create", "error_auth_required")
    pds.add("GET", "app.bsky.feed.getAuthorFeed", "error_expired_token")
    pds.add("POST", "com.atproto.server.refreshSession", "error_expired_token")
    with pytest.raises(TokenInvalid):
        list(client(pds).poll({}))


def test_no_token_is_written_into_the_poll_state() -> None:
    state: dict = {}
    list(client(recorded_pds()).poll(state, full=True))
    text = json.dumps(state)
    session = fixture("session_create")["body"]
    assert (
        session["accessJwt"] not in text
        and session["refreshJwt"] not in text
        and PASSWORD not in text
    )


# --- polling -------------------------------------------------------------------------------


def test_full_poll_walks_both_lists_by_cursor_and_reads_every_own_thread() -> None:
    pds = recorded_pds()
    state: dict = {}
    pages = list(client(pds).poll(state, full=True))
    assert [p.context["endpoint"] for p in pages] == ["author_feed"] * 3 + ["notifications"] * 3 + [
        "thread"
    ] * 2
    assert {p.context.get("uri") for p in pages if p.context["endpoint"] == "thread"} == {
        U["P0"],
        U["P1"],
    }
    assert state["feed_newest"] == "2025-03-02T08:00:01.000Z"
    assert state["notif_newest"] == "2025-03-01T16:20:00.800Z"
    assert all(p.url.startswith(f"{BASE}/xrpc/") and "Bearer" not in p.url for p in pages)


def test_requests_carry_the_documented_parameters() -> None:
    pds = recorded_pds()
    list(client(pds).poll({}, full=True))
    feed = next(r for r in pds.requests if r.url.path.endswith("getAuthorFeed"))
    assert dict(feed.url.params) == {"actor": K, "filter": "posts_with_replies", "limit": "100"}
    notes = next(r for r in pds.requests if r.url.path.endswith("listNotifications"))
    assert notes.url.params.get_list("reasons") == ["reply", "mention", "quote"]
    thread = next(r for r in pds.requests if r.url.path.endswith("getPostThread"))
    assert thread.url.params["depth"] == "1000" and thread.url.params["parentHeight"] == "0"


def test_everything_addressed_to_the_account_is_found() -> None:
    found = items_of(client(recorded_pds()).poll({}, full=True))
    assert set(found) == {U[k] for k in ("P0", "C0", "R0", "C1", "C2", "M1", "Q1", "P1", "C3")}


def test_incremental_poll_stops_at_what_it_has_seen_and_rereads_recent_threads() -> None:
    pds = recorded_pds()
    state: dict = {}
    list(client(pds).poll(state, full=True))
    pds.add("GET", "app.bsky.feed.getAuthorFeed", "author_feed_new")
    pds.add("GET", "app.bsky.notification.listNotifications", "notifications_new")
    pds.requests.clear()
    pages = list(client(pds).poll(state))
    assert [p.context["endpoint"] for p in pages].count("author_feed") == 1
    assert [p.context["endpoint"] for p in pages].count("notifications") == 1
    threads = {p.context["uri"] for p in pages if p.context["endpoint"] == "thread"}
    assert threads == {U["P0"], U["P1"], U["P2"]}  # every own root of the last seven days
    assert state["feed_newest"] == "2025-03-03T07:45:01.000Z"
    assert U["P2"] in items_of(pages)


def test_a_reply_notification_queues_its_thread_even_when_old() -> None:
    pds = recorded_pds()
    state: dict = {
        "feed_newest": "2025-03-02T08:00:01.000Z",
        "notif_newest": "2025-03-01T16:20:00.800Z",
        "recent_roots": {},
    }
    pds.add("GET", "app.bsky.feed.getAuthorFeed", "author_feed_new")
    pds.add("GET", "app.bsky.notification.listNotifications", "notifications_new")
    c = Bluesky(
        client(pds).connection, client(pds).http, now=lambda: datetime(2025, 4, 1, tzinfo=UTC)
    )
    pages = list(c.poll(state))
    assert [p.context["uri"] for p in pages if p.context["endpoint"] == "thread"] == [U["P1"]]
    assert state["pending_threads"] == []


def test_state_is_updated_before_each_page_is_handed_over() -> None:
    state: dict = {}
    for page in client(recorded_pds()).poll(state, full=True):
        if page.context["endpoint"] == "notifications":
            assert state.get("recent_roots") and state.get("feed_newest")
            break


def test_a_deleted_root_is_kept_as_evidence_and_leaves_the_window() -> None:
    pds = recorded_pds()
    pds.add("GET", "app.bsky.feed.getPostThread", "error_thread_not_found", uri=U["P2"])
    state = {
        "recent_roots": {U["P2"]: "2025-03-03T07:45:00.000Z"},
        "feed_newest": "2025-03-02T08:00:01.000Z",
        "notif_newest": "2025-03-01T16:20:00.800Z",
    }
    pds.add("GET", "app.bsky.feed.getAuthorFeed", "author_feed_new")
    pds.add("GET", "app.bsky.notification.listNotifications", "empty_notifications")
    pages = list(client(pds).poll(state))
    gone = next(p for p in pages if p.context.get("uri") == U["P2"])
    assert gone.status == 400
    result = normalise(gone.body, {**gone.context, "account_external_id": K})
    assert [(s.platform_id, s.state) for s in result.signals] == [(U["P2"], "deleted_on_platform")]
    assert U["P2"] not in state["recent_roots"]


def test_an_unreadable_page_is_handed_over_then_stops_the_poll() -> None:
    pds = recorded_pds()
    pds.add("GET", "app.bsky.feed.getAuthorFeed", httpx.Response(200, content=b'{"feed": [{"post"'))
    pages = []
    with pytest.raises(PlatformError) as caught:
        for page in client(pds).poll({}):
            pages.append(page)
    assert not isinstance(caught.value, (TokenInvalid, RateLimited)) and not caught.value.permanent
    assert len(pages) == 1
    with pytest.raises(MalformedPayload):
        normalise(pages[0].body, {**pages[0].context, "account_external_id": K})


def test_refetch_returns_the_post_or_raises_not_found() -> None:
    c = client(recorded_pds())
    page = c.refetch(U["C0"])
    assert [
        i.platform_id
        for i in normalise(page.body, {**page.context, "account_external_id": K}).items
    ] == [U["C0"]]
    with pytest.raises(NotFound):
        c.refetch(U["C2"])


# --- errors and rate limits -------------------------------------------------------------


@pytest.mark.parametrize(("name", "error", "permanent"), [
    ("error_blocked_actor", Refused, True),
    ("error_record_not_found", NotFound, True),
    ("error_upstream", PlatformError, False),
])  # fmt: skip
def test_errors_map_to_their_kind(name: str, error: type, permanent: bool) -> None:
    pds = recorded_pds()
    pds.add("GET", "app.bsky.feed.getAuthorFeed", name)
    with pytest.raises(error) as caught:
        list(client(pds, max_attempts=2).poll({}))
    assert caught.value.permanent is permanent
    assert not isinstance(caught.value, TokenInvalid)


def test_5xx_is_retried_then_succeeds() -> None:
    pds = recorded_pds()
    pds.add("GET", "app.bsky.feed.getAuthorFeed", "error_upstream", "author_feed_1")
    sleeps = Sleeps()
    pages = list(client(pds, sleeps=sleeps).poll({}, full=True))
    assert pages[0].status == 200 and len(sleeps) == 1


def test_429_waits_for_the_reset_then_succeeds() -> None:
    pds = recorded_pds()
    limited = fixture("error_rate_limit")
    headers = {**limited["headers"], "ratelimit-reset": "1741521630"}  # 30 s after the Date header
    pds.add(
        "GET",
        "app.bsky.feed.getAuthorFeed",
        httpx.Response(429, headers=headers, content=body_of("error_rate_limit")),
        "author_feed_1",
    )
    sleeps = Sleeps()
    list(client(pds, sleeps=sleeps).poll({}, full=True))
    assert sleeps and sleeps[0] >= 30


def test_429_with_a_distant_reset_is_rate_limited_with_retry_at() -> None:
    pds = recorded_pds()
    pds.add("GET", "app.bsky.feed.getAuthorFeed", "error_rate_limit")  # reset 300 s after Date
    with pytest.raises(RateLimited) as caught:
        list(client(pds, max_wait=60).poll({}))
    assert caught.value.retry_at == NOW.replace(minute=5)


def test_low_remaining_quota_slows_the_next_request() -> None:
    pds = recorded_pds()
    low = fixture("session_get")
    headers = {**low["headers"], "ratelimit-remaining": "9", "ratelimit-reset": "1741521650"}
    pds.add(
        "GET",
        "com.atproto.server.getSession",
        httpx.Response(200, headers=headers, content=body_of("session_get")),
    )
    sleeps = Sleeps()
    c = client(pds, sleeps=sleeps)
    c.verify_credentials()
    c.verify_credentials()
    assert sleeps == [5.0]  # 50 s left in the window, 9 requests left: one every 5 s


# --- answering and moderating ----------------------------------------------------------------


def test_reply_is_a_post_with_strong_refs_to_root_and_parent_and_a_key_from_the_idempotency_key() -> (
    None
):
    pds = recorded_pds()
    pds.add("POST", "com.atproto.repo.createRecord", "record_created")
    uri = client(pds).reply(
        U["C0"], "Hej Anna! Läs mer på https://www.alvby.se/direkt", idempotency_key="case-7"
    )
    assert uri == fixture("record_created")["body"]["uri"]
    body = pds.bodies("createRecord")[0]
    c0 = fixture("posts_C0")["body"]["posts"][0]
    assert body["repo"] == K and body["collection"] == "app.bsky.feed.post"
    assert (
        body["rkey"] == tid_for_key("case-7")
        and len(body["rkey"]) == 13
        and body["rkey"][0] in "234567abcdefghij"
    )
    record = body["record"]
    assert record["reply"] == {
        "root": c0["record"]["reply"]["root"],
        "parent": {"uri": U["C0"], "cid": c0["cid"]},
    }
    assert (
        record["$type"] == "app.bsky.feed.post"
        and record["langs"] == ["sv"]
        and record["createdAt"]
    )
    link = record["facets"][0]
    text = record["text"].encode()
    assert (
        text[link["index"]["byteStart"] : link["index"]["byteEnd"]]
        == b"https://www.alvby.se/direkt"
    )


def test_a_retried_reply_finds_the_first_instead_of_posting_twice() -> None:
    pds = recorded_pds()
    pds.add("POST", "com.atproto.repo.createRecord", "error_record_exists")
    rkey = tid_for_key("case-7")
    existing = {
        "uri": f"at://{K}/app.bsky.feed.post/{rkey}",
        "cid": "bafyreiexisting",
        "value": {
            "$type": "app.bsky.feed.post",
            "text": "Hej",
            "createdAt": "2025-03-04T11:00:00.000Z",
            "reply": {"root": {"uri": U["P0"], "cid": "x"}, "parent": {"uri": U["C0"], "cid": "y"}},
        },
    }
    pds.add(
        "GET",
        "com.atproto.repo.getRecord",
        httpx.Response(200, json=existing),
        collection="app.bsky.feed.post",
        rkey=rkey,
    )
    assert client(pds).reply(U["C0"], "Hej", idempotency_key="case-7") == existing["uri"]


def test_reply_longer_than_a_post_may_be_is_refused_before_sending() -> None:
    pds = recorded_pds()
    with pytest.raises(Refused):
        client(pds).reply(U["C0"], "å" * 301, idempotency_key="k")
    assert not any(r.method == "POST" and "createRecord" in str(r.url) for r in pds.requests)


def test_reply_to_a_gone_post_is_not_found() -> None:
    with pytest.raises(NotFound):
        client(recorded_pds()).reply(U["C2"], "Hej", idempotency_key="k")


def test_hide_adds_the_reply_to_the_threadgate_keeping_its_rules() -> None:
    pds = recorded_pds()
    pds.add("POST", "com.atproto.repo.putRecord", "threadgate_written")
    client(pds).set_hidden(U["C0"], True)
    body = pds.bodies("putRecord")[0]
    gate = fixture("threadgate_P0")["body"]
    assert body["repo"] == K and body["collection"] == "app.bsky.feed.threadgate"
    assert body["rkey"] == U["P0"].rsplit("/", 1)[1] and body["swapRecord"] == gate["cid"]
    assert body["record"]["hiddenReplies"] == [U["C1"], U["C0"]]
    assert body["record"]["allow"] == gate["value"]["allow"] and body["record"]["post"] == U["P0"]


def test_unhide_removes_it_and_hiding_twice_writes_nothing() -> None:
    pds = recorded_pds()
    pds.add("POST", "com.atproto.repo.putRecord", "threadgate_written")
    c = client(pds)
    c.set_hidden(U["C1"], True)  # already hidden
    assert not pds.bodies("putRecord")
    c.set_hidden(U["C1"], False)
    assert pds.bodies("putRecord")[0]["record"]["hiddenReplies"] == []


def test_hide_without_a_threadgate_creates_one_that_leaves_replies_open() -> None:
    pds = recorded_pds()
    pds.add(
        "GET",
        "app.bsky.feed.getPosts",
        httpx.Response(
            200,
            json={
                "posts": [
                    {
                        **fixture("posts_C0")["body"]["posts"][0],
                        "uri": U["C3"],
                        "record": {
                            "$type": "app.bsky.feed.post",
                            "text": "x",
                            "createdAt": "2025-03-02T08:31:19.000Z",
                            "reply": {
                                "root": {"uri": U["P1"], "cid": "c"},
                                "parent": {"uri": U["P1"], "cid": "c"},
                            },
                        },
                    }
                ]
            },
        ),
        uris=U["C3"],
    )
    pds.add("POST", "com.atproto.repo.createRecord", "threadgate_written")
    client(pds).set_hidden(U["C3"], True)
    body = pds.bodies("createRecord")[0]
    assert body["rkey"] == U["P1"].rsplit("/", 1)[1]
    assert body["record"]["post"] == U["P1"] and body["record"]["hiddenReplies"] == [U["C3"]]
    assert "allow" not in body["record"]  # no allow list: anyone may still reply


def test_a_concurrent_threadgate_change_is_read_again() -> None:
    pds = recorded_pds()
    pds.add("POST", "com.atproto.repo.putRecord", "error_invalid_swap", "threadgate_written")
    client(pds).set_hidden(U["C0"], True)
    assert len(pds.bodies("putRecord")) == 2


def test_hiding_in_someone_elses_thread_or_a_top_level_post_is_refused() -> None:
    pds = recorded_pds()
    with pytest.raises(Refused, match="own threads|only replies"):
        client(pds).set_hidden(U["M1"], True)
    assert not pds.bodies("putRecord") and not pds.bodies("createRecord")


def test_delete_own_post_and_refuse_others() -> None:
    pds = recorded_pds()
    pds.add("POST", "com.atproto.repo.deleteRecord", "record_deleted")
    c = client(pds)
    c.delete(U["P2"])
    assert pds.bodies("deleteRecord") == [
        {"repo": K, "collection": "app.bsky.feed.post", "rkey": U["P2"].rsplit("/", 1)[1]}
    ]
    with pytest.raises(Refused, match="own posts"):
        c.delete(U["C0"])
    assert len(pds.bodies("deleteRecord")) == 1


# --- the normaliser on recorded pages ----------------------------------------------------------


def test_author_feed_page_gives_own_posts_and_skips_reposts() -> None:
    items = normalise(body_of("author_feed_2"), ctx("author_feed")).items
    assert [i.platform_id for i in items] == [U["R0"], U["P0"]]
    r0, p0 = items
    assert (p0.kind, p0.direction, p0.record_type) == ("post", "upprattad", "own_post")
    assert (r0.kind, r0.parent_platform_id, r0.thread_platform_id) == ("reply", U["C0"], U["P0"])
    assert p0.created_at == datetime(2025, 3, 1, 9, 15, 2, 123000, tzinfo=UTC)
    assert p0.url == f"https://bsky.app/profile/{K}/post/3ljx2k7q4as2c" == web_url(U["P0"])
    assert p0.text.endswith(
        "alvby.se/direkt\n\nhttps://www.alvby.se/direkt"
    )  # the shortened link in full
    assert (
        p0.media[0].url.endswith("bafkreihfolketshus@jpeg")
        and p0.media[0].mime_type == "image/jpeg"
    )
    assert p0.author_name == "Älvby kommun" and p0.state is None
    assert normalise(body_of("author_feed_1"), ctx("author_feed")).items[0].platform_id == U["P1"]


def test_notifications_page_keeps_replies_mentions_and_quotes_only() -> None:
    first = normalise(body_of("notifications_1"), ctx("notifications")).items
    assert [i.platform_id for i in first] == [U["Q1"], U["M1"]]
    q1, m1 = first
    assert (m1.kind, m1.direction, m1.record_type, m1.parent_platform_id) == (
        "post",
        "inkommen",
        "public_comment",
        None,
    )
    assert m1.author_name == "erik.norrvik.example"  # no display name: the handle
    assert m1.text.count("https://alvby.example/felanmalan") == 1
    assert q1.text.endswith(f"[Citerar {web_url(U['P0'])}]")
    second = {
        i.platform_id: i for i in normalise(body_of("notifications_2"), ctx("notifications")).items
    }
    assert second[U["C0"]].kind == "comment" and second[U["C0"]].parent_platform_id == U["P0"]
    assert second[U["C2"]].kind == "reply" and second[U["C2"]].thread_platform_id == U["P0"]


def test_thread_page_marks_hidden_replies_and_deleted_ones() -> None:
    p0 = {
        i.platform_id: i for i in normalise(body_of("thread_P0"), ctx("thread", uri=U["P0"])).items
    }
    assert set(p0) == {U["P0"], U["C0"], U["R0"], U["C1"], U["C2"]}
    assert (
        p0[U["C1"]].state == "hidden"
        and p0[U["C0"]].state == "visible"
        and p0[U["P0"]].state == "visible"
    )
    assert p0[U["R0"]].direction == "upprattad"
    p1 = normalise(body_of("thread_P1"), ctx("thread", uri=U["P1"]))
    assert [i.platform_id for i in p1.items] == [U["P1"], U["C3"]]
    assert [(s.platform_id, s.state) for s in p1.signals] == [(U["D1"], "deleted_on_platform")]


def test_posts_page_and_a_post_missing_from_it() -> None:
    result = normalise(body_of("posts_empty"), ctx("posts", uris=[U["C2"]]))
    assert result.items == [] and [s.platform_id for s in result.signals] == [U["C2"]]
    assert normalise(body_of("posts_M1"), ctx("posts", uris=[U["M1"]])).signals == []


@pytest.mark.parametrize(
    "name", ["error_expired_token", "error_rate_limit", "error_upstream", "error_blocked_actor"]
)
def test_error_bodies_are_malformed_as_pages(name: str) -> None:
    with pytest.raises(MalformedPayload):
        normalise(body_of(name), ctx("author_feed"))


def test_normalise_is_pure() -> None:
    for name, endpoint in (
        ("author_feed_2", "author_feed"),
        ("notifications_2", "notifications"),
        ("thread_P0", "thread"),
    ):
        assert normalise(body_of(name), ctx(endpoint)) == normalise(body_of(name), ctx(endpoint))


# --- garbage in, MalformedPayload out ----------------------------------------------------------

ENDPOINTS = ("author_feed", "notifications", "thread", "posts", "nonsense")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=200), endpoint=st.sampled_from(ENDPOINTS))
def test_random_bytes_only_raise_malformed(body: bytes, endpoint: str) -> None:
    try:
        normalise(body, ctx(endpoint))
    except MalformedPayload:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=json_values, endpoint=st.sampled_from(ENDPOINTS))
def test_random_json_only_raises_malformed(data: Any, endpoint: str) -> None:
    try:
        normalise(json.dumps(data).encode(), ctx(endpoint, uri=U["P0"], uris=[U["P0"]]))
    except MalformedPayload:
        pass


def _mutations(value: Any) -> st.SearchStrategy:
    """A recorded page with one value somewhere replaced by garbage."""
    paths: list[tuple] = []

    def walk(node: Any, path: tuple) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(value, ())

    def apply(path: tuple, garbage: Any) -> Any:
        doc = json.loads(json.dumps(value))
        if not path:
            return garbage
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = garbage
        return doc

    return st.builds(apply, st.sampled_from(paths), json_values)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.sampled_from(
        [
            ("author_feed_2", "author_feed"),
            ("notifications_2", "notifications"),
            ("thread_P0", "thread"),
            ("thread_P1", "thread"),
            ("posts_M1", "posts"),
        ]
    ).flatmap(lambda pair: st.tuples(st.just(pair[1]), _mutations(fixture(pair[0])["body"])))
)
def test_recorded_pages_with_garbage_inside_normalise_or_are_malformed(
    data: tuple[str, Any],
) -> None:
    endpoint, doc = data
    try:
        result = normalise(json.dumps(doc).encode(), ctx(endpoint, uri=U["P0"]))
    except MalformedPayload:
        return
    for item in result.items:
        assert item.platform_id.startswith("at://did:") and isinstance(item.text, str)
        assert item.kind in ("post", "comment", "reply", "message")
