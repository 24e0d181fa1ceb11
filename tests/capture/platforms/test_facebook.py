"""FacebookPage: the Graph client against responses recorded in the shapes Meta documents
(tests/fixtures/facebook/), the pure normaliser and the webhook signature, and at the end
the same client against the simulator over real HTTP."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import pathlib
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insyn.capture.platforms import platform_class
from insyn.capture.platforms.base import (
    Connection,
    FetchedPage,
    MalformedPayload,
    Normalised,
    NotFound,
    PlatformError,
    RateLimited,
    TokenInvalid,
)
from insyn.capture.platforms.facebook import GRAPH_VERSION, FacebookPage, verify_signature
from insyn.lib.http import HttpSeam

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "facebook"
GRAPH = "https://graph.facebook.com"
PAGE = "104512345678901"
TOKEN = "EAAGtest-page-token-0123456789"
POST1 = f"{PAGE}_798765432109876"  # the Page's photo post, two pages of comments
POST2 = f"{PAGE}_798765432100001"  # a visitor's post, one comment by the Page
POST3 = f"{PAGE}_798765432100002"  # an older post without comments
ANNA_COMMENT = "798765432109876_1122334455667788"
T1, T2 = "t_10159000000000001", "t_10159000000000002"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


# --- a recorded Graph API ------------------------------------------------------------------


class RecordedGraph:
    """Answers from fixtures by method, path and `after` cursor, and records the requests.
    A route holds a list of answers: each request takes the next, the last one repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str, str | None], list[tuple]] = {}
        self.requests: list[httpx.Request] = []

    def add(self, method, path, body, *, after=None, status=200, headers=None, then=None):
        answers = [(status, body, headers or {})]
        if then is not None:
            answers.append((200, then, {}))
        self.routes[(method, f"/{GRAPH_VERSION}/{path}", after)] = answers

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path, request.url.params.get("after"))
        answers = self.routes.get(key)
        if answers is None:
            return httpx.Response(400, json=fixture("error_100_33"))
        status, body, headers = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(body, str):
            body = fixture(body)
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers=headers)

    def paths(self) -> list[str]:
        return [r.url.path.removeprefix(f"/{GRAPH_VERSION}/") for r in self.requests]


def standard(graph: RecordedGraph) -> RecordedGraph:
    graph.add("GET", PAGE, "page")
    graph.add("GET", f"{PAGE}/feed", "feed_1")
    graph.add("GET", f"{PAGE}/feed", "feed_2", after="QVFIUkFmdGVyMQZDZD")
    graph.add("GET", f"{POST1}/comments", "comments_post1_1")
    graph.add(
        "GET", f"{POST1}/comments", "comments_post1_2", after="WTI5dGJXVnVkRjlqZAFhKemIzSTZANVEE"
    )
    graph.add("GET", f"{POST2}/comments", "comments_post2")
    graph.add("GET", f"{POST3}/comments", "comments_empty")
    graph.add("GET", f"{PAGE}/conversations", "conversations_1")
    graph.add("GET", f"{PAGE}/conversations", "conversations_2", after="QVFIUmNvbnYxYWZ0ZXI")
    graph.add("GET", f"{T1}/messages", "messages_t1")
    graph.add("GET", f"{T2}/messages", "messages_t2")
    return graph


@pytest.fixture
def graph() -> RecordedGraph:
    return standard(RecordedGraph())


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(graph: RecordedGraph, sleeps: list[float]) -> FacebookPage:
    seam = HttpSeam(transport=httpx.MockTransport(graph.handler), sleep=sleeps.append)
    return FacebookPage(Connection("facebook_page", PAGE, "exempelkommun", GRAPH, TOKEN), seam)


def normalise_pages(pages: list[FetchedPage], page_id: str = PAGE) -> Normalised:
    out = Normalised()
    for page in pages:
        result = FacebookPage.normalise(page.body, {**page.context, "account_external_id": page_id})
        out.items.extend(result.items)
        out.signals.extend(result.signals)
    return out


def by_id(result: Normalised) -> dict:
    return {item.platform_id: item for item in result.items}


# --- the client: reading --------------------------------------------------------------------


def test_registered_under_its_platform_name() -> None:
    assert platform_class("facebook_page") is FacebookPage
    assert FacebookPage.name == "facebook_page"


def test_verify_credentials_reads_the_page(client, graph) -> None:
    assert client.verify_credentials() == fixture("page")
    (request,) = graph.requests
    assert request.url.path == f"/v23.0/{PAGE}"
    assert request.url.params["fields"] == "id,name,link"
    assert request.url.params["access_token"] == TOKEN  # as Meta's reference documents it


def test_full_poll_walks_every_page_and_finds_every_item_once(client, graph) -> None:
    pages = list(client.poll({}, full=True))
    assert [p.context for p in pages] == [
        {"endpoint": "feed"},
        {"endpoint": "feed"},
        {"endpoint": "comments", "post_id": POST1},
        {"endpoint": "comments", "post_id": POST1},
        {"endpoint": "comments", "post_id": POST2},
        {"endpoint": "comments", "post_id": POST3},
        {"endpoint": "conversations"},
        {"endpoint": "conversations"},
        {"endpoint": "messages", "conversation_id": T1},
        {"endpoint": "messages", "conversation_id": T2},
    ]
    result = normalise_pages(pages)
    counts = Counter(item.platform_id for item in result.items)
    assert set(counts.values()) == {1}
    assert Counter(item.kind for item in result.items) == {
        "post": 3,
        "comment": 3,
        "reply": 2,
        "message": 4,
    }
    assert all(p.status == 200 and p.body for p in pages)


