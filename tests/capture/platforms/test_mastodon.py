"""The Mastodon module: recorded responses (tests/fixtures/mastodon), then the simulator over HTTP.

The fixtures are written by hand from docs.joinmastodon.org (methods/accounts, statuses,
notifications, conversations; entities/Status, StatusEdit, MediaAttachment; api/guidelines,
api/rate-limits). Each file is a recorded response: ``status``, ``headers`` and ``body``.

The world in the fixtures (ids are Mastodon snowflakes of the times shown):
    P0  own post 03-01, edited, content warning, image      C0  Anna's comment on P0
    DM0 Lisa's direct message                              D1  our DM answer to DM0
    DM2 Lisa's DM reply to D1 (conversation last_status)   P1  own post 03-02, video
    C1  Anna's comment on P1 (mentions us)                 R1  our reply to C1
    C2  Erik's (remote) comment on P1, no mention, edited  C3  Lisa's reply to Anna's C1
    C4  Lisa's reply to R1 (mentions us)                   M1  Erik's post mentioning us
    E1  Erik's post mentioning us, edited, boosted by us   B1  our boost of E1
    P2  own post 03-03 (incremental)                       C5  Anna's comment on P2
"""

from __future__ import annotations

import collections
import copy
import html
import json
from datetime import UTC, datetime, timedelta
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
    Normalised,
    NotFound,
    PlatformError,
    RateLimited,
    TokenInvalid,
)
from insyn.capture.platforms.mastodon import (
    Mastodon,
    Refused,
    html_to_text,
    id_key,
    parse_link_header,
)
from insyn.lib.http import HttpSeam

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mastodon"
BASE = "https://social.example.se"
ACCOUNT = "109876543210"
NOW = datetime(2025, 3, 9, 12, 0, tzinfo=UTC)
ID = {
    "P0": "114086117376000000", "C0": "114086196019200000", "DM0": "114087061094400000",
    "D1": "114087297024000000", "P1": "114091779686400000", "C1": "114091819008000000",
    "M1": "114091897651200000", "C2": "114092015616000000", "R1": "114092251545600000",
    "C3": "114092369510400000", "E1": "114092487475200000", "B1": "114092605440000000",
    "C4": "114092723404800000", "DM2": "114092959334400000", "P2": "114097441996800000",
    "C5": "114097677926400000",
}  # fmt: skip
ENDPOINTS = ("statuses", "status", "notifications", "conversations", "context", "history")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def body_of(name: str) -> bytes:
    return json.dumps(fixture(name)["body"], ensure_ascii=False).encode("utf-8")


def response_of(name: str) -> httpx.Response:
    doc = fixture(name)
    content = json.dumps(doc["body"], ensure_ascii=False).encode("utf-8")
    return httpx.Response(doc["status"], headers=doc["headers"], content=content)


class Instance:
    """A recorded Mastodon instance: routes (method, path, cursor params) to fixture files."""

    def __init__(self) -> None:
        self.routes: dict[tuple, list] = {}
        self.requests: list[httpx.Request] = []

    def add(self, method: str, path: str, *answers: str | httpx.Response, **cursor: str) -> None:
        """Answers are served in turn; the last one repeats."""
        self.routes[(method, path, frozenset(cursor.items()))] = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        cursor = {
            k: v
            for k, v in request.url.params.multi_items()
            if k in ("max_id", "min_id", "since_id")
        }
        answers = self.routes.get((request.method, request.url.path, frozenset(cursor.items())))
        if not answers:
            return response_of("error_404")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return response_of(answer) if isinstance(answer, str) else answer

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def recorded_instance() -> Instance:
    inst = Instance()
    statuses = f"/api/v1/accounts/{ACCOUNT}/statuses"
    inst.add("GET", "/api/v1/accounts/verify_credentials", "verify_credentials")
    inst.add("GET", statuses, "statuses_1")
    inst.add("GET", statuses, "statuses_2", max_id=ID["P1"])
    inst.add("GET", statuses, "statuses_new", min_id=ID["B1"])
    inst.add("GET", statuses, "empty", min_id=ID["P2"])
    inst.add("GET", "/api/v1/notifications", "notifications_1")
    inst.add("GET", "/api/v1/notifications", "notifications_2", max_id="34975870")
    inst.add("GET", "/api/v1/notifications", "notifications_new", min_id="34975900")
    inst.add("GET", "/api/v1/notifications", "empty", min_id="34975910")
    inst.add("GET", "/api/v1/conversations", "conversations")
    inst.add("GET", "/api/v1/conversations", "empty", min_id=ID["DM2"])
    for name in ("P0", "D1", "P1", "P2", "DM2"):
        inst.add("GET", f"/api/v1/statuses/{ID[name]}/context", f"context_{name}")
    for name in ("P0", "C2", "E1"):
        inst.add("GET", f"/api/v1/statuses/{ID[name]}/history", f"history_{name}")
    for name in ("DM2", "C1", "P2"):
        inst.add("GET", f"/api/v1/statuses/{ID[name]}", f"status_{name}")
    inst.add("POST", "/api/v1/statuses", "status_created")
    inst.add("DELETE", f"/api/v1/statuses/{ID['P2']}", "status_deleted")
    return inst


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(inst, *, now: datetime = NOW, sleeps: Sleeps | None = None, **seam: Any) -> Mastodon:
    connection = Connection(
        platform="mastodon", external_id=ACCOUNT, handle="@exempelkommun@social.example.se",
        base_url=BASE, token="s3cret-token",
    )  # fmt: skip
    http = HttpSeam(
        transport=httpx.MockTransport(inst),
        sleep=sleeps if sleeps is not None else (lambda s: None),
        **seam,
    )
    return Mastodon(connection, http, now=lambda: now)


def normalise_pages(pages, account: str = ACCOUNT) -> list[tuple[str, Normalised]]:
    return [
        (
            p.context["endpoint"],
            Mastodon.normalise(p.body, {**p.context, "account_external_id": account}),
        )
        for p in pages
    ]


def by_id(normalised: Normalised) -> dict:
    return {item.platform_id: item for item in normalised.items}


# --- the contract ----------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert platform_class("mastodon") is Mastodon
    assert Mastodon.name == "mastodon"


def test_verify_credentials_reads_the_account_with_the_bearer_token() -> None:
    inst = recorded_instance()
    account = client(inst).verify_credentials()
    assert account["id"] == ACCOUNT and account["acct"] == "exempelkommun"
    assert inst.requests[0].headers["authorization"] == "Bearer s3cret-token"
    assert "access_token" not in str(inst.requests[0].url)


