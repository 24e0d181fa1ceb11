"""Instagram: the client against responses recorded in the shapes Meta documents
(tests/fixtures/instagram/), and the pure normaliser, including garbage."""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime, timedelta

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
from insyn.capture.platforms.facebook import GRAPH_VERSION
from insyn.capture.platforms.instagram import Instagram
from insyn.lib.http import HttpSeam

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "instagram"
GRAPH = "https://graph.facebook.com"
IG = "17841400000000001"
TOKEN = "EAAGtest-page-token-for-instagram"
M1, M2, M3 = "17895695668004550", "17895695668004551", "17895695668004552"
C1, C2, C3, C4 = "17873440459141021", "17873440459141022", "17873440459141023", "17873440459141024"
R1, R2, R3 = "17870913679156914", "17870913679156915", "17870913679156916"
MID = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTg1NjE4OTk4MjM0ODQ4OA"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


class RecordedGraph:
    """Answers from fixtures by method, path and `after` cursor; records the requests."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str, str | None], list[tuple]] = {}
        self.requests: list[httpx.Request] = []

    def add(self, method, path, body, *, after=None, status=200, headers=None) -> None:
        self.routes.setdefault((method, f"/{GRAPH_VERSION}/{path}", after), []).append((status, body, headers or {}))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes.get((request.method, request.url.path, request.url.params.get("after")))
        if not answers:
            return httpx.Response(400, json=fixture("error_100_33"))
        status, body, headers = answers.pop(0) if len(answers) > 1 else answers[0]
        content = raw(body) if isinstance(body, str) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers=headers)

    def paths(self) -> list[str]:
        return [r.url.path.removeprefix(f"/{GRAPH_VERSION}/") for r in self.requests]


@pytest.fixture
def graph() -> RecordedGraph:
    g = RecordedGraph()
    g.add("GET", IG, "user")
    g.add("GET", f"{IG}/media", "media_1")
    g.add("GET", f"{IG}/media", "media_2", after="QVFIUmFmdGVyMQ")
    g.add("GET", f"{M1}/comments", "comments_m1_1")
    g.add("GET", f"{M1}/comments", "comments_m1_2", after="QzJhZnRlcg")
    g.add("GET", f"{C1}/replies", "replies_c1")
    g.add("GET", f"{M2}/comments", "comments_m2")
    g.add("GET", f"{M3}/comments", "comments_empty")
    return g


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(graph, sleeps) -> Instagram:
    seam = HttpSeam(transport=httpx.MockTransport(graph.handler), sleep=sleeps.append)
    return Instagram(Connection("instagram", IG, "exempelkommun", GRAPH, TOKEN), seam)


def ctx(**extra) -> dict:
    return {"account_external_id": IG, "account_username": "exempelkommun", **extra}


def test_registered_under_its_platform_name() -> None:
    assert platform_class("instagram") is Instagram


def test_verify_credentials_reads_the_account(client, graph) -> None:
    assert client.verify_credentials()["username"] == "exempelkommun"
    assert graph.requests[0].url.params["access_token"] == TOKEN


# --- polling ------------------------------------------------------------------------------


def test_full_poll_walks_media_comments_and_replies_with_cursors(client, graph) -> None:
    state: dict = {}
    pages = list(client.poll(state, full=True))
    assert [p.context["endpoint"] for p in pages] == ["media", "media", "comments", "comments", "replies",
                                                      "comments", "comments"]
    assert graph.paths() == [f"{IG}/media", f"{IG}/media", f"{M1}/comments", f"{M1}/comments", f"{C1}/replies",
                             f"{M2}/comments", f"{M3}/comments"]
    # The cursor comes from paging.next; no stored URL holds the token.
    assert graph.requests[1].url.params["after"] == "QVFIUmFmdGVyMQ"
    assert all(TOKEN not in p.url for p in pages)
    ids = {i.platform_id for p in pages for i in Instagram.normalise(p.body, {**p.context, **ctx()}).items}
    assert {M1, M2, M3, C1, C2, C3, C4, R1, R2} == ids
    assert state["media"] == {M1: 5, M2: 1, M3: 0}
    assert state["media_newest"].startswith("2025-03-01T09:15:02")


def test_incremental_poll_skips_quiet_old_media(client, graph) -> None:
    state: dict = {}
    list(client.poll(state, full=True))
    graph.requests.clear()
    list(client.poll(state, full=False))
    # M1 is fresh (within 3 days of the newest) and walked again; M2 (2 days older) too;
    # M3 is outside the 30-day window and unchanged: not walked.
    assert f"{M3}/comments" not in graph.paths()
    assert f"{M1}/comments" in graph.paths()


def test_incremental_poll_walks_media_whose_comment_count_moved(client, graph) -> None:
    client.fresh = timedelta(0)
    state: dict = {"media": {M1: 5, M2: 0, M3: 0}, "media_newest": "2025-03-01T09:15:02+00:00"}
    list(client.poll(state, full=False))
    walked = [p for p in graph.paths() if p.endswith("/comments")]
    assert walked == [f"{M2}/comments"]  # only M2's count moved (0 → 1)
    assert state["media"][M2] == 1


def test_an_unreadable_page_is_handed_out_and_no_mark_is_set(client, graph) -> None:
    graph.routes[("GET", f"/{GRAPH_VERSION}/{M2}/comments", None)] = [(200, {"unexpected": True}, {})]
    state: dict = {}
    pages = []
    with pytest.raises(PlatformError):
        for page in client.poll(state, full=True):
            pages.append(page)
    assert pages[-1].body == b'{"unexpected": true}'
    assert M2 not in state["media"] and M1 in state["media"]


def test_refetch_reads_a_comment_and_falls_back_to_media(client, graph) -> None:
    graph.add("GET", C4, "node_comment")
    page = client.refetch(C4)
    (item,) = Instagram.normalise(page.body, {**page.context, **ctx()}).items
    assert (item.platform_id, item.kind, item.parent_platform_id) == (C4, "comment", M2)

    graph.add("GET", M3, "error_100_field", status=400)
    graph.add("GET", M3, fixture("media_2")["data"][0])
    page = client.refetch(M3)
    (item,) = Instagram.normalise(page.body, {**page.context, **ctx()}).items
    assert (item.platform_id, item.kind) == (M3, "post")

    with pytest.raises(NotFound):
        client.refetch(C2)  # not routed: answered with error 100/33


# --- errors and rate limits ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["error_190_463", "error_190_460"])
def test_expired_or_invalidated_tokens_are_token_invalid(client, graph, name) -> None:
    graph.routes[("GET", f"/{GRAPH_VERSION}/{IG}/media", None)] = [(400, name, {})]
    with pytest.raises(TokenInvalid) as caught:
        list(client.poll({}, full=False))
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize("name", ["error_4", "error_80002"])
def test_rate_limit_codes_give_retry_at_from_the_buc_header(client, graph, name) -> None:
    buc = json.dumps({IG: [{"type": "instagram", "call_count": 100, "total_cputime": 20, "total_time": 30,
                            "estimated_time_to_regain_access": 7}]})
    graph.routes[("GET", f"/{GRAPH_VERSION}/{IG}/media", None)] = [
        (400, name, {"X-Business-Use-Case-Usage": buc})]
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        list(client.poll({}, full=False))
    assert before + timedelta(minutes=6) < caught.value.retry_at < before + timedelta(minutes=8)
    assert len(graph.requests) == 1  # not retried: left to the scheduler


def test_transient_errors_are_retried(client, graph, sleeps) -> None:
    graph.routes[("GET", f"/{GRAPH_VERSION}/{IG}", None)] = [(500, "error_2", {}), (200, "user", {})]
    assert client.verify_credentials()["id"] == IG
    assert len(graph.requests) == 2


def test_a_missing_permission_is_permanent(client, graph) -> None:
    graph.routes[("GET", f"/{GRAPH_VERSION}/{IG}/media", None)] = [(403, "error_10", {})]
    with pytest.raises(PlatformError) as caught:
        list(client.poll({}, full=False))
    assert caught.value.permanent and caught.value.code == 10


# --- moderation ----------------------------------------------------------------------------


def test_reply_posts_to_the_replies_edge_once(client, graph) -> None:
    graph.add("POST", f"{C4}/replies", "reply_created")
    assert client.reply(C4, "Hej Erik! Vi plogar från kl. 6.", idempotency_key="k") == R3
    (request,) = graph.requests
    assert dict(httpx.QueryParams(request.content.decode())) == {"message": "Hej Erik! Vi plogar från kl. 6."}


def test_reply_on_a_media_object_comments_on_it(client, graph) -> None:
    graph.add("POST", f"{M1}/replies", {"error": {"message": "Unknown path components: /replies",
                                                  "type": "OAuthException", "code": 2500}}, status=400)
    graph.add("POST", f"{M1}/comments", "reply_created")
    assert client.reply(M1, "Välkomna!", idempotency_key="k") == R3
    assert graph.paths() == [f"{M1}/replies", f"{M1}/comments"]


def test_reply_to_a_reply_is_refused_with_instagrams_words(client, graph) -> None:
    graph.add("POST", f"{R1}/replies", "error_100_reply", status=400)
    graph.add("POST", f"{R1}/comments", "error_100_field", status=400)
    with pytest.raises(PlatformError, match="top-level") as caught:
        client.reply(R1, "Hej", idempotency_key="k")
    assert caught.value.permanent


def test_reply_is_not_resent_after_a_server_error(client, graph) -> None:
    graph.add("POST", f"{C4}/replies", "error_2", status=500)
    with pytest.raises(PlatformError) as caught:
        client.reply(C4, "Hej", idempotency_key="k")
    assert not caught.value.permanent and len(graph.requests) == 1


@pytest.mark.parametrize("hidden", [True, False])
def test_set_hidden_posts_hide(client, graph, hidden) -> None:
    graph.add("POST", C2, "success")
    client.set_hidden(C2, hidden)
    assert dict(httpx.QueryParams(graph.requests[0].content.decode())) == {"hide": "true" if hidden else "false"}


def test_delete_and_delete_of_what_is_gone(client, graph) -> None:
    graph.add("DELETE", C2, "success")
    client.delete(C2)
    with pytest.raises(NotFound):
        client.delete(C3)


def test_direct_messages_cannot_be_answered_through_insyn(client) -> None:
    with pytest.raises(NotImplementedError):
        client.send_message("1234567890123456", "Hej")


# --- the normaliser on recorded payloads ---------------------------------------------------------


def test_media_are_own_posts_with_caption_and_media() -> None:
    items = Instagram.normalise(raw("media_1"), ctx(endpoint="media")).items
    first, reel = items
    assert (first.kind, first.direction, first.record_type) == ("post", "upprattad", "own_post")
    assert first.text.startswith("Nu är isbanan") and first.url == "https://www.instagram.com/p/DGx1AbCdEfG/"
    assert first.created_at == datetime(2025, 3, 1, 9, 15, 2, tzinfo=UTC)
    assert [m.mime_type for m in reel.media] == ["video/mp4", "image/jpeg"]


def test_comments_replies_hidden_state_and_direction() -> None:
    items = {i.platform_id: i for i in Instagram.normalise(raw("comments_m1_1"), ctx(endpoint="comments",
                                                                                    media_id=M1)).items}
    anna, per, answer = items[C1], items[C2], items[R1]
    assert (anna.kind, anna.parent_platform_id, anna.thread_platform_id) == ("comment", M1, M1)
    assert (anna.direction, anna.record_type, anna.author_name, anna.state) == (
        "inkommen", "public_comment", "anna_a", "visible")
    assert per.state == "hidden"
    assert (answer.kind, answer.parent_platform_id, answer.direction, answer.record_type) == (
        "reply", C1, "upprattad", "own_post")


def test_replies_page_and_re_read_reply() -> None:
    items = Instagram.normalise(raw("replies_c1"), ctx(endpoint="replies", media_id=M1, comment_id=C1)).items
    assert [(i.platform_id, i.kind, i.parent_platform_id, i.direction) for i in items] == [
        (R1, "reply", C1, "upprattad"), (R2, "reply", C1, "inkommen")]
    (node,) = Instagram.normalise(raw("node_reply"), ctx(endpoint="node")).items
    assert (node.kind, node.parent_platform_id, node.thread_platform_id) == ("reply", C4, M2)


def test_own_comment_without_from_is_recognised_by_username() -> None:
    body = json.dumps({"data": [{"id": "1", "text": "Hej", "timestamp": "2025-03-01T10:00:00+0000",
                                 "username": "ExempelKommun"}]}).encode()
    (item,) = Instagram.normalise(body, ctx(endpoint="comments", media_id=M1)).items
    assert item.direction == "upprattad"


def test_webhook_comment_and_reply() -> None:
    (comment,) = Instagram.normalise(raw("webhook_comment"), {"source": "webhook", "account_external_id": IG}).items
    assert (comment.kind, comment.parent_platform_id, comment.direction, comment.author_name) == (
        "comment", M1, "inkommen", "maja_k")
    assert comment.created_at == datetime.fromtimestamp(1740826800, UTC)
    (reply,) = Instagram.normalise(raw("webhook_reply"), {"source": "webhook", "account_external_id": IG}).items
    assert (reply.kind, reply.parent_platform_id, reply.direction) == ("reply", "17865799348089039", "upprattad")


def test_webhook_direct_messages_and_echo() -> None:
    result = Instagram.normalise(raw("webhook_messaging"), {"source": "webhook", "account_external_id": IG})
    incoming, echo = result.items
    assert (incoming.kind, incoming.record_type, incoming.direction) == ("message", "direct_message", "inkommen")
    assert incoming.created_at == datetime.fromtimestamp(1740826799.886, UTC)
    assert echo.direction == "upprattad"
    assert not result.signals  # the read receipt is no record


def test_webhook_unsend_is_a_state_signal_not_a_deletion() -> None:
    result = Instagram.normalise(raw("webhook_message_deleted"), {"source": "webhook", "account_external_id": IG})
    assert not result.items
    assert [(s.platform_id, s.state) for s in result.signals] == [(MID, "deleted_on_platform")]


def test_webhook_entries_for_another_account_are_skipped() -> None:
    result = Instagram.normalise(raw("webhook_comment"), {"source": "webhook", "account_external_id": "999"})
    assert not result.items


def test_normalise_is_pure_and_repeatable() -> None:
    context = ctx(endpoint="comments", media_id=M1)
    assert Instagram.normalise(raw("comments_m1_1"), context) == Instagram.normalise(raw("comments_m1_1"), context)


@pytest.mark.parametrize("body,context,message", [
    (b"not json", ctx(endpoint="media"), "not JSON"),
    (raw("error_190_463"), ctx(endpoint="media"), "error object"),
    (raw("media_1"), ctx(endpoint="stories"), "unknown Instagram endpoint"),
    (raw("comments_m1_1"), ctx(endpoint="comments"), "media_id"),
    (raw("media_1"), {"endpoint": "media"}, "account_external_id"),
    (raw("webhook_comment").replace(b'"instagram"', b'"page"'), {"source": "webhook"}, "not an Instagram webhook"),
    (json.dumps({"data": [{"id": "1", "timestamp": "yesterday"}]}).encode(), ctx(endpoint="media"), "not a time"),
    (json.dumps({"data": [{"id": "1", "hidden": "no"}]}).encode(), ctx(endpoint="comments", media_id=M1),
     "hidden"),
    (json.dumps({"object": "instagram", "entry": [{"id": IG, "changes": [{"field": "comments", "value": {
        "id": "5", "text": "x"}}]}]}).encode(), {"source": "webhook"}, "media"),
])
def test_unreadable_payloads_are_malformed_with_a_reason(body, context, message) -> None:
    with pytest.raises(MalformedPayload, match=message):
        Instagram.normalise(body, context)


CONTEXTS = [ctx(endpoint="media"), ctx(endpoint="comments", media_id=M1),
            ctx(endpoint="replies", media_id=M1, comment_id=C1), ctx(endpoint="node"),
            {"source": "webhook", "account_external_id": IG}]
SAMPLES = ["media_1", "comments_m1_1", "replies_c1", "node_comment", "webhook_comment", "webhook_messaging"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


def _read_or_quarantined(body: bytes, context: dict) -> None:
    try:
        Instagram.normalise(body, context)
    except MalformedPayload:
        pass  # the only failure allowed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), st.integers(0, len(CONTEXTS) - 1))
def test_random_bytes_are_read_or_quarantined(body, index) -> None:
    _read_or_quarantined(body, CONTEXTS[index])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.integers(0, len(CONTEXTS) - 1))
def test_random_json_is_read_or_quarantined(value, index) -> None:
    _read_or_quarantined(json.dumps(value).encode(), CONTEXTS[index])


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.data())
def test_recorded_payloads_with_one_part_replaced_are_read_or_quarantined(sample, data) -> None:
    original = fixture(sample)
    path = data.draw(st.sampled_from(list(_paths(original))))
    mutated = _replace(original, path, data.draw(json_values))
    for context in CONTEXTS:
        _read_or_quarantined(json.dumps(mutated).encode(), context)