def test_tokens_stay_out_of_page_urls_and_next_links_are_refreshed(client, graph) -> None:
    pages = list(client.poll({}, full=True))
    for page in pages:
        assert "access_token" not in page.url and TOKEN not in page.url
        assert page.url.startswith(f"{GRAPH}/v23.0/")
        assert TOKEN not in json.dumps(page.headers)
    assert "after=QVFIUkFmdGVyMQZDZD" in pages[1].url
    # The recorded next links carry a stale token: it is replaced by ours, exactly once.
    for request in graph.requests:
        assert request.url.params.get_list("access_token") == [TOKEN]
        assert "EAAGrecordedtoken" not in str(request.url)


def test_the_first_requests_ask_for_the_documented_fields(client, graph) -> None:
    list(client.poll({}, full=True))
    feed, comments = graph.requests[0].url.params, graph.requests[2].url.params
    assert feed["fields"].startswith("id,message,created_time,updated_time,permalink_url,from,")
    assert (
        "attachments{media_type,url,media,target" in feed["fields"]
        and "is_hidden" in feed["fields"]
    )
    assert feed["limit"] == "100" and "since" not in feed
    assert (comments["filter"], comments["order"]) == ("stream", "chronological")
    assert comments["fields"] == (
        "id,message,from,created_time,parent{id},is_hidden,permalink_url,attachment,comment_count"
    )
    conversations = next(r for r in graph.requests if r.url.path.endswith("/conversations"))
    assert conversations.url.params["platform"] == "messenger"
    assert conversations.url.params["fields"].startswith("id,updated_time,link,participants")
    messages = next(r for r in graph.requests if r.url.path.endswith("/messages"))
    assert messages.url.params["fields"] == "id,message,from,to,created_time,attachments"


def test_posts_comments_and_messages_are_classified(client) -> None:
    items = by_id(normalise_pages(list(client.poll({}, full=True))))

    own = items[POST1]
    assert (own.kind, own.direction, own.record_type) == ("post", "upprattad", "own_post")
    assert own.author_name == "Exempel kommun" and own.state == "visible"
    assert own.thread_platform_id == POST1 and own.parent_platform_id is None
    assert own.created_at == datetime(2025, 3, 1, 9, 15, 2, tzinfo=UTC)
    assert own.url == "https://www.facebook.com/104512345678901/posts/798765432109876"
    assert [m.url for m in own.media] == [
        "https://scontent.xx.fbcdn.net/v/t39.30808-6/stadshuset.jpg"
    ]
    assert own.media[0].platform_id == "798765432100500"
    visitor = items[POST2]
    assert (visitor.direction, visitor.record_type, visitor.author_id) == (
        "inkommen",
        "public_comment",
        "7000000000001",
    )

    comment = items[ANNA_COMMENT]
    assert (comment.kind, comment.direction, comment.record_type) == (
        "comment",
        "inkommen",
        "public_comment",
    )
    assert (comment.parent_platform_id, comment.thread_platform_id) == (POST1, POST1)
    assert comment.created_at == datetime(2025, 3, 1, 9, 20, 11, tzinfo=UTC)
    assert comment.created_at.utcoffset() == timedelta(0)
    reply = items["798765432109876_1122334455667799"]
    assert (reply.kind, reply.parent_platform_id, reply.thread_platform_id) == (
        "reply",
        ANNA_COMMENT,
        POST1,
    )
    page_reply = items["798765432109876_1122334455667800"]
    assert (page_reply.kind, page_reply.direction, page_reply.record_type) == (
        "reply",
        "upprattad",
        "own_post",
    )
    hidden = items["798765432109876_1122334455667811"]
    assert hidden.state == "hidden" and hidden.kind == "comment"
    assert [m.url for m in hidden.media] == [
        "https://scontent.xx.fbcdn.net/v/t39.30808-6/sopor.jpg"
    ]
    page_comment = items["798765432100001_2233445566778801"]
    assert (page_comment.kind, page_comment.direction, page_comment.parent_platform_id) == (
        "comment",
        "upprattad",
        POST2,
    )

    incoming = items["m_AbC1xYzQ3fQmVnTz7aLw3Kq1"]
    assert (incoming.kind, incoming.direction, incoming.record_type) == (
        "message",
        "inkommen",
        "direct_message",
    )
    assert incoming.thread_platform_id == T1 and incoming.author_name == "Anna Andersson"
    answer = items["m_AbC2xYzQ3fQmVnTz7aLw3Kq1"]
    assert (answer.direction, answer.record_type) == ("upprattad", "direct_message")
    photo = items["m_AbC3xYzQ3fQmVnTz7aLw3Kq1"].media[0]
    assert (photo.mime_type, photo.platform_id) == ("image/jpeg", "2233445566770001")
    assert "19121212-1212" in items["m_DeF1xYzQ3fQmVnTz7aLw3Kq9"].text


# --- incremental polling --------------------------------------------------------------------