def test_verify_credentials_refuses_a_token_of_another_account() -> None:
    inst = recorded_instance()
    c = client(inst)
    c.connection = Connection("mastodon", "42", "@x@y", BASE, "t")
    with pytest.raises(Refused) as err:
        c.verify_credentials()
    assert err.value.permanent


# --- polling over recorded pages ---------------------------------------------------------


def test_full_poll_walks_every_list_and_thread_once() -> None:
    inst = recorded_instance()
    state: dict = {}
    pages = list(client(inst).poll(state, full=True))
    assert [p.status for p in pages] == [200] * len(pages)
    assert [(p.context["endpoint"], p.context.get("status_id")) for p in pages] == [
        ("statuses", None), ("statuses", None),
        ("notifications", None), ("notifications", None),
        ("conversations", None),
        # oldest first; R1 and DM2 are inside P1's and D1's descendants, B1 is a boost
        ("context", ID["P0"]), ("context", ID["D1"]), ("context", ID["P1"]),
        ("history", ID["P0"]), ("history", ID["C2"]), ("history", ID["E1"]),
    ]  # fmt: skip
    # every page of a list walk holds different items: nothing twice, nothing skipped
    for endpoint in ("statuses", "notifications"):
        ids = [
            x["id"] for p in pages if p.context["endpoint"] == endpoint for x in json.loads(p.body)
        ]
        assert len(ids) == len(set(ids)) == {"statuses": 5, "notifications": 8}[endpoint]
    assert state["statuses_cursor"] == ID["B1"]
    assert state["notifications_cursor"] == "34975900"
    assert state["conversations_cursor"] == ID["DM2"]  # conversations page on last_status ids
    assert set(state["edits_seen"]) == {ID["P0"], ID["C2"], ID["E1"]}
    assert state["pending_history"] == {} and state["pending_context"] == []
    json.dumps(state)  # the caller persists it as JSON


def test_requests_carry_the_documented_parameters() -> None:
    inst = recorded_instance()
    list(client(inst).poll({}, full=True))
    first = {r.url.path: r.url.params for r in reversed(inst.requests)}
    assert first[f"/api/v1/accounts/{ACCOUNT}/statuses"]["limit"] == "40"
    notifications = first["/api/v1/notifications"]
    assert notifications.get_list("types[]") == ["mention", "update"]
    assert notifications["limit"] == "80"
    assert first["/api/v1/conversations"]["limit"] == "40"
    assert all(r.headers["authorization"] == "Bearer s3cret-token" for r in inst.requests)
    assert all(r.url.host == "social.example.se" for r in inst.requests)


def test_every_status_concerning_the_account_is_found() -> None:
    pages = list(client(recorded_instance()).poll({}, full=True))
    found: dict[str, set] = {}
    for _, normalised in normalise_pages(pages):
        for item in normalised.items:
            found.setdefault(item.platform_id, set()).add(
                (
                    item.kind,
                    item.direction,
                    item.record_type,
                    item.parent_platform_id,
                    item.author_id,
                )
            )
    assert set(found) == set(ID.values()) - {ID["P2"], ID["C5"]}
    # wherever a status is read from, it is the same record
    assert all(len(variants) == 1 for variants in found.values()), found


def test_incremental_poll_fetches_only_what_is_new() -> None:
    inst = recorded_instance()
    c = client(inst)
    state: dict = {}
    list(c.poll(state, full=True))
    full_requests = len(inst.requests)
    inst.requests.clear()
    pages = list(c.poll(state))
    assert len(inst.requests) < full_requests
    assert [(p.context["endpoint"], p.context.get("status_id")) for p in pages] == [
        ("statuses", None), ("statuses", None), ("notifications", None), ("notifications", None),
        ("conversations", None), ("context", ID["P2"]),
    ]  # fmt: skip
    params = [dict(r.url.params) for r in inst.requests[:5]]
    assert params[0]["min_id"] == ID["B1"] and params[1]["min_id"] == ID["P2"]
    assert params[2]["min_id"] == "34975900" and params[3]["min_id"] == "34975910"
    assert params[4]["min_id"] == ID["DM2"]
    found = {i.platform_id for _, n in normalise_pages(pages) for i in n.items}
    assert found == {ID["P2"], ID["C5"]}
    assert state["statuses_cursor"] == ID["P2"] and state["notifications_cursor"] == "34975910"
    assert set(state["recent_own"]) == {ID["P2"]}


def test_recent_own_statuses_have_their_context_reread() -> None:
    """Within CONTEXT_DAYS every own status is a candidate; covered replies are skipped."""
    inst = recorded_instance()
    c = client(inst, now=datetime(2025, 3, 4, 12, 0, tzinfo=UTC))
    state: dict = {}
    list(c.poll(state, full=True))
    assert set(state["recent_own"]) == {ID["P0"], ID["D1"], ID["P1"], ID["R1"]}
    inst.requests.clear()
    pages = list(c.poll(state))
    contexts = [p.context["status_id"] for p in pages if p.context["endpoint"] == "context"]
    assert contexts == [ID["P0"], ID["D1"], ID["P1"], ID["P2"]]
    assert not [p for p in pages if p.context["endpoint"] == "history"]  # no new edits


def test_a_poll_without_cursors_walks_the_lists_whole_but_reads_only_recent_threads() -> None:
    inst = recorded_instance()
    state: dict = {}
    pages = list(client(inst).poll(state))
    assert any("max_id" in r.url.params for r in inst.requests)
    assert state["statuses_cursor"] == ID["B1"]
    assert [(p.context["endpoint"], p.context.get("status_id")) for p in pages][5:] == [
        ("context", ID["DM2"]),  # the conversation's thread; no own status is recent on 03-09
        ("history", ID["P0"]), ("history", ID["E1"]),
    ]  # fmt: skip


def test_state_is_updated_before_each_page_is_handed_over() -> None:
    inst = recorded_instance()
    state: dict = {}
    seen = []
    for page in client(inst).poll(state, full=True):
        seen.append((page.context["endpoint"], dict(state)))
    # the last statuses page moves the cursor, so persisting after it is safe
    assert seen[1][1]["statuses_cursor"] == ID["B1"]
    assert "statuses_cursor" not in seen[0][1]  # a backward walk commits only at its end
    # the history queue exists before the histories are read, and empties as they are
    assert set(seen[4][1]["pending_history"]) == {ID["P0"], ID["E1"]}
    assert seen[-1][1]["pending_history"] == {}