def test_incremental_poll_fetches_only_what_changed(client, graph) -> None:
    client.fresh = timedelta(0)  # rely on updated_time alone
    state: dict = {}
    first = list(client.poll(state))  # no state yet: everything, like a full pass
    assert len(first) == 10
    assert state["feed_newest"] == "2025-03-01T09:15:02+00:00"
    assert set(state["posts"]) == {POST1, POST2, POST3}
    assert set(state["conversations"]) == {T1, T2}

    graph.requests.clear()
    quiet = list(client.poll(state))
    assert [p.context["endpoint"] for p in quiet] == [
        "feed",
        "feed",
        "conversations",
        "conversations",
    ]
    since = int(graph.requests[0].url.params["since"])
    assert since == int(
        (datetime(2025, 3, 1, 9, 15, 2, tzinfo=UTC) - timedelta(days=30)).timestamp()
    )

    # A new comment on the old visitor post, and a new message in David's conversation.
    feed = fixture("feed_1")
    feed["data"][1]["updated_time"] = "2025-03-02T12:00:00+0000"
    graph.add("GET", f"{PAGE}/feed", feed)
    conversations = fixture("conversations_1")
    david = fixture("conversations_2")["data"][0]
    david.update(updated_time="2025-03-02T12:05:00+0000", message_count=2)
    conversations["data"].insert(0, david)
    graph.add("GET", f"{PAGE}/conversations", conversations)
    messages = fixture("messages_t2")
    messages["data"].insert(
        0,
        {
            "id": "m_DeF2xYzQ3fQmVnTz7aLw3Kq9",
            "message": "Hallå?",
            "created_time": "2025-03-02T12:05:00+0000",
            "from": {"name": "David Dahl", "id": "7000000000004"},
            "to": {"data": [{"name": "Exempel kommun", "id": PAGE}]},
        },
    )
    graph.add("GET", f"{T2}/messages", messages)
    graph.requests.clear()
    changed = list(client.poll(state))
    assert graph.paths() == [
        f"{PAGE}/feed",
        f"{PAGE}/feed",
        f"{POST2}/comments",
        f"{PAGE}/conversations",
        f"{PAGE}/conversations",
        f"{T2}/messages",
    ]
    assert "m_DeF2xYzQ3fQmVnTz7aLw3Kq9" in by_id(normalise_pages(changed))
    assert state["posts"][POST2] == "2025-03-02T12:00:00+0000"
    assert state["conversations_hw"] == "2025-03-02T12:05:00+00:00"


def test_incremental_poll_rewalks_fresh_posts_by_default(client, graph) -> None:
    state: dict = {}
    list(client.poll(state, full=True))
    graph.requests.clear()
    list(client.poll(state))
    # Posts created within 3 days of the newest are walked again; the older one is not.
    assert f"{POST1}/comments" in graph.paths() and f"{POST2}/comments" in graph.paths()
    assert f"{POST3}/comments" not in graph.paths()
    assert len(graph.requests) < 10


def test_messages_stop_at_what_was_already_captured(client, graph) -> None:
    state: dict = {}
    list(client.poll(state, full=True))
    older = {
        "data": [
            {
                "id": "m_old",
                "message": "gammalt",
                "created_time": "2025-02-01T10:00:00+0000",
                "from": {"name": "Anna Andersson", "id": "7000000000001"},
            }
        ]
    }
    first = fixture("messages_t1")
    first["data"].insert(
        0,
        {
            "id": "m_new",
            "message": "nytt",
            "created_time": "2025-03-02T08:00:00+0000",
            "from": {"name": "Anna Andersson", "id": "7000000000001"},
        },
    )
    first["paging"]["next"] = f"{GRAPH}/v23.0/{T1}/messages?limit=100&after=QVFIUm1zZzM"
    graph.add("GET", f"{T1}/messages", first)
    graph.add("GET", f"{T1}/messages", older, after="QVFIUm1zZzM")
    conversations = fixture("conversations_1")
    conversations["data"][0].update(updated_time="2025-03-02T08:00:00+0000", message_count=4)
    graph.add("GET", f"{PAGE}/conversations", conversations)
    graph.requests.clear()
    list(client.poll(state))
    assert graph.paths().count(f"{T1}/messages") == 1  # the older page is not fetched
    assert state["conversations"][T1]["newest"] == "2025-03-02T08:00:00+00:00"
    graph.requests.clear()
    list(client.poll(state, full=True))
    assert graph.paths().count(f"{T1}/messages") == 2  # a full pass reads it all


def test_state_marks_a_unit_only_when_its_last_page_is_handed_over(client, graph) -> None:
    client.fresh = timedelta(0)
    state: dict = {}
    pages = client.poll(state)
    for page in pages:
        if page.context == {"endpoint": "comments", "post_id": POST1}:
            break  # the caller stored the first of two comment pages, then crashed
    pages.close()
    assert "feed_newest" in state and POST1 not in state["posts"]
    graph.requests.clear()
    list(client.poll(state))
    assert graph.paths().count(f"{POST1}/comments") == 2


def test_unreadable_page_is_handed_over_then_the_poll_fails(client, graph) -> None:
    graph.add("GET", f"{PAGE}/feed", fixture_bytes("feed_1")[:200])
    state: dict = {}
    pages = client.poll(state)
    page = next(pages)
    assert page.context == {"endpoint": "feed"}
    with pytest.raises(MalformedPayload):
        FacebookPage.normalise(page.body, {**page.context, "account_external_id": PAGE})
    with pytest.raises(PlatformError) as caught:
        next(pages)
    assert not caught.value.permanent and "feed_newest" not in state


def test_a_next_link_to_another_host_is_followed_by_cursor_only(client, graph) -> None:
    feed = fixture("feed_1")
    feed["paging"]["next"] = (
        "https://evil.example/v23.0/x/feed?after=QVFIUkFmdGVyMQZDZD&access_token=leak"
    )
    graph.add("GET", f"{PAGE}/feed", feed)
    list(client.poll({}, full=True))
    assert {r.url.host for r in graph.requests} == {"graph.facebook.com"}
    second = graph.requests[1]
    assert second.url.path == f"/v23.0/{PAGE}/feed"
    assert second.url.params["after"] == "QVFIUkFmdGVyMQZDZD"
    assert second.url.params["fields"] == graph.requests[0].url.params["fields"]


def test_a_foreign_next_link_without_a_cursor_ends_the_walk_without_a_mark(client, graph) -> None:
    feed = fixture("feed_1")
    feed["paging"] = {"next": "https://evil.example/v23.0/x/feed?after=X"}
    graph.add("GET", f"{PAGE}/feed", feed)
    state: dict = {}
    pages = client.poll(state)
    assert next(pages).context == {"endpoint": "feed"}
    with pytest.raises(PlatformError, match="points elsewhere"):
        next(pages)
    assert "feed_newest" not in state and len(graph.requests) == 1