def test_an_unreadable_page_is_handed_over_then_stops_the_poll() -> None:
    """A full pass that ends without an exception has seen everything: capture may then mark
    what it did not see as gone. So a truncated page stops the pass, and moves no cursor."""
    inst = recorded_instance()
    truncated = httpx.Response(
        200, headers={"Content-Type": "application/json"}, content=b'[{"id": "1"'
    )
    inst.add("GET", f"/api/v1/accounts/{ACCOUNT}/statuses", truncated, max_id=ID["P1"])
    state: dict = {}
    pages = []
    with pytest.raises(PlatformError) as err:
        for page in client(inst).poll(state, full=True):
            pages.append(page)
    assert not err.value.permanent and len(pages) == 2
    assert "statuses_cursor" not in state
    with pytest.raises(MalformedPayload):
        Mastodon.normalise(pages[1].body, {**pages[1].context, "account_external_id": ACCOUNT})


def test_an_unreadable_thread_or_history_stops_the_poll_too() -> None:
    for path in (f"/api/v1/statuses/{ID['P1']}/context", f"/api/v1/statuses/{ID['C2']}/history"):
        inst = recorded_instance()
        inst.add("GET", path, httpx.Response(200, content=b"<html>oops</html>"))
        state: dict = {}
        pages = []
        with pytest.raises(PlatformError):
            for page in client(inst).poll(state, full=True):
                pages.append(page)
        assert pages[-1].url.endswith(path)  # handed over, to be kept and quarantined
        if path.endswith("history"):
            assert ID["C2"] in state["pending_history"]  # tried again next time


def test_an_account_with_nothing_yet_is_polled_incrementally_after_its_first_pass() -> None:
    inst = Instance()
    inst.add("GET", f"/api/v1/accounts/{ACCOUNT}/statuses", "empty")
    inst.add("GET", "/api/v1/notifications", "empty")
    inst.add("GET", "/api/v1/conversations", "empty")
    c = client(inst)
    state: dict = {}
    assert len(list(c.poll(state, full=True))) == 3
    assert "statuses_cursor" not in state
    assert len(list(c.poll(state))) == 3  # still three requests: no threads to read
    assert len(inst.requests) == 6


def test_a_deleted_own_status_gives_a_deletion_signal_and_leaves_the_window() -> None:
    inst = recorded_instance()
    inst.add("GET", f"/api/v1/statuses/{ID['P2']}/context", "error_404")
    c = client(inst)
    state: dict = {}
    list(c.poll(state, full=True))
    pages = list(c.poll(state))
    gone = [p for p in pages if p.context["endpoint"] == "context"][0]
    assert gone.status == 404
    result = Mastodon.normalise(gone.body, {**gone.context, "account_external_id": ACCOUNT})
    assert [(s.platform_id, s.state) for s in result.signals] == [(ID["P2"], "deleted_on_platform")]
    assert ID["P2"] not in state["recent_own"]


def test_fetch_status_rereads_one_status_and_raises_not_found_when_gone() -> None:
    inst = recorded_instance()
    page = client(inst).fetch_status(ID["C1"])
    assert by_id(Mastodon.normalise(page.body, {**page.context, "account_external_id": ACCOUNT}))[
        ID["C1"]
    ]
    with pytest.raises(NotFound):
        client(inst).fetch_status("1")


def test_links_to_another_host_are_never_followed_with_the_token() -> None:
    inst = recorded_instance()
    evil = response_of("statuses_1")
    evil.headers["Link"] = '<https://evil.example/api/v1/x?max_id=1>; rel="next"'
    inst.add("GET", f"/api/v1/accounts/{ACCOUNT}/statuses", evil)
    with pytest.raises(Refused):
        list(client(inst).poll({}, full=True))
    assert all(r.url.host == "social.example.se" for r in inst.requests)


def test_parse_link_header() -> None:
    header = fixture("notifications_1")["headers"]["Link"]
    links = parse_link_header(header)
    assert links["next"].endswith("max_id=34975870") and links["prev"].endswith("min_id=34975900")
    # the documented sample with a missing rel on the second link (methods/notifications)
    sample = (
        '<https://mastodon.example/api/v1/notifications?max_id=34975535>; rel="next", '
        "<https://mastodon.example/api/v1/notifications?min_id=34975861>;"
    )
    assert parse_link_header(sample) == {
        "next": "https://mastodon.example/api/v1/notifications?max_id=34975535"
    }
    assert parse_link_header("") == {}
    assert (
        parse_link_header('<https://a.example/x?a=1,2>; rel="next"')["next"]
        == "https://a.example/x?a=1,2"
    )


def test_id_order_is_length_then_lexical() -> None:
    assert sorted(["99", "100", "9", "114086117376000000"], key=id_key) == [
        "9", "99", "100", "114086117376000000",
    ]  # fmt: skip


# --- errors, retries and rate limits -----------------------------------------------------


@pytest.mark.parametrize("name", ["error_401_invalid", "error_401_revoked", "error_401_expired"])
def test_401_is_an_invalid_token(name: str) -> None:
    inst = Instance()
    inst.add("GET", "/api/v1/accounts/verify_credentials", name)
    with pytest.raises(TokenInvalid) as err:
        client(inst).verify_credentials()
    assert err.value.permanent and err.value.status == 401
    assert err.value.code == fixture(name)["body"]["error"]


def test_401_in_the_middle_of_a_poll_stops_it() -> None:
    inst = recorded_instance()
    inst.add("GET", "/api/v1/notifications", "error_401_revoked")
    with pytest.raises(TokenInvalid):
        list(client(inst).poll({}, full=True))


@pytest.mark.parametrize(
    ("name", "error", "permanent"),
    [("error_403", Refused, True), ("error_404", NotFound, True), ("error_422", Refused, True)],
)
def test_client_errors_map_to_their_kind(name: str, error: type, permanent: bool) -> None:
    inst = Instance()
    inst.add("GET", "/api/v1/accounts/verify_credentials", name)
    with pytest.raises(error) as err:
        client(inst).verify_credentials()
    assert err.value.permanent is permanent
    assert fixture(name)["body"]["error"] in str(err.value)