# --- the client: errors, retries and rate limits -------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "kind", "code"),
    [
        ("error_190_463", 400, TokenInvalid, 190),
        ("error_190_460", 400, TokenInvalid, 190),
        ("error_190", 400, TokenInvalid, 190),
        ("error_4", 400, RateLimited, 4),
        ("error_32", 400, RateLimited, 32),
        ("error_100_33", 400, NotFound, 100),
        ("error_10", 403, PlatformError, 10),
    ],
)
def test_graph_errors_map_to_the_contract(client, graph, name, status, kind, code) -> None:
    graph.add("GET", PAGE, name, status=status)
    with pytest.raises(kind) as caught:
        client.verify_credentials()
    error = caught.value
    assert type(error) is kind and error.code == code and error.status == status
    assert fixture(name)["error"]["fbtrace_id"] in str(error)
    assert TOKEN not in str(error)
    assert error.permanent is (kind in (TokenInvalid, NotFound, PlatformError))
    if kind is RateLimited:
        assert error.retry_at is not None and error.retry_at > datetime.now(UTC)
    assert len(graph.requests) == 1  # none of these is retried in-process


@pytest.mark.parametrize("code", [102, 104])
def test_session_and_missing_token_errors_are_token_errors(client, graph, code) -> None:
    graph.add(
        "GET",
        PAGE,
        {"error": {"message": "x", "type": "OAuthException", "code": code, "fbtrace_id": "A"}},
        status=400,
    )
    with pytest.raises(TokenInvalid):
        client.verify_credentials()


def test_rate_limit_retry_at_comes_from_the_buc_header(client, graph) -> None:
    usage = {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 40,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    graph.add(
        "GET",
        PAGE,
        "error_32",
        status=400,
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    with pytest.raises(RateLimited) as caught:
        client.verify_credentials()
    wait = caught.value.retry_at - datetime.now(UTC)
    assert timedelta(minutes=6) < wait <= timedelta(minutes=7)
    with pytest.raises(RateLimited):  # and no further call goes out meanwhile
        client.verify_credentials()
    assert len(graph.requests) == 1


def test_a_5xx_is_retried_then_succeeds(client, graph, sleeps) -> None:
    graph.add("GET", PAGE, "error_1", status=500, then="page")
    assert client.verify_credentials()["id"] == PAGE
    assert len(graph.requests) == 2 and len(sleeps) == 1


def test_a_429_waits_as_long_as_retry_after_says(client, graph, sleeps) -> None:
    graph.add("GET", PAGE, "error_4", status=429, headers={"Retry-After": "3"}, then="page")
    assert client.verify_credentials()["id"] == PAGE
    assert sleeps and sleeps[0] >= 3


def test_a_transient_graph_error_on_400_is_retried(client, graph) -> None:
    graph.add("GET", PAGE, "error_1", status=400, then="page")
    assert client.verify_credentials()["id"] == PAGE


def test_persistent_5xx_gives_a_retryable_error(client, graph) -> None:
    graph.add("GET", PAGE, "error_1", status=503)
    with pytest.raises(PlatformError) as caught:
        client.verify_credentials()
    assert type(caught.value) is PlatformError and not caught.value.permanent
    assert len(graph.requests) == client.http.max_attempts


def test_a_429_with_a_long_wait_is_left_to_the_scheduler(client, graph, sleeps) -> None:
    usage = {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 5,
                "total_time": 5,
                "estimated_time_to_regain_access": 30,
            }
        ]
    }
    graph.add(
        "GET", PAGE, "error_4", status=429, headers={"X-Business-Use-Case-Usage": json.dumps(usage)}
    )
    with pytest.raises(RateLimited) as caught:
        client.verify_credentials()
    assert caught.value.retry_at - datetime.now(UTC) > timedelta(minutes=29)
    assert len(graph.requests) == 1 and sleeps == []


def test_network_failures_become_retryable_errors_without_the_token(sleeps) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.url}", request=request)

    seam = HttpSeam(transport=httpx.MockTransport(refuse), sleep=sleeps.append)
    client = FacebookPage(Connection("facebook_page", PAGE, "x", GRAPH, TOKEN), seam)
    with pytest.raises(PlatformError) as caught:
        client.verify_credentials()
    assert not caught.value.permanent and TOKEN not in str(caught.value)
    assert len(sleeps) == seam.max_attempts - 1


def test_polling_slows_down_above_80_percent(client, graph, sleeps) -> None:
    graph.add(
        "GET",
        f"{PAGE}/feed",
        "feed_1",
        headers={"X-App-Usage": '{"call_count":90,"total_cputime":12,"total_time":30}'},
    )
    list(client.poll({}, full=True))
    assert sleeps[0] == pytest.approx(7.5)


def test_polling_stops_at_95_percent_but_the_inbox_can_still_act(client, graph) -> None:
    graph.add(
        "GET",
        f"{PAGE}/feed",
        "feed_1",
        headers={"X-App-Usage": '{"call_count":96,"total_cputime":12,"total_time":30}'},
    )
    graph.add("POST", f"{ANNA_COMMENT}/comments", {"id": "798765432109876_99"})
    pages = client.poll({}, full=True)
    next(pages)
    with pytest.raises(RateLimited) as caught:
        next(pages)
    assert caught.value.retry_at > datetime.now(UTC)
    assert client.reply(ANNA_COMMENT, "Tack!", idempotency_key="k") == "798765432109876_99"


def test_usage_at_100_percent_blocks_every_call(client, graph) -> None:
    graph.add(
        "GET",
        PAGE,
        "page",
        headers={"X-App-Usage": '{"call_count":100,"total_cputime":12,"total_time":30}'},
    )
    client.verify_credentials()
    with pytest.raises(RateLimited):
        client.delete(ANNA_COMMENT)
    assert len(graph.requests) == 1