def test_5xx_is_retried_then_succeeds() -> None:
    inst = Instance()
    html_500 = httpx.Response(
        500, headers={"Content-Type": "text/html"}, content=b"<h1>We're sorry</h1>"
    )
    inst.add(
        "GET", "/api/v1/accounts/verify_credentials", html_500, "error_503", "verify_credentials"
    )
    sleeps = Sleeps()
    assert client(inst, sleeps=sleeps).verify_credentials()["id"] == ACCOUNT
    assert len(inst.requests) == 3 and len(sleeps) == 2


def test_5xx_that_persists_is_a_temporary_error() -> None:
    inst = Instance()
    inst.add("GET", "/api/v1/accounts/verify_credentials", "error_503")
    with pytest.raises(PlatformError) as err:
        client(inst, max_attempts=3).verify_credentials()
    assert not err.value.permanent and err.value.status == 503


def test_network_failure_is_a_temporary_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(PlatformError) as err:
        client(refuse, max_attempts=2).verify_credentials()
    assert not err.value.permanent


def test_429_waits_for_the_reset_then_succeeds() -> None:
    inst = Instance()
    inst.add("GET", "/api/v1/accounts/verify_credentials", "error_429", "verify_credentials")
    sleeps = Sleeps()
    assert client(inst, sleeps=sleeps).verify_credentials()["id"] == ACCOUNT
    # X-RateLimit-Reset is 30 s after the response's Date (ISO 8601, not epoch seconds)
    assert len(sleeps) == 1 and 30 <= sleeps[0] < 31


def test_429_with_a_distant_reset_is_rate_limited_with_retry_at() -> None:
    far = response_of("error_429")
    far.headers["X-RateLimit-Reset"] = "2025-03-09T12:04:00.000000Z"  # 240 s > the seam's max_wait
    inst = Instance()
    inst.add("GET", "/api/v1/accounts/verify_credentials", far)
    with pytest.raises(RateLimited) as err:
        client(inst).verify_credentials()
    assert not err.value.permanent
    assert err.value.retry_at == NOW + timedelta(seconds=240)
    assert len(inst.requests) == 1


def test_low_remaining_quota_slows_the_next_request() -> None:
    low = response_of("verify_credentials")
    low.headers["X-RateLimit-Remaining"] = "9"  # under 10 % of 300; reset 300 s after Date
    inst = Instance()
    inst.add("GET", "/api/v1/accounts/verify_credentials", low)
    sleeps = Sleeps()
    c = client(inst, sleeps=sleeps)
    c.verify_credentials()
    assert sleeps == []
    c.verify_credentials()
    assert sleeps == [pytest.approx(30.0)]  # 300 s / (9 + 1): the rest spread over the window


def test_exhausted_quota_stops_before_asking_again() -> None:
    empty = response_of("verify_credentials")
    empty.headers["X-RateLimit-Remaining"] = "0"
    inst = Instance()
    inst.add("GET", "/api/v1/accounts/verify_credentials", empty)
    c = client(inst)
    c.verify_credentials()
    with pytest.raises(RateLimited) as err:
        c.verify_credentials()
    assert err.value.retry_at == NOW + timedelta(seconds=300)
    assert len(inst.requests) == 1


# --- actions ---------------------------------------------------------------------------


def test_reply_to_a_dm_is_a_dm_with_the_idempotency_key() -> None:
    inst = recorded_instance()
    new_id = client(inst).reply(
        ID["DM2"], "Vad bra, ha en fin dag!", idempotency_key="case-17-reply-1"
    )
    assert new_id == fixture("status_created")["body"]["id"]
    get, post = inst.requests
    assert get.method == "GET" and get.url.path == f"/api/v1/statuses/{ID['DM2']}"
    assert post.headers["idempotency-key"] == "case-17-reply-1"
    form = dict(httpx.QueryParams(post.content.decode()))
    assert form == {
        "status": "@lisa Vad bra, ha en fin dag!",  # a direct status reaches only those mentioned
        "in_reply_to_id": ID["DM2"],
        "visibility": "direct",
    }


def test_reply_twice_sends_the_same_key() -> None:
    inst = recorded_instance()
    c = client(inst)
    first = c.reply(ID["C1"], "@anna Hej! Klart i juni.", idempotency_key="k-1")
    second = c.reply(ID["C1"], "@anna Hej! Klart i juni.", idempotency_key="k-1")
    posts = [r for r in inst.requests if r.method == "POST"]
    assert first == second and {p.headers["idempotency-key"] for p in posts} == {"k-1"}
    form = dict(httpx.QueryParams(posts[0].content.decode()))
    assert form["visibility"] == "public" and form["status"] == "@anna Hej! Klart i juni."


def test_reply_to_a_missing_status_is_not_found() -> None:
    with pytest.raises(NotFound):
        client(recorded_instance()).reply("1", "Hej", idempotency_key="k")


def test_delete_own_status() -> None:
    inst = recorded_instance()
    assert client(inst).delete(ID["P2"]) is None
    assert [f"{r.method} {r.url.path}" for r in inst.requests][
        -1
    ] == f"DELETE /api/v1/statuses/{ID['P2']}"


def test_delete_of_someone_elses_status_is_refused_without_trying() -> None:
    inst = recorded_instance()
    with pytest.raises(Refused) as err:
        client(inst).delete(ID["C1"])
    assert err.value.permanent and "block" in str(err.value)
    assert all(r.method != "DELETE" for r in inst.requests)


def test_delete_of_a_gone_status_is_not_found() -> None:
    with pytest.raises(NotFound):
        client(recorded_instance()).delete("1")


def test_hiding_is_not_available_on_mastodon() -> None:
    inst = recorded_instance()
    with pytest.raises(Refused) as err:
        client(inst).set_hidden(ID["C1"], True)
    assert err.value.permanent and inst.requests == []


# --- the normaliser on recorded pages -----------------------------------------------------


def normalise(name: str, endpoint: str, **context: Any) -> dict:
    return by_id(
        Mastodon.normalise(
            body_of(name), {"endpoint": endpoint, "account_external_id": ACCOUNT, **context}
        )
    )


def test_own_statuses_page() -> None:
    items = normalise("statuses_1", "statuses")
    boost, r1, p1 = items[ID["B1"]], items[ID["R1"]], items[ID["P1"]]
    assert (p1.kind, p1.direction, p1.record_type) == ("post", "upprattad", "own_post")
    assert (
        p1.text
        == "Nu börjar arbetet på #Storgatan. Läs mer: https://www.exempel.se/trafik/storgatan-2025"
    )
    assert p1.thread_platform_id == ID["P1"] and p1.parent_platform_id is None
    assert p1.author_id == ACCOUNT and p1.author_name == "Exempel kommun"
    assert p1.created_at == datetime(2025, 3, 2, 8, 0, tzinfo=UTC) and p1.created_at.tzinfo is UTC
    assert p1.url == f"{BASE}/@exempelkommun/{ID['P1']}" and p1.state == "visible"
    assert [(m.mime_type, m.platform_id) for m in p1.media] == [("video/mp4", "22546306")]
    assert (r1.kind, r1.direction, r1.parent_platform_id) == ("reply", "upprattad", ID["C1"])
    assert r1.thread_platform_id == ID["C1"]  # as far as this page shows
    # our own boost is our record; the boosted text is kept with whose it is
    assert (boost.kind, boost.direction, boost.record_type) == ("post", "upprattad", "own_post")
    assert boost.text.startswith(
        f"[Boost av @erik@fedi.example.org] https://fedi.example.org/@erik/{ID['E1']}\n\n"
    )
    assert "för snabb grusning av cykelbanan!" in boost.text
    assert ID["E1"] not in items


def test_content_warning_paragraphs_and_edit_time() -> None:
    items = normalise("statuses_2", "statuses")
    p0, d1 = items[ID["P0"]], items[ID["D1"]]
    assert p0.text == (
        "Vägarbete\n\n"
        "Från måndag 3 mars stängs Storgatan mellan Torget och Ågatan.\n\n"
        "Omledning via Järnvägsgatan.\nBusslinje 2 stannar vid Stationen."
    )
    assert p0.edited_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert [(m.url.rsplit("/", 1)[-1], m.mime_type) for m in p0.media] == [
        ("57859aede991da25.jpeg", "image/jpeg")
    ]
    assert (d1.kind, d1.direction, d1.record_type) == ("message", "upprattad", "own_post")
    assert d1.parent_platform_id == ID["DM0"]


def test_notifications_page() -> None:
    first = normalise("notifications_1", "notifications")
    assert set(first) == {ID["E1"], ID["DM2"], ID["C4"]}  # the favourite is not a record
    dm2, c4, e1 = first[ID["DM2"]], first[ID["C4"]], first[ID["E1"]]
    assert (dm2.kind, dm2.direction, dm2.record_type) == ("message", "inkommen", "direct_message")
    assert dm2.parent_platform_id == ID["D1"] and dm2.author_name == "lisa"  # no display name
    assert (c4.kind, c4.record_type, c4.parent_platform_id) == (
        "comment",
        "public_comment",
        ID["R1"],
    )
    assert (e1.kind, e1.direction) == ("post", "inkommen") and e1.author_name == "Erik 🚲"
    assert [(m.mime_type, m.url) for m in e1.media] == [
        ("video/mp4", "https://fedi.example.org/media/original/bc84838f77991326.mp4")
    ]  # a remote gifv not fetched yet: url null, remote_url kept
    second = normalise("notifications_2", "notifications")
    c1 = second[ID["C1"]]
    assert (c1.kind, c1.parent_platform_id) == ("comment", ID["P1"])
    assert c1.text == '@exempelkommun När blir "bygget" klart? Jag bor på Storgatan 5 & undrar <3'
    assert (second[ID["M1"]].kind, second[ID["M1"]].record_type) == ("post", "public_comment")
    assert second[ID["DM0"]].kind == "message"


def test_update_notifications_count_only_when_the_status_concerns_us() -> None:
    page = json.loads(body_of("notifications_1"))
    update = page[0]
    update["status"]["mentions"] = []
    update["status"]["id"] = "999"
    body = json.dumps([update]).encode()
    assert (
        Mastodon.normalise(
            body, {"endpoint": "notifications", "account_external_id": ACCOUNT}
        ).items
        == []
    )


def test_context_page_gives_the_thread_its_root() -> None:
    items = normalise("context_P1", "context", status_id=ID["P1"])
    assert set(items) == {ID["C1"], ID["R1"], ID["C4"], ID["C3"], ID["C2"]}
    assert {i.thread_platform_id for i in items.values()} == {ID["P1"]}
    kinds = {
        name: (items[ID[name]].kind, items[ID[name]].direction)
        for name in ("C1", "R1", "C4", "C3", "C2")
    }
    assert kinds == {
        "C1": ("comment", "inkommen"),  # on our post
        "R1": ("reply", "upprattad"),  # our answer
        "C4": ("comment", "inkommen"),  # on our answer
        "C3": ("reply", "inkommen"),  # to Anna, not mentioning us: only /context finds it
        "C2": ("comment", "inkommen"),
    }
    assert items[ID["C2"]].text == "Äntligen! Det var på tiden.\n\nHoppas det blir bra."
    dm = normalise("context_D1", "context", status_id=ID["D1"])
    assert set(dm) == {ID["DM0"], ID["DM2"]}
    assert {i.thread_platform_id for i in dm.values()} == {ID["DM0"]}


def test_conversations_page() -> None:
    items = normalise("conversations", "conversations")
    assert list(items) == [ID["DM2"]]  # the conversation with last_status null gives nothing
    assert items[ID["DM2"]].record_type == "direct_message"