# --- the client: moderation and answering --------------------------------------------------


def test_reply_posts_a_comment_and_returns_its_id(client, graph) -> None:
    graph.add("POST", f"{ANNA_COMMENT}/comments", {"id": "798765432109876_1122334455669999"})
    new_id = client.reply(ANNA_COMMENT, "Hej Anna, ja!", idempotency_key="case-1:reply")
    assert new_id == "798765432109876_1122334455669999"
    (request,) = graph.requests
    assert request.method == "POST"
    assert dict(httpx.QueryParams(request.content.decode())) == {"message": "Hej Anna, ja!"}
    assert request.url.params["access_token"] == TOKEN


def test_reply_is_sent_once_even_when_the_answer_is_a_5xx(client, graph, sleeps) -> None:
    graph.add("POST", f"{ANNA_COMMENT}/comments", "error_1", status=500)
    with pytest.raises(PlatformError) as caught:
        client.reply(ANNA_COMMENT, "Hej", idempotency_key="k")
    assert not caught.value.permanent
    assert len(graph.requests) == 1 and sleeps == []


@pytest.mark.parametrize("hidden", [True, False])
def test_set_hidden_posts_is_hidden(client, graph, hidden) -> None:
    graph.add("POST", ANNA_COMMENT, {"success": True})
    client.set_hidden(ANNA_COMMENT, hidden)
    form = dict(httpx.QueryParams(graph.requests[0].content.decode()))
    assert form == {"is_hidden": "true" if hidden else "false"}


def test_an_unconfirmed_change_is_an_error(client, graph) -> None:
    graph.add("POST", ANNA_COMMENT, {"success": False})
    with pytest.raises(PlatformError):
        client.set_hidden(ANNA_COMMENT, True)


def test_delete_and_delete_of_what_is_gone(client, graph) -> None:
    graph.add("DELETE", ANNA_COMMENT, {"success": True})
    client.delete(ANNA_COMMENT)
    assert graph.requests[0].method == "DELETE"
    graph.add("DELETE", ANNA_COMMENT, "error_100_33", status=400)
    with pytest.raises(NotFound):
        client.delete(ANNA_COMMENT)


def test_send_message_uses_the_send_api(client, graph) -> None:
    graph.add(
        "POST",
        f"{PAGE}/messages",
        {"recipient_id": "7000000000001", "message_id": "m_AbC9xYzQ3fQmVnTz7aLw3Kq1"},
    )
    assert client.send_message("7000000000001", "Hej Anna!") == "m_AbC9xYzQ3fQmVnTz7aLw3Kq1"
    (request,) = graph.requests
    assert json.loads(request.content) == {
        "recipient": {"id": "7000000000001"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hej Anna!"},
    }
    assert TOKEN not in request.content.decode()


def test_send_message_outside_the_window_is_a_permanent_error(client, graph) -> None:
    outside = {
        "error": {
            "message": "(#10) This message is sent outside of allowed window.",
            "type": "OAuthException",
            "code": 10,
            "error_subcode": 2018278,
            "fbtrace_id": "B",
        }
    }
    graph.add("POST", f"{PAGE}/messages", outside, status=400)
    with pytest.raises(PlatformError) as caught:
        client.send_message("7000000000001", "Hej")
    assert caught.value.permanent and caught.value.code == 10


# --- webhooks ---------------------------------------------------------------------------------


def webhook(name: str) -> Normalised:
    return FacebookPage.normalise(fixture_bytes(name), {"source": "webhook"})


def test_webhook_comment_add() -> None:
    (item,) = webhook("webhook_comment_add").items
    assert (item.platform_id, item.kind, item.direction, item.record_type) == (
        ANNA_COMMENT,
        "comment",
        "inkommen",
        "public_comment",
    )
    assert (item.parent_platform_id, item.thread_platform_id) == (POST1, POST1)
    assert item.created_at == datetime.fromtimestamp(1740820811, UTC) and item.edited_at is None
    assert (
        item.text == "Går det att följa mötet på webben?" and item.author_name == "Anna Andersson"
    )


def test_webhook_reply_by_the_page() -> None:
    (item,) = webhook("webhook_reply_add").items
    assert (item.kind, item.direction, item.record_type, item.parent_platform_id) == (
        "reply",
        "upprattad",
        "own_post",
        ANNA_COMMENT,
    )


def test_webhook_edit_is_a_new_text_with_its_time() -> None:
    (item,) = webhook("webhook_comment_edited").items
    assert item.platform_id == ANNA_COMMENT and "070-174 06 12" in item.text
    assert item.edited_at == datetime.fromtimestamp(1740823990, UTC) and item.created_at is None


def test_webhook_remove_hide_and_unhide_are_state_signals() -> None:
    removed = webhook("webhook_comment_remove")
    assert removed.items == []
    (signal,) = removed.signals
    assert (signal.platform_id, signal.state) == (ANNA_COMMENT, "deleted_on_platform")
    assert signal.at == datetime.fromtimestamp(1740824999, UTC)
    states = [(s.platform_id, s.state) for s in webhook("webhook_comment_hide").signals]
    assert states == [
        ("798765432109876_1122334455667811", "hidden"),
        ("798765432109876_1122334455667799", "visible"),
    ]


def test_webhook_posts_and_reactions() -> None:
    result = webhook("webhook_feed_mixed")
    own, photo = result.items  # the reaction is not a record
    assert (own.kind, own.direction, own.record_type, own.platform_id) == (
        "post",
        "upprattad",
        "own_post",
        f"{PAGE}_798765432100003",
    )
    assert (photo.direction, photo.record_type, photo.author_id, photo.author_name) == (
        "inkommen",
        "public_comment",
        "7000000000006",
        "Fia Fors",
    )
    assert [m.url for m in photo.media] == ["https://scontent.xx.fbcdn.net/v/t1.0-9/halka.jpg"]


def test_webhook_messaging() -> None:
    result = webhook("webhook_messaging")
    question, receipt, echo = result.items  # deliveries and reads are not records
    assert (question.kind, question.direction, question.record_type) == (
        "message",
        "inkommen",
        "direct_message",
    )
    assert question.created_at == datetime.fromtimestamp(1740826799.886, UTC)
    assert question.author_id == "7000000000001" and question.thread_platform_id is None
    assert receipt.text == "" and [m.url for m in receipt.media] == [
        "https://scontent.xx.fbcdn.net/v/t1.15752-9/kvitto.jpg"
    ]
    assert (echo.direction, echo.record_type, echo.author_id) == (
        "upprattad",
        "direct_message",
        PAGE,
    )


def test_webhook_message_edit_and_unsend() -> None:
    (edit,) = webhook("webhook_message_edit").items
    assert edit.platform_id == "m_AbC4xYzQ3fQmVnTz7aLw3Kq1" and "måndags" in edit.text
    assert edit.edited_at == datetime.fromtimestamp(1740827000, UTC) and edit.created_at is None
    unsent = {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": 1,
                "messaging": [
                    {
                        "sender": {"id": "7000000000001"},
                        "recipient": {"id": PAGE},
                        "timestamp": 1740827100000,
                        "message": {"mid": "m_AbC4xYzQ3fQmVnTz7aLw3Kq1", "is_deleted": True},
                    }
                ],
            }
        ],
    }
    result = FacebookPage.normalise(json.dumps(unsent).encode(), {"source": "webhook"})
    assert [(s.platform_id, s.state) for s in result.signals] == [
        ("m_AbC4xYzQ3fQmVnTz7aLw3Kq1", "deleted_on_platform")
    ]


def test_a_batch_for_several_pages_is_read_per_page() -> None:
    batch = fixture("webhook_comment_add")
    other = copy.deepcopy(batch["entry"][0])
    other["id"] = "999000000000001"
    other["changes"][0]["value"]["comment_id"] = "555_1"
    batch["entry"].append(other)
    body = json.dumps(batch).encode()
    ours = FacebookPage.normalise(
        body, {"source": "webhook", "page_id": PAGE, "account_external_id": PAGE}
    )
    theirs = FacebookPage.normalise(
        body, {"source": "webhook", "account_external_id": "999000000000001"}
    )
    assert [i.platform_id for i in ours.items] == [ANNA_COMMENT]
    assert [i.platform_id for i in theirs.items] == ["555_1"]
    assert len(FacebookPage.normalise(body, {"source": "webhook"}).items) == 2


def test_webhooks_for_other_objects_are_malformed() -> None:
    body = json.dumps({"object": "instagram", "entry": []}).encode()
    with pytest.raises(MalformedPayload, match="not a Page webhook"):
        FacebookPage.normalise(body, {"source": "webhook"})


# --- signatures -------------------------------------------------------------------------------

SECRET = "app-hemlighet"


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_signature_over_the_raw_bytes() -> None:
    # Meta escapes non-ASCII and "/": only a check over the bytes as received passes.
    body = b'{"object":"page","entry":[{"id":"1","changes":[{"value":{"message":"G\\u00e5r det? https:\\/\\/x"}}]}]}'
    assert verify_signature(body, signed(body), SECRET)
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert not verify_signature(reserialised, signed(body), SECRET)
    assert verify_signature(body, signed(body).upper().replace("SHA256", "sha256"), SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=" + "0" * 40,
        "sha256=" + "z" * 64,
        "sha256" + "0" * 64,
        "sha256=" + "0" * 63,
        "md5=abc",
    ],
)
def test_missing_or_malformed_signatures_fail(header) -> None:
    assert not verify_signature(b"{}", header, SECRET)


def test_wrong_secret_or_no_secret_fails() -> None:
    body = b'{"object":"page"}'
    assert not verify_signature(body, signed(body, "annan"), SECRET)
    assert not verify_signature(body, signed(body, ""), "")


# --- the normaliser: pure and robust ------------------------------------------------------------

CONTEXTS = [
    {"endpoint": "feed", "account_external_id": PAGE},
    {"endpoint": "comments", "post_id": POST1, "account_external_id": PAGE},
    {"endpoint": "conversations", "account_external_id": PAGE},
    {"endpoint": "messages", "conversation_id": T1, "account_external_id": PAGE},
    {"source": "webhook"},
    {"source": "webhook", "account_external_id": PAGE},
]
SAMPLES = [
    ("feed_1", 0),
    ("comments_post1_2", 1),
    ("conversations_1", 2),
    ("messages_t1", 3),
    ("webhook_comment_add", 4),
    ("webhook_feed_mixed", 4),
    ("webhook_messaging", 5),
    ("webhook_comment_hide", 5),
    ("webhook_message_edit", 4),
]


def test_normalise_is_pure_and_repeatable() -> None:
    for name, index in SAMPLES:
        context = copy.deepcopy(CONTEXTS[index])
        body = fixture_bytes(name)
        assert FacebookPage.normalise(body, context) == FacebookPage.normalise(body, context)
        assert context == CONTEXTS[index]