def test_history_page() -> None:
    meta = {
        "kind": "comment", "direction": "inkommen", "record_type": "public_comment",
        "parent_platform_id": ID["P1"], "thread_platform_id": ID["P1"],
        "url": f"https://fedi.example.org/@erik/{ID['C2']}", "created_at": "2025-03-02T09:00:00Z",
    }  # fmt: skip
    item = normalise("history_C2", "history", status_id=ID["C2"], status=meta)[ID["C2"]]
    assert item.text == "Äntligen! Det var på tiden.\n\nHoppas det blir bra."
    assert item.history == (
        ("Äntligen!!! Det var på tiden, era slöfockar.", datetime(2025, 3, 2, 9, 0, tzinfo=UTC)),
        ("Äntligen! Det var på tiden.", datetime(2025, 3, 2, 9, 20, tzinfo=UTC)),
    )
    assert item.edited_at == datetime(2025, 3, 2, 9, 40, tzinfo=UTC)
    assert (item.kind, item.parent_platform_id, item.author_id) == (
        "comment",
        ID["P1"],
        "108765432109",
    )
    own = normalise("history_P0", "history", status_id=ID["P0"])[ID["P0"]]
    assert (own.direction, own.record_type) == ("upprattad", "own_post")
    assert own.history == (
        ("Från måndag stängs Storgatan.", datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
    )
    assert own.text.startswith("Vägarbete\n\nFrån måndag 3 mars")


def test_a_deleted_status_returned_by_delete_reads_its_source_text() -> None:
    item = normalise("status_deleted", "status")[ID["P2"]]
    assert item.text == "Öppet hus på biblioteket i kväll kl 18."


def test_pages_read_through_poll_match_the_endpoint_normaliser() -> None:
    pages = list(client(recorded_instance()).poll({}, full=True))
    history = [
        p
        for p in pages
        if p.context["endpoint"] == "history" and p.context["status_id"] == ID["C2"]
    ][0]
    item = Mastodon.normalise(
        history.body, {**history.context, "account_external_id": ACCOUNT}
    ).items[0]
    assert (item.kind, item.thread_platform_id, item.parent_platform_id) == (
        "comment",
        ID["P1"],
        ID["P1"],
    )
    assert item.created_at == datetime(2025, 3, 2, 9, 0, tzinfo=UTC)


def test_normalise_is_pure() -> None:
    body = body_of("context_P1")
    context = {"endpoint": "context", "status_id": ID["P1"], "account_external_id": ACCOUNT}
    before_body, before_context = bytes(body), copy.deepcopy(context)
    assert Mastodon.normalise(body, context) == Mastodon.normalise(body, context)
    assert body == before_body and context == before_context


@pytest.mark.parametrize(
    ("body", "context"),
    [
        (b"", {"endpoint": "statuses"}),
        (b"\xff\xfe", {"endpoint": "statuses"}),
        (b'{"id": "1"}', {"endpoint": "statuses"}),
        (b"[1, 2]", {"endpoint": "statuses"}),
        (b'[{"id": "1"}]', {"endpoint": "statuses"}),  # no account
        (b'{"error": "The access token is invalid"}', {"endpoint": "statuses"}),
        (b'{"error": "Record not found"}', {"endpoint": "statuses"}),
        (b"[]", {"endpoint": "favourites"}),
        (b"[]", "not a dict"),
        (b'[{"content": "<p>x</p>"}]', {"endpoint": "history"}),  # no status_id in the context
        (b'{"ancestors": 3}', {"endpoint": "context"}),
    ],
)
def test_unreadable_payloads_are_malformed(body: bytes, context: Any) -> None:
    with pytest.raises(MalformedPayload):
        Mastodon.normalise(body, context)


# --- properties ---------------------------------------------------------------------------

_ASCII_SPACE = " \t\n\r\f\v"


def _canonical(text: str) -> str:
    flat = "".join(" " if c in _ASCII_SPACE else c for c in text)
    return " ".join(part for part in flat.split(" ") if part)


@given(st.text())
def test_html_to_text_never_raises(content: str) -> None:
    assert isinstance(html_to_text(content), str)


@given(st.text())
def test_escaped_plain_text_comes_back(text: str) -> None:
    assert html_to_text(html.escape(text)) == _canonical(text)


_line = st.text(min_size=1).filter(lambda s: _canonical(s) != "")


@given(st.lists(st.lists(_line, min_size=1, max_size=4), max_size=4))
def test_paragraphs_and_line_breaks(paragraphs: list[list[str]]) -> None:
    markup = "".join(
        "<p>" + "<br />".join(html.escape(line) for line in p) + "</p>" for p in paragraphs
    )
    expected = "\n\n".join("\n".join(_canonical(line) for line in p) for p in paragraphs)
    assert html_to_text(markup) == expected


_TAGS = [
    "<p>", "</p>", "<br>", "<br />", '<span class="invisible">', '<span class="ellipsis">', "</span>",
    '<a href="https://x.example/?a=1&amp;b=2" rel="nofollow">', "</a>", '<span class="h-card">',
    "<ul>", "<li>", "</li>", "</ul>", "<ol>", "</ol>", "<pre>", "</pre>", "<code>", "</code>",
    "<blockquote>", "</blockquote>", "<strong>", "</strong>", "<em>", "<del>", "<script>", "</script>",
    "<!-- x -->", "<b>", "</div>", "<div class='quote-inline'>",
]  # fmt: skip
_safe_text = st.text(alphabet=st.characters(blacklist_characters="<>&"))


@given(st.lists(st.one_of(st.sampled_from(_TAGS), _safe_text)))
def test_no_markup_survives(parts: list[str]) -> None:
    text = html_to_text("".join(parts))
    assert "<" not in text and ">" not in text


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)
_contexts = st.fixed_dictionaries(
    {"endpoint": st.sampled_from(ENDPOINTS)},
    optional={
        "account_external_id": st.one_of(st.just(ACCOUNT), st.text(), st.integers(), st.none()),
        "status_id": st.one_of(st.just(ID["P1"]), st.text(), st.none(), st.integers()),
        "status": _json,
    },
)


def _only_malformed(body: bytes, context: Any) -> None:
    try:
        result = Mastodon.normalise(body, context)
    except MalformedPayload:
        return
    assert isinstance(result, Normalised)
    for item in result.items:
        assert isinstance(item.text, str) and item.platform_id
        for moment in (item.created_at, item.edited_at, *(t for _, t in item.history)):
            assert moment is None or moment.utcoffset() == timedelta(0)


@given(st.binary(), _contexts)
def test_random_bytes_only_raise_malformed(body: bytes, context: dict) -> None:
    _only_malformed(body, context)