@pytest.mark.parametrize(
    ("body", "context", "message"),
    [
        (b'{"data": []}', {"endpoint": "feed"}, "account_external_id"),
        (
            b'{"data": []}',
            {"endpoint": "photos", "account_external_id": PAGE},
            "unknown Graph endpoint",
        ),
        (b'{"data": []}', {"endpoint": "comments", "account_external_id": PAGE}, "post_id"),
        (b'{"data": []}', {"endpoint": "messages", "account_external_id": PAGE}, "conversation_id"),
        (json.dumps(fixture("error_190_463")).encode(), CONTEXTS[0], "Graph error object"),
        (b'{"data": [{"id": "1", "created_time": "i gar"}]}', CONTEXTS[0], "not a time"),
        (b'{"data": [{"id": "1", "created_time": "2025-03-01T09:15:02"}]}', CONTEXTS[0], "offset"),
        (b'{"data": [{"id": "1", "is_hidden": "yes"}]}', CONTEXTS[1], "is_hidden"),
        (b'{"data": [{"message": "utan id"}]}', CONTEXTS[1], "without a usable 'id'"),
        (b'{"data": [{"id": "1", "message": 5}]}', CONTEXTS[3], "not text"),
        (b"\xff\xfe\x00", CONTEXTS[0], "not"),
        (
            b'{"object": "page", "entry": [{"changes": [{"field": "feed", "value": {"item": "comment", "verb": "add"}}]}]}',
            CONTEXTS[4],
            "comment_id",
        ),
        (
            b'{"object": "page", "entry": [{"messaging": [{"timestamp": 1e300, "message": {"mid": "m"}}]}]}',
            CONTEXTS[4],
            "out of range",
        ),
    ],
)
def test_unreadable_payloads_are_malformed_with_a_reason(body, context, message) -> None:
    with pytest.raises(MalformedPayload, match=message):
        FacebookPage.normalise(body, context)


def _outcome(body: bytes, context: dict) -> None:
    try:
        result = FacebookPage.normalise(body, context)
    except MalformedPayload as exc:
        assert str(exc)
    else:
        assert isinstance(result, Normalised)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
quick = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(body=st.binary(max_size=300), index=st.integers(0, len(CONTEXTS) - 1))
def test_random_bytes_are_read_or_quarantined(body, index) -> None:
    _outcome(body, CONTEXTS[index])


@quick
@given(value=json_values, index=st.integers(0, len(CONTEXTS) - 1))
def test_random_json_is_read_or_quarantined(value, index) -> None:
    _outcome(json.dumps(value).encode(), CONTEXTS[index])


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(SAMPLES), data=st.data())
def test_recorded_payloads_with_one_part_replaced_are_read_or_quarantined(sample, data) -> None:
    name, index = sample
    document = fixture(name)
    paths = list(_paths(document))
    path = data.draw(st.sampled_from(paths[1:]))
    replacement = data.draw(json_values)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    _outcome(json.dumps(document).encode(), CONTEXTS[index])


# --- against the simulator over HTTP ------------------------------------------------------------


class CountingTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture(scope="module")
def sim():
    from insyn.simulator import start_in_thread

    handle = start_in_thread(seed=1, port=0, mastodon_port=0)
    world = handle.simulator.seed_default_world(history_days=2)
    yield handle, world["page"]["page_id"], world["page"]["token"]
    handle.stop()


def sim_client(sim, *, transport: CountingTransport | None = None) -> FacebookPage:
    handle, page_id, token = sim
    seam = HttpSeam(transport=transport, sleep=lambda s: None)
    return FacebookPage(Connection("facebook_page", page_id, "norrvik", handle.url, token), seam)


def visible(sim) -> dict[str, set[str]]:
    """What the simulated Page shows now: posts, comments and replies, messages."""
    handle, page_id, _ = sim
    w = handle.simulator.world
    with w.lock:
        posts = {p.id for p in w.posts.values() if p.page_id == page_id and p.deleted_at is None}
        comments = {
            c.id
            for c in w.comments.values()
            if c.post_id in posts
            and c.deleted_at is None
            and (c.parent_id is None or w.comments[c.parent_id].deleted_at is None)
        }
        conversations = {c.id for c in w.conversations.values() if c.page_id == page_id}
        messages = {m.id for m in w.messages.values() if m.conversation_id in conversations}
    return {"post": posts, "comment": comments, "message": messages}


def ids(result: Normalised, *kinds: str) -> Counter:
    return Counter(i.platform_id for i in result.items if i.kind in kinds)


def test_simulator_full_poll_finds_everything_exactly_once(sim) -> None:
    handle, page_id, _ = sim
    client = sim_client(sim)
    result = normalise_pages(list(client.poll({}, full=True)), page_id)
    expected = visible(sim)
    assert expected["comment"] and expected["message"]
    for kind, kinds in (
        ("post", ("post",)),
        ("comment", ("comment", "reply")),
        ("message", ("message",)),
    ):
        found = ids(result, *kinds)
        assert set(found) == expected[kind] and set(found.values()) == {1}, kind

    w = handle.simulator.world
    for item in result.items:
        if item.kind in ("comment", "reply"):
            comment = w.comments[item.platform_id]
            assert item.kind == ("reply" if comment.parent_id else "comment")
            assert item.parent_platform_id == (comment.parent_id or comment.post_id)
            assert item.thread_platform_id == comment.post_id
            assert item.direction == ("upprattad" if comment.from_id == page_id else "inkommen")
            assert item.state == ("hidden" if comment.is_hidden else "visible")
        if item.kind == "message":
            own = w.messages[item.platform_id].from_id == page_id
            assert (item.direction, item.record_type) == (
                "upprattad" if own else "inkommen",
                "direct_message",
            )
    client.http.close()


def test_simulator_incremental_poll_fetches_less_and_misses_nothing(sim) -> None:
    state: dict = {}
    first = normalise_pages(list(sim_client(sim).poll(state)), sim[1])
    sim[0].simulator.tick(15)
    incremental, full = CountingTransport(), CountingTransport()
    client = sim_client(sim, transport=incremental)
    client.fresh = timedelta(0)  # updated_time alone must bring the new comments in
    second = normalise_pages(list(client.poll(state)), sim[1])
    list(sim_client(sim, transport=full).poll({}, full=True))
    assert len(incremental.requests) < len(full.requests)
    expected = visible(sim)
    assert expected["comment"] <= set(ids(first, "comment", "reply")) | set(
        ids(second, "comment", "reply")
    )
    assert expected["message"] <= set(ids(first, "message")) | set(ids(second, "message"))
    incremental.close()
    full.close()


def test_simulator_moderation_verbs(sim) -> None:
    handle, page_id, _ = sim
    w = handle.simulator.world
    client = sim_client(sim)
    with w.lock:
        residents = [
            c
            for c in w.comments.values()
            if c.id in visible(sim)["comment"]
            and c.parent_id is None
            and c.from_id != page_id
            and not c.is_hidden
        ]
    target, doomed = residents[0], residents[1]

    client.set_hidden(target.id, True)
    assert w.comments[target.id].is_hidden
    hidden = by_id(normalise_pages(list(client.poll({}, full=True)), page_id))
    assert hidden[target.id].state == "hidden"
    client.set_hidden(target.id, False)
    assert not w.comments[target.id].is_hidden

    reply_id = client.reply(
        target.id, "Tack för ditt inlägg, vi återkommer.", idempotency_key="t-1"
    )
    state: dict = {}
    client.fresh = timedelta(0)
    reply = by_id(normalise_pages(list(client.poll(state)), page_id))[reply_id]
    assert (reply.kind, reply.direction, reply.record_type, reply.parent_platform_id) == (
        "reply",
        "upprattad",
        "own_post",
        target.id,
    )

    client.delete(doomed.id)
    assert w.comments[doomed.id].deleted_at is not None
    after = by_id(normalise_pages(list(client.poll({}, full=True)), page_id))
    assert doomed.id not in after and target.id in after
    with pytest.raises(NotFound):
        client.delete(doomed.id)

    sent = handle.simulator.act(
        "message", page_id=page_id, user_name="Greta Gran", text="Hej kommunen!"
    )
    message_id = client.send_message(sent["user_id"], "Hej Greta, vad kan vi hjälpa till med?")
    messages = by_id(normalise_pages(list(client.poll(state)), page_id))
    answer = messages[message_id]
    assert (answer.direction, answer.record_type, answer.thread_platform_id) == (
        "upprattad",
        "direct_message",
        sent["conversation_id"],
    )
    assert messages[sent["id"]].direction == "inkommen"
    client.http.close()


def test_simulator_errors_and_retries(sim) -> None:
    handle, _, token = sim
    simulator = handle.simulator
    client = sim_client(sim)
    try:
        simulator.add_fault("http_error", platform="graph", status=500, count=2)
        assert client.verify_credentials()["id"] == sim[1]
        simulator.add_fault("rate_limit", platform="graph", code=32, count=1)
        with pytest.raises(RateLimited) as caught:
            client.verify_credentials()
        assert caught.value.retry_at > datetime.now(UTC)
        simulator.set_token_state(token, "expired")
        fresh = sim_client(sim)
        with pytest.raises(TokenInvalid) as expired:
            fresh.verify_credentials()
        assert expired.value.code == 190 and "463" in str(expired.value)
        fresh.http.close()
    finally:
        simulator.clear_faults()
        simulator.set_token_state(token, "valid")
        client.http.close()


class _Receiver:
    """A webhook callback on a free port that keeps what it is sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict, bytes]] = []

        def app(environ, start_response):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            headers = {
                k[5:].replace("_", "-").lower(): v
                for k, v in environ.items()
                if k.startswith("HTTP_")
            }
            self.requests.append((headers, body))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args) -> None:
                pass

        self.server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/facebook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_simulator_webhooks_verify_and_normalise(sim) -> None:
    from insyn.simulator import WebhookConfig

    handle, page_id, _ = sim
    simulator = handle.simulator
    receiver = _Receiver()
    try:
        simulator.configure_webhook(WebhookConfig(receiver.url, app_secret=SECRET, retry_base=0.0))
        post_id = sorted(visible(sim)["post"])[0]
        added = simulator.act(
            "comment", object_id=post_id, from_name="Hugo Holm", message="Hej! Åäö / test"
        )
        simulator.act("edit_comment", comment_id=added["id"], message="Hej! Rättat.")
        simulator.act("hide_comment", comment_id=added["id"])
        simulator.act("delete_comment", comment_id=added["id"])
        sent = simulator.act(
            "message", page_id=page_id, user_name="Ida Ist", text="Fråga om bygglov"
        )
        simulator.deliver_webhooks()
    finally:
        simulator.configure_webhook(None)
        receiver.stop()

    items, signals = [], []
    for headers, body in receiver.requests:
        assert verify_signature(body, headers.get("x-hub-signature-256"), SECRET)
        assert not verify_signature(body, headers.get("x-hub-signature-256"), "fel")
        result = FacebookPage.normalise(body, {"source": "webhook", "account_external_id": page_id})
        items += result.items
        signals += result.signals
    mine = [i for i in items if i.platform_id == added["id"]]
    assert [(i.kind, i.direction, i.text) for i in mine] == [
        ("comment", "inkommen", "Hej! Åäö / test"),
        ("comment", "inkommen", "Hej! Rättat."),
    ]
    assert mine[0].created_at is not None and mine[1].edited_at is not None
    assert [(s.platform_id, s.state) for s in signals if s.platform_id == added["id"]] == [
        (added["id"], "hidden"),
        (added["id"], "deleted_on_platform"),
    ]
    (message,) = [i for i in items if i.platform_id == sent["id"]]
    assert (message.direction, message.record_type, message.text) == (
        "inkommen",
        "direct_message",
        "Fråga om bygglov",
    )