@given(_json, _contexts)
def test_random_json_only_raises_malformed(data: Any, context: dict) -> None:
    _only_malformed(json.dumps(data).encode(), context)


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The documented type, or a wrong one."""
    return st.one_of(
        strategy, st.none(), st.integers(), st.text(), st.lists(st.integers(), max_size=2)
    )


_account = st.fixed_dictionaries(
    {"id": st.one_of(st.just(ACCOUNT), st.just("7"), st.integers(1, 10**18))},
    optional={"display_name": _maybe(st.text()), "acct": _maybe(st.text())},
)
_status = st.fixed_dictionaries(
    {"id": st.one_of(st.text(min_size=1), st.integers(1, 10**18)), "account": _account},
    optional={
        "content": _maybe(st.text()),
        "spoiler_text": _maybe(st.text()),
        "visibility": _maybe(st.sampled_from(["public", "unlisted", "private", "direct"])),
        "in_reply_to_id": _maybe(st.sampled_from([ID["P1"], "1", "2"])),
        "in_reply_to_account_id": _maybe(st.sampled_from([ACCOUNT, "7"])),
        "created_at": _maybe(
            st.sampled_from(
                [
                    "2025-03-01T08:00:00.000Z",
                    "2025-03-01T09:00:00+02:00",
                    "2025-03-01",
                    "0001-01-01T00:00:00+01:00",
                    "nonsense",
                ]
            )
        ),
        "edited_at": _maybe(st.sampled_from(["2025-03-01T08:00:00.123Z", "x"])),
        "media_attachments": _maybe(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "url": _maybe(st.text()),
                        "type": _maybe(st.text()),
                        "remote_url": _maybe(st.text()),
                    },
                ),
                max_size=2,
            )
        ),
        "mentions": _maybe(
            st.lists(
                st.fixed_dictionaries({}, optional={"id": _maybe(st.just(ACCOUNT))}), max_size=2
            )
        ),
        "reblog": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"id": st.just("5"), "account": _account}, optional={"content": _maybe(st.text())}
            ),
        ),
        "url": _maybe(st.text()),
    },
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_status, max_size=4),
    st.sampled_from(["statuses", "context", "notifications", "conversations"]),
)
def test_status_shaped_data_normalises_or_is_malformed(statuses: list[dict], endpoint: str) -> None:
    if endpoint == "context":
        data: Any = {"ancestors": statuses[:1], "descendants": statuses[1:]}
    elif endpoint == "notifications":
        data = [{"id": str(i), "type": "mention", "status": s} for i, s in enumerate(statuses)]
    elif endpoint == "conversations":
        data = [{"id": str(i), "last_status": s} for i, s in enumerate(statuses)]
    else:
        data = statuses
    context = {"endpoint": endpoint, "account_external_id": ACCOUNT, "status_id": ID["P1"]}
    _only_malformed(json.dumps(data).encode(), context)
    # and the normaliser is deterministic on whatever it accepted
    try:
        assert Mastodon.normalise(json.dumps(data).encode(), context) == Mastodon.normalise(
            json.dumps(data).encode(), context
        )
    except MalformedPayload:
        pass


# --- against the simulator over real HTTP --------------------------------------------------


@pytest.fixture(scope="module")
def sim():
    from insyn.simulator import start_in_thread

    handle = start_in_thread(seed=1, port=0, mastodon_port=0)
    world = handle.simulator.seed_default_world(history_days=2)
    handle.simulator.tick(60)  # thread replies, DMs and follow-ups, edits, deletions, boosts
    yield handle, world["mastodon_account"]
    handle.stop()


def sim_client(handle, account: dict, **seam: Any) -> Mastodon:
    connection = Connection(
        platform="mastodon",
        external_id=account["account_id"],
        handle=f"@{account['acct']}@127.0.0.1",
        base_url=handle.mastodon_url,
        token=account["token"],
    )
    return Mastodon(connection, HttpSeam(sleep=lambda s: None, **seam))


def concerning(world, account_id: str) -> set[str]:
    """Ground truth: the live statuses the account can see that are its own, mention it, or
    sit in a thread with one of its own statuses (replies under it, or what it answers)."""
    live = {k: s for k, s in world.statuses.items() if s.deleted_at is None}

    def visible(s) -> bool:
        return (
            s.visibility in ("public", "unlisted")
            or s.account_id == account_id
            or account_id in s.mentions
        )

    found = {k for k, s in live.items() if s.account_id == account_id or account_id in s.mentions}
    stack = [k for k, s in live.items() if s.account_id == account_id]
    visited: set[str] = set()
    while stack:
        sid = stack.pop()
        if sid in visited:
            continue
        visited.add(sid)
        for child in world.children_of(sid):
            if child.deleted_at is None and visible(child):
                found.add(child.id)
                stack.append(child.id)
    for own in [s for s in live.values() if s.account_id == account_id]:
        parent = live.get(own.in_reply_to_id or "")
        while parent is not None and visible(parent):
            found.add(parent.id)
            parent = live.get(parent.in_reply_to_id or "")
    return found


def test_simulator_full_poll_finds_every_status_concerning_the_account(sim) -> None:
    handle, account = sim
    world = handle.simulator.world
    client_ = sim_client(handle, account)
    assert client_.verify_credentials()["id"] == account["account_id"]
    state: dict = {}
    pages = list(client_.poll(state, full=True))
    assert all(p.status == 200 for p in pages)
    items: dict[str, list] = {}
    for _, normalised in normalise_pages(pages, account["account_id"]):
        for item in normalised.items:
            items.setdefault(item.platform_id, []).append(item)
    with world.lock:
        expected = concerning(world, account["account_id"])
        statuses = {k: world.statuses[k] for k in expected}
    assert set(items) == expected
    for sid, variants in items.items():
        # one record per status, whichever page it came from
        shapes = {
            (i.kind, i.direction, i.record_type, i.parent_platform_id, i.author_id)
            for i in variants
        }
        assert len(shapes) == 1, (sid, shapes)
        status = statuses[sid]
        kind, direction, _, parent, author = shapes.pop()
        assert author == status.account_id and parent == status.in_reply_to_id
        assert direction == (
            "upprattad" if status.account_id == account["account_id"] else "inkommen"
        )
        if status.visibility == "direct":
            assert kind == "message"
        newest = [i for i in variants if i.history] or variants
        if status.history:
            assert len(newest[0].history) == len(status.history) - 1
        if "@" not in status.text:  # mentions render as @username only, without their domain
            assert newest[0].text == "\n\n".join(
                "\n".join(_canonical(line) for line in p.split("\n") if _canonical(line))
                for p in status.text.strip().split("\n\n")
                if _canonical(p)
            )
    for endpoint in ("statuses", "notifications", "conversations"):
        ids = [
            x["id"] for p in pages if p.context["endpoint"] == endpoint for x in json.loads(p.body)
        ]
        assert len(ids) == len(set(ids)), endpoint
    assert len([p for p in pages if p.context["endpoint"] == "history"]) == len(
        [s for s in statuses.values() if s.edited_at is not None]
    )


def test_simulator_incremental_poll_reads_less_and_finds_the_new(sim) -> None:
    handle, account = sim
    client_ = sim_client(handle, account)
    state: dict = {}
    full = list(client_.poll(state, full=True))
    before = set(handle.simulator.world.statuses)
    new = handle.simulator.act(
        "status", account_id=account["account_id"], text="Nytt inlägg: sopkärlen töms på fredag."
    )
    resident = handle.simulator.act("mastodon_account", username="karin", display_name="Karin K")
    reply = handle.simulator.act(
        "status",
        account_id=resident["account_id"],
        text="Tack för infon!",
        in_reply_to_id=new["id"],
    )
    pages = list(client_.poll(state))
    assert len(pages) < len(full)
    found = {
        i.platform_id for _, n in normalise_pages(pages, account["account_id"]) for i in n.items
    }
    assert {new["id"], reply["id"]} <= found  # the reply mentions nobody: found through /context
    assert {new["id"], reply["id"]}.isdisjoint(before)


def test_simulator_lists_longer_than_a_page_are_walked_whole() -> None:
    """Forward and backward Link walks over several pages (limit 40 statuses, 80 notifications)."""
    from insyn.simulator import start_in_thread

    handle = start_in_thread(seed=2, port=0, mastodon_port=0, mastodon_limit=5000)
    try:
        sim_ = handle.simulator
        account = sim_.seed_default_world(history_days=0)["mastodon_account"]
        resident = sim_.act("mastodon_account", username="olle", display_name="Olle")

        def burst(n: int, tag: str) -> set[str]:
            ids = set()
            for i in range(n):
                ids.add(
                    sim_.act("status", account_id=account["account_id"], text=f"Inlägg {tag}{i}")[
                        "id"
                    ]
                )
                ids.add(
                    sim_.act(
                        "status",
                        account_id=resident["account_id"],
                        text=f"@{account['acct']} Fråga {tag}{i}",
                    )["id"]
                )
            return ids

        first = burst(85, "a")
        client_ = sim_client(handle, account)
        state: dict = {}
        pages = list(client_.poll(state, full=True))
        walks = collections.Counter(p.context["endpoint"] for p in pages)
        assert (walks["statuses"], walks["notifications"]) == (3, 2)  # 40+40+5, 80+5
        found = [i.platform_id for _, n in normalise_pages(pages, account["account_id"]) for i in n.items
                 if _ != "context"]  # fmt: skip
        assert sorted(found) == sorted(first)  # each once across the list walks

        second = burst(45, "b")
        pages = list(client_.poll(state))
        walks = collections.Counter(p.context["endpoint"] for p in pages)
        assert (walks["statuses"], walks["notifications"]) == (3, 2)  # 40+5+empty, 45+empty
        listed = [i.platform_id for _, n in normalise_pages(pages, account["account_id"]) for i in n.items
                  if _ in ("statuses", "notifications")]  # fmt: skip
        assert sorted(listed) == sorted(second)
    finally:
        handle.stop()


def test_simulator_reply_with_one_key_twice_is_one_status(sim) -> None:
    handle, account = sim
    world = handle.simulator.world
    client_ = sim_client(handle, account)
    with world.lock:
        dm = max(
            (s for s in world.statuses.values() if s.deleted_at is None and s.visibility == "direct"
             and s.account_id != account["account_id"]),
            key=lambda s: int(s.id),
        )  # fmt: skip
        count = len(world.statuses)
    first = client_.reply(dm.id, "Vi återkommer i morgon.", idempotency_key="case-1-reply")
    second = client_.reply(dm.id, "Vi återkommer i morgon.", idempotency_key="case-1-reply")
    assert first == second
    with world.lock:
        assert len(world.statuses) == count + 1
        created = world.statuses[first]
        author = world.maccounts[dm.account_id]
    assert created.visibility == "direct" and created.in_reply_to_id == dm.id
    assert created.text.startswith(f"@{author.acct} ") and dm.account_id in created.mentions
    third = client_.reply(dm.id, "Vi återkommer i morgon.", idempotency_key="case-1-reply-2")
    assert third != first


def test_simulator_delete_and_hide(sim) -> None:
    handle, account = sim
    client_ = sim_client(handle, account)
    mine = handle.simulator.act(
        "status", account_id=account["account_id"], text="Fel inlägg, tas bort."
    )
    client_.delete(mine["id"])
    with pytest.raises(NotFound):
        client_.fetch_status(mine["id"])
    with handle.simulator.world.lock:
        theirs = next(
            s.id for s in handle.simulator.world.statuses.values()
            if s.deleted_at is None and s.account_id != account["account_id"] and s.visibility == "public"
        )  # fmt: skip
    with pytest.raises(Refused):
        client_.delete(theirs)
    with pytest.raises(Refused):
        client_.set_hidden(theirs, True)


def test_simulator_faults_are_retried(sim) -> None:
    handle, account = sim
    handle.simulator.add_fault("http_error", platform="mastodon", status=500, count=2)
    handle.simulator.add_fault(
        "rate_limit", platform="mastodon", count=1, path="/api/v1/notifications"
    )
    try:
        pages = list(sim_client(handle, account, max_wait=400).poll({}, full=True))
    finally:
        handle.simulator.clear_faults()
    assert pages and all(p.status == 200 for p in pages)


def test_simulator_truncated_page_stops_the_poll_and_the_next_one_recovers(sim) -> None:
    handle, account = sim
    client_ = sim_client(handle, account)
    handle.simulator.add_fault(
        "malformed", platform="mastodon", count=1, path="/api/v1/conversations"
    )
    state: dict = {}
    try:
        with pytest.raises(PlatformError):
            list(client_.poll(state, full=True))
    finally:
        handle.simulator.clear_faults()
    assert "conversations_cursor" not in state and state["statuses_cursor"]
    pages = list(client_.poll(state))  # no cursor for conversations yet: walked whole
    assert state["conversations_cursor"]
    assert any(p.context["endpoint"] == "conversations" for p in pages)


def test_simulator_expired_token_is_token_invalid(sim) -> None:
    handle, account = sim
    handle.simulator.set_token_state(account["token"], "expired")
    try:
        with pytest.raises(TokenInvalid) as err:
            sim_client(handle, account).verify_credentials()
        assert err.value.code == "The access token expired"
        with pytest.raises(TokenInvalid):
            list(sim_client(handle, account).poll({}))
    finally:
        handle.simulator.set_token_state(account["token"], "valid")
