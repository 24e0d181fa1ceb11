"""The YouTube module against recorded responses (tests/fixtures/youtube).

The fixtures are written by hand from developers.google.com/youtube/v3 (docs/channels,
playlistItems, videos, commentThreads, comments, errors; guides/implementation/comments).
Each file is a recorded response: ``status``, ``headers`` and ``body``.

The channel in the fixtures (Kulturskolan Älvby, CH) and its world:
    V1 dance video 03-01      T1 Anna's question on V1 (3 replies, 2 inlined)
    V2 Lucia video 03-02      R1a our answer to T1, R1b Erik (&amp; in textDisplay), R1c Lisa
    V3 concert video 03-03    T2 Erik's praise on V1, edited; T3 Lisa's complaint on V2
                              H1 Sven's threat on V2, held for review
"""

from __future__ import annotations

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
from insyn.capture.platforms.youtube import (
    Refused,
    YouTube,
    is_video_id,
    next_quota_reset,
    normalise,
)
from insyn.lib.http import HttpSeam

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "youtube"
BASE = "https://www.googleapis.com"
CH = "UCw8ZhLPdQ0u7Y-fVYV8Qm5A"
UPLOADS = "UUw8ZhLPdQ0u7Y-fVYV8Qm5A"
V1, V2, V3 = "Xk3pQ9vR2aB", "L7mN0pQ1rS2", "t4U5v6W7x8Y"
T1, T2, T3, H1 = (
    "UgxKREWxIgDrw8w2e_Z4AaABAg",
    "UgzDE2tasfmrYLyNkGt4AaABAg",
    "UgwQ8n0Vb3Kp6sLm2Zr4AaABAg",
    "Ugy7hXc1Qm9Rt2Vn5Lk8AaABAg",
)
R1A, R1B, R1C = (
    T1 + ".9wXyZaBcDeFgHiJkLmNoPq",
    T1 + ".9wXyZaBcDeFgHiJkLmNoPr",
    T1 + ".9wXyZaBcDeFgHiJkLmNoPs",
)
NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)  # 04:00 PST: the quota resets 2025-03-04T08:00Z
NEXT_RESET = datetime(2025, 3, 4, 8, 0, tzinfo=UTC)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def body_of(name: str) -> bytes:
    return json.dumps(fixture(name)["body"], ensure_ascii=False).encode("utf-8")


def response_of(name: str) -> httpx.Response:
    doc = fixture(name)
    content = (
        b"" if doc["body"] is None else json.dumps(doc["body"], ensure_ascii=False).encode("utf-8")
    )
    return httpx.Response(doc["status"], headers=doc["headers"], content=content)


class Api:
    """A recorded Data API: routes (method, resource, selected params) to fixture files."""

    KEYS = ("id", "mine", "playlistId", "moderationStatus", "parentId", "pageToken", "videoId")

    def __init__(self) -> None:
        self.routes: dict[tuple, list] = {}
        self.requests: list[httpx.Request] = []

    def add(
        self, method: str, resource: str, *answers: str | httpx.Response, **params: str
    ) -> None:
        """Answers are served in turn; the last one repeats."""
        self.routes[(method, resource, frozenset(params.items()))] = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "oauth2.googleapis.com":
            answers = self.routes.get((request.method, str(request.url), frozenset()))
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            return response_of(answer)
        resource = request.url.path.removeprefix("/youtube/v3/")
        params = {k: v for k, v in request.url.params.multi_items() if k in self.KEYS}
        answers = self.routes.get((request.method, resource, frozenset(params.items())))
        if not answers:
            return response_of("error_404_comment")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return response_of(answer) if isinstance(answer, str) else answer

    def calls(self) -> list[str]:
        out = []
        for r in self.requests:
            params = {k: v for k, v in r.url.params.multi_items() if k in self.KEYS}
            out.append(
                f"{r.method} {r.url.path.removeprefix('/youtube/v3/')} "
                + " ".join(f"{k}={v}" for k, v in sorted(params.items()))
            )
        return [c.strip() for c in out]


def recorded_api() -> Api:
    api = Api()
    api.add("GET", "channels", "channels_mine", mine="true")
    api.add("GET", "channels", "channels_content_details", id=CH)
    api.add("GET", "playlistItems", "playlist_items_1", playlistId=UPLOADS)
    api.add(
        "GET", "playlistItems", "playlist_items_2", playlistId=UPLOADS, pageToken="EAAaBlBUOkNBSQ"
    )
    api.add("GET", "commentThreads", "comment_threads_published_1", moderationStatus="published")
    api.add(
        "GET",
        "commentThreads",
        "comment_threads_published_2",
        moderationStatus="published",
        pageToken="QURTSl9pMlQ2dEFJ",
    )
    api.add("GET", "commentThreads", "comment_threads_held", moderationStatus="heldForReview")
    api.add("GET", "commentThreads", "comment_threads_empty", moderationStatus="likelySpam")
    api.add("GET", "comments", "comments_replies_1", parentId=T1)
    api.add(
        "GET", "comments", "comments_replies_2", parentId=T1, pageToken="Z2V0X25ld2VzdF9maXJzdC0t"
    )
    api.add("GET", "comments", "comments_by_id", id=T3)
    api.add("GET", "comments", "comments_by_id_empty", id=T2)
    api.add("GET", "videos", "videos_by_id", id=V2)
    api.add("GET", "videos", "videos_by_id_empty", id=V1)
    return api


def client(api: Api, *, now: datetime = NOW, budget: int = 7000, **seam: Any) -> YouTube:
    connection = Connection(
        platform="youtube",
        external_id=CH,
        handle="@kulturskolanalvby",
        base_url=BASE,
        token="ya29.test-token",
    )
    http = HttpSeam(transport=httpx.MockTransport(api), sleep=lambda s: None, **seam)
    return YouTube(connection, http, now=lambda: now, poll_budget=budget)


def normalise_pages(pages) -> Normalised:
    out = Normalised()
    for page in pages:
        n = YouTube.normalise(page.body, {**page.context, "account_external_id": CH})
        out.items += n.items
        out.signals += n.signals
    return out


def by_id(normalised: Normalised) -> dict:
    return {i.platform_id: i for i in normalised.items}


# --- the client on recorded responses ---------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert platform_class("youtube") is YouTube


def test_verify_credentials_reads_the_tokens_channel_with_the_bearer_token() -> None:
    api = recorded_api()
    assert client(api).verify_credentials()["id"] == CH
    request = api.requests[0]
    assert request.headers["authorization"] == "Bearer ya29.test-token"
    assert request.url.params["part"] == "snippet" and request.url.params["mine"] == "true"
    assert "ya29" not in str(request.url)


def test_verify_credentials_refuses_a_token_of_another_channel() -> None:
    api = recorded_api()
    yt = client(api)
    yt.connection = Connection("youtube", "UCother00000000000000000", "@x", BASE, "t")
    with pytest.raises(Refused, match="belongs to channel"):
        yt.verify_credentials()


def test_full_poll_walks_videos_threads_held_comments_and_replies() -> None:
    api = recorded_api()
    state: dict = {}
    pages = list(client(api).poll(state, full=True))
    assert api.calls() == [
        f"GET channels id={CH}",
        f"GET playlistItems playlistId={UPLOADS}",
        f"GET playlistItems pageToken=EAAaBlBUOkNBSQ playlistId={UPLOADS}",
        "GET commentThreads moderationStatus=published",
        "GET commentThreads moderationStatus=published pageToken=QURTSl9pMlQ2dEFJ",
        "GET commentThreads moderationStatus=heldForReview",
        "GET commentThreads moderationStatus=likelySpam",
        f"GET comments parentId={T1}",
        f"GET comments pageToken=Z2V0X25ld2VzdF9maXJzdC0t parentId={T1}",
    ]
    assert len(pages) == 9
    threads = api.requests[3].url.params
    assert threads["part"] == "snippet,replies" and threads["allThreadsRelatedToChannelId"] == CH
    assert (
        threads["maxResults"] == "100"
        and threads["textFormat"] == "plainText"
        and threads["order"] == "time"
    )
    assert api.requests[1].url.params["maxResults"] == "50"
    assert api.requests[1].url.params["part"] == "snippet,contentDetails"
    # the quota count: nine list calls of one unit, on the Pacific date
    assert state["quota"] == {"day": "2025-03-03", "units": 9}
    assert (
        state["uploads"] == UPLOADS
        and state["reply_counts"][T1] == 3
        and state["pending_replies"] == {}
    )


def test_everything_on_the_channel_is_normalised_with_its_place_and_state() -> None:
    items = by_id(normalise_pages(client(recorded_api()).poll({}, full=True)))
    assert set(items) == {V1, V2, V3, T1, T2, T3, H1, R1A, R1B, R1C}
    video = items[V3]
    assert (video.kind, video.direction, video.record_type) == ("post", "upprattad", "own_post")
    assert (
        video.text.startswith("Vårkonsert med stråkorkestern\n\nElever")
        and video.thread_platform_id == V3
    )
    assert video.url == f"https://www.youtube.com/watch?v={V3}"
    question = items[T1]
    assert (question.kind, question.direction, question.record_type) == (
        "comment",
        "inkommen",
        "public_comment",
    )
    assert question.parent_platform_id == V1 and question.thread_platform_id == V1
    assert (
        question.author_id == "UC4nnaAndersson0000000Aa"
        and question.author_name == "@annaandersson"
    )
    assert (
        question.created_at == datetime(2025, 3, 1, 12, tzinfo=UTC) and question.state == "visible"
    )
    answer = items[R1A]
    assert (answer.kind, answer.direction, answer.record_type) == ("reply", "upprattad", "own_post")
    assert answer.parent_platform_id == T1 and answer.thread_platform_id == V1
    assert items[R1B].text == "Vi anmälde i januari & fick plats direkt"  # entities in textDisplay
    assert items[R1C].parent_platform_id == T1 and items[R1C].thread_platform_id == V1
    assert items[T2].edited_at == datetime(2025, 3, 1, 10, 20, tzinfo=UTC)
    assert items[T2].text == "Så fint! Blev alldeles tårögd 😍\nTack till lärarna"
    assert items[H1].state == "hidden" and "rektorn" in items[H1].text


def test_incremental_poll_stops_at_what_it_has_seen() -> None:
    api = recorded_api()
    yt = client(api)
    state: dict = {}
    list(yt.poll(state, full=True))
    api.requests.clear()
    pages = list(yt.poll(state))
    # No channel read (the uploads playlist is cached); the videos stop at the cursor; the
    # published listing (2 pages) is read whole, being cheaper than the 3 recent videos one by
    # one; no reply read: T1's reply count has not changed.
    assert api.calls() == [
        f"GET playlistItems playlistId={UPLOADS}",
        "GET commentThreads moderationStatus=published",
        "GET commentThreads moderationStatus=published pageToken=QURTSl9pMlQ2dEFJ",
        "GET commentThreads moderationStatus=heldForReview",
        "GET commentThreads moderationStatus=likelySpam",
    ]
    assert len(pages) == 5 and state["quota"]["units"] == 14
    assert state["threads_pages"] == 2 and set(state["recent_videos"]) == {V1, V2, V3}


def test_with_fewer_recent_videos_than_listing_pages_the_recent_videos_are_read_instead() -> None:
    api = recorded_api()
    api.add("GET", "commentThreads", "comment_threads_empty", videoId=V3)
    later = datetime(2025, 3, 9, 20, 0, tzinfo=UTC)  # only V3 is from the last seven days
    state: dict = {}
    list(client(api, now=later).poll(state, full=True))
    api.requests.clear()
    list(client(api, now=later).poll(state))
    assert api.calls() == [
        f"GET playlistItems playlistId={UPLOADS}",
        "GET commentThreads moderationStatus=published",
        "GET commentThreads moderationStatus=heldForReview",
        "GET commentThreads moderationStatus=likelySpam",
        f"GET commentThreads videoId={V3}",
    ]
    assert api.requests[-1].url.params["part"] == "snippet,replies"


def test_a_thread_whose_reply_count_moved_has_its_replies_read_again() -> None:
    api = recorded_api()
    yt = client(api)
    state: dict = {}
    list(yt.poll(state, full=True))
    state["reply_counts"][T1] = 2
    api.requests.clear()
    list(yt.poll(state))
    assert f"GET comments parentId={T1}" in api.calls()
    assert state["reply_counts"][T1] == 3


def test_state_is_updated_before_each_page_is_handed_over() -> None:
    api = recorded_api()
    state: dict = {}
    seen = []
    for page in client(api).poll(state, full=True):
        seen.append(
            (
                page.context.get("endpoint"),
                state["quota"]["units"],
                dict(state.get("threads_newest") or {}),
            )
        )
    assert seen[0] == ("channels", 1, {})
    assert seen[4][2] == {"published": "2025-03-02T11:00:00+00:00"}  # set with the list's last page


def test_an_unreadable_page_is_handed_over_then_stops_the_poll() -> None:
    api = recorded_api()
    api.add(
        "GET",
        "commentThreads",
        httpx.Response(200, content=b'{"kind": "youtube#commentThr'),
        moderationStatus="published",
    )
    state: dict = {}
    pages = []
    with pytest.raises(PlatformError, match="unreadable") as caught:
        for page in client(api).poll(state, full=True):
            pages.append(page)
    assert not caught.value.permanent
    assert pages[-1].body.startswith(b'{"kind": "youtube#commentThr')
    with pytest.raises(MalformedPayload):
        YouTube.normalise(pages[-1].body, pages[-1].context)
    assert "published" not in (state.get("threads_newest") or {})


def test_comments_disabled_is_kept_as_an_empty_list_and_the_poll_goes_on() -> None:
    api = recorded_api()
    api.add(
        "GET", "commentThreads", "error_403_comments_disabled", moderationStatus="heldForReview"
    )
    pages = list(client(api).poll({}, full=True))
    disabled = [p for p in pages if p.status == 403]
    assert len(disabled) == 1
    assert YouTube.normalise(disabled[0].body, disabled[0].context) == Normalised()
    assert any(p.context.get("moderation_status") == "likelySpam" for p in pages)


def test_a_channel_without_uploads_has_no_videos() -> None:
    api = recorded_api()
    api.add("GET", "playlistItems", "error_404_playlist", playlistId=UPLOADS)
    pages = list(client(api).poll({}, full=True))
    assert [p.status for p in pages][:2] == [200, 404]
    assert YouTube.normalise(pages[1].body, pages[1].context) == Normalised()


def test_an_unknown_channel_is_not_found() -> None:
    api = recorded_api()
    api.add("GET", "channels", "channels_empty", id=CH)
    with pytest.raises(NotFound):
        list(client(api).poll({}, full=True))


# --- quota ----------------------------------------------------------------------------------


def test_quota_exceeded_is_rate_limited_until_the_next_pacific_midnight() -> None:
    api = recorded_api()
    api.add("GET", "commentThreads", "error_403_quota", moderationStatus="published")
    with pytest.raises(RateLimited) as caught:
        list(client(api).poll({}, full=True))
    assert caught.value.retry_at == NEXT_RESET and caught.value.code == "quotaExceeded"
    assert caught.value.status == 403 and not caught.value.permanent


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        (
            datetime(2025, 3, 9, 7, 30, tzinfo=UTC),
            datetime(2025, 3, 9, 8, 0, tzinfo=UTC),
        ),  # 23:30 PST
        (
            datetime(2025, 3, 9, 12, 0, tzinfo=UTC),
            datetime(2025, 3, 10, 7, 0, tzinfo=UTC),
        ),  # after DST began
        (
            datetime(2025, 11, 2, 12, 0, tzinfo=UTC),
            datetime(2025, 11, 3, 8, 0, tzinfo=UTC),
        ),  # after DST ended
    ],
)
def test_the_quota_resets_at_pacific_midnight_across_daylight_saving(now, reset) -> None:
    assert next_quota_reset(now) == reset


def test_the_poll_budget_stops_a_poll_before_it_is_overspent() -> None:
    api = recorded_api()
    state: dict = {}
    pages = []
    with pytest.raises(RateLimited) as caught:
        for page in client(api, budget=4).poll(state, full=True):
            pages.append(page)
    assert len(pages) == 4 and len(api.requests) == 4 and state["quota"]["units"] == 4
    assert caught.value.retry_at == NEXT_RESET and caught.value.code == "pollBudget"


def test_units_spent_yesterday_do_not_count_today() -> None:
    api = recorded_api()
    state = {"quota": {"day": "2025-03-02", "units": 6999}}
    list(client(api).poll(state, full=True))
    assert state["quota"] == {"day": "2025-03-03", "units": 9}


def test_polls_are_paced_over_the_pacific_day() -> None:
    # At 04:00 PST a sixth of the day has passed: 700 units of reserve + 1167 of pace.
    api = recorded_api()
    state = {"quota": {"day": "2025-03-03", "units": 2500}}
    with pytest.raises(RateLimited) as caught:
        list(client(api).poll(state, full=True))
    assert api.requests == []
    start = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    assert caught.value.retry_at == start + timedelta(days=1) * (2500 - 700) / 7000
    state["quota"]["units"] = 1800
    assert list(client(api).poll(state, full=True))


def test_short_rate_limits_are_retried_later() -> None:
    api = recorded_api()
    api.add("GET", "commentThreads", "error_403_rate", moderationStatus="published")
    with pytest.raises(RateLimited) as caught:
        list(client(api).poll({}, full=True))
    assert caught.value.retry_at == NOW + timedelta(seconds=60)


def test_429_is_retried_by_the_seam_then_succeeds() -> None:
    api = recorded_api()
    api.add(
        "GET",
        "commentThreads",
        "error_429_rate",
        "comment_threads_held",
        moderationStatus="heldForReview",
    )
    sleeps: list[float] = []
    yt = client(api)
    yt.http.sleep = sleeps.append
    list(yt.poll({}, full=True))
    assert 30.0 in sleeps


def test_429_that_persists_is_rate_limited_with_retry_after() -> None:
    api = recorded_api()
    api.add("GET", "commentThreads", "error_429_rate", moderationStatus="heldForReview")
    with pytest.raises(RateLimited) as caught:
        list(client(api, max_attempts=2).poll({}, full=True))
    assert caught.value.retry_at == NOW + timedelta(seconds=30)


# --- errors ---------------------------------------------------------------------------------


def test_401_is_an_invalid_token_even_in_the_middle_of_a_poll() -> None:
    api = recorded_api()
    api.add("GET", "comments", "error_401_auth", parentId=T1)
    with pytest.raises(TokenInvalid) as caught:
        list(client(api).poll({}, full=True))
    assert caught.value.permanent and caught.value.code == "authError"


@pytest.mark.parametrize(
    ("name", "error", "permanent"),
    [
        ("error_404_comment", NotFound, True),
        ("error_403_forbidden", Refused, True),
        ("error_400_page_token", Refused, True),
        ("error_400_processing", Refused, True),
        ("error_400_ban", Refused, True),
    ],
)
def test_client_errors_map_to_their_kind(name: str, error: type, permanent: bool) -> None:
    api = recorded_api()
    api.add("POST", "comments/setModerationStatus", name, id=T3, moderationStatus="rejected")
    with pytest.raises(error) as caught:
        client(api).reject(T3)
    assert caught.value.permanent is permanent
    assert caught.value.code == fixture(name)["body"]["error"]["errors"][0]["reason"]


def test_5xx_is_retried_then_succeeds_and_a_persistent_one_is_temporary() -> None:
    api = recorded_api()
    api.add("GET", "videos", "error_500_backend", "videos_by_id", id=V2)
    assert client(api).refetch(V2).status == 200
    api.add("GET", "videos", "error_500_backend", id=V2)
    with pytest.raises(PlatformError) as caught:
        client(api, max_attempts=2).refetch(V2)
    assert not caught.value.permanent and not isinstance(caught.value, (NotFound, TokenInvalid))


# --- re-reading and moderation ------------------------------------------------------------


def test_refetch_rereads_a_comment_or_a_video_and_raises_not_found_when_gone() -> None:
    api = recorded_api()
    yt = client(api)
    page = yt.refetch(T3)
    assert page.context == {"endpoint": "comments", "ids": [T3]}
    assert by_id(YouTube.normalise(page.body, {**page.context, "account_external_id": CH}))[
        T3
    ].text.startswith("Varför har ni höjt")
    assert yt.refetch(V2).context == {"endpoint": "videos", "ids": [V2]}
    with pytest.raises(NotFound):
        yt.refetch(T2)
    with pytest.raises(NotFound):
        yt.refetch(V1)
    assert api.calls()[-2:] == [f"GET comments id={T2}", f"GET videos id={V1}"]


def test_reply_to_a_comment_or_a_reply_goes_into_the_thread() -> None:
    api = recorded_api()
    api.add("POST", "comments", "comment_insert")
    yt = client(api)
    new_id = yt.reply(
        R1C, "Hej Lisa! Ja, syskonrabatten är 50 procent. /Kulturskolan", idempotency_key="k1"
    )
    assert new_id == T1 + ".9wXyZaBcDeFgHiJkLmNoPt"
    request = api.requests[-1]
    assert request.url.params["part"] == "snippet"
    assert json.loads(request.content) == {
        "snippet": {
            "parentId": T1,
            "textOriginal": "Hej Lisa! Ja, syskonrabatten är 50 procent. /Kulturskolan",
        }
    }
    assert yt.quota["units"] == 50


def test_reply_to_a_video_is_a_new_top_level_comment() -> None:
    api = recorded_api()
    api.add("POST", "commentThreads", "comment_thread_insert")
    new_id = client(api).reply(V3, "Välkomna till vårens konserter!", idempotency_key="k2")
    assert new_id == "UgxNeWtOpLeVeLcOmMeNtAaABA"
    body = json.loads(api.requests[-1].content)
    assert body["snippet"]["videoId"] == V3
    assert (
        body["snippet"]["topLevelComment"]["snippet"]["textOriginal"]
        == "Välkomna till vårens konserter!"
    )


def test_hiding_holds_the_comment_for_review_and_unhiding_publishes_it() -> None:
    api = recorded_api()
    api.add(
        "POST",
        "comments/setModerationStatus",
        "no_content",
        id=T3,
        moderationStatus="heldForReview",
    )
    api.add(
        "POST", "comments/setModerationStatus", "no_content", id=T3, moderationStatus="published"
    )
    yt = client(api)
    yt.set_hidden(T3, True)
    yt.set_hidden(T3, False)
    assert api.calls() == [
        f"POST comments/setModerationStatus id={T3} moderationStatus=heldForReview",
        f"POST comments/setModerationStatus id={T3} moderationStatus=published",
    ]


def test_deleting_someone_elses_comment_rejects_it() -> None:
    api = recorded_api()
    api.add(
        "POST", "comments/setModerationStatus", "no_content", id=T3, moderationStatus="rejected"
    )
    client(api).delete(T3)
    assert api.calls() == [
        f"GET comments id={T3}",
        f"POST comments/setModerationStatus id={T3} moderationStatus=rejected",
    ]


def test_deleting_our_own_comment_uses_comments_delete() -> None:
    api = recorded_api()
    api.add("GET", "comments", "comments_by_id_own", id=R1A)
    api.add("DELETE", "comments", "no_content", id=R1A)
    client(api).delete(R1A)
    assert api.calls()[-1] == f"DELETE comments id={R1A}"


def test_reject_with_ban_author() -> None:
    api = recorded_api()
    api.add(
        "POST", "comments/setModerationStatus", "no_content", id=H1, moderationStatus="rejected"
    )
    client(api).reject(H1, ban_author=True)
    assert api.requests[-1].url.params["banAuthor"] == "true"


def test_videos_are_neither_hidden_nor_deleted_through_the_comment_api() -> None:
    api = recorded_api()
    with pytest.raises(Refused, match="YouTube Studio"):
        client(api).delete(V1)
    with pytest.raises(Refused):
        client(api).set_hidden(V1, True)
    assert api.requests == []


def test_pages_before_moderation_are_the_comment_and_all_its_replies() -> None:
    api = recorded_api()
    api.add("GET", "comments", "comments_by_id", id=T1)
    pages = list(client(api).pages_before_moderation(T1))
    assert api.calls() == [
        f"GET comments id={T1}",
        f"GET comments parentId={T1}",
        f"GET comments pageToken=Z2V0X25ld2VzdF9maXJzdC0t parentId={T1}",
    ]
    assert [p.context.get("ids") for p in pages] == [[T1], None, None]


def test_pages_before_moderation_of_a_gone_comment_are_kept_then_not_found() -> None:
    api = recorded_api()
    pages = []
    with pytest.raises(NotFound):
        for page in client(api).pages_before_moderation(T2):
            pages.append(page)
    assert len(pages) == 1
    assert YouTube.normalise(pages[0].body, pages[0].context).signals[0].platform_id == T2


def test_ids_tell_videos_from_comments() -> None:
    assert is_video_id(V1) and not is_video_id(T1) and not is_video_id(R1A)


# --- the normaliser on recorded pages ------------------------------------------------------


def normalised(name: str, **context: Any) -> Normalised:
    return normalise(body_of(name), {"account_external_id": CH, **context})


def test_the_listing_status_stands_in_when_the_snippet_has_none() -> None:
    with pytest.raises(MalformedPayload, match="expected youtube#commentThread"):
        normalised(
            "comments_by_id", endpoint="commentThreads"
        )  # a comment list is not a thread list
    page = json.loads(body_of("comment_threads_held"))
    del page["items"][0]["snippet"]["topLevelComment"]["snippet"]["moderationStatus"]
    spam = normalise(
        json.dumps(page).encode(), {"endpoint": "commentThreads", "moderation_status": "likelySpam"}
    )
    assert spam.items[0].state == "hidden"
    by_lookup = normalised("comments_by_id", endpoint="comments", ids=[T3])
    assert by_lookup.items[0].state == "visible" and by_lookup.signals == []


def test_a_lookup_that_comes_back_empty_signals_deletion() -> None:
    gone = normalised("comments_by_id_empty", endpoint="comments", ids=[T2])
    assert [(s.platform_id, s.state) for s in gone.signals] == [(T2, "deleted_on_platform")]
    assert (
        normalised("videos_by_id_empty", endpoint="videos", ids=[V1]).signals[0].platform_id == V1
    )
    assert normalised("videos_by_id", endpoint="videos", ids=[V2]).items[0].kind == "post"


def test_without_the_account_everything_reads_as_inkommen_except_videos() -> None:
    items = by_id(
        normalise(
            body_of("comments_replies_1"), {"endpoint": "comments", "parent_id": T1, "video_id": V1}
        )
    )
    assert items[R1A].direction == "inkommen"  # no account: nothing can be told to be our own


@pytest.mark.parametrize(
    "name", ["error_403_quota", "error_401_auth", "error_404_comment", "error_500_backend"]
)
def test_error_bodies_other_than_empty_lists_are_malformed(name: str) -> None:
    with pytest.raises(MalformedPayload):
        normalised(name, endpoint="commentThreads")


def test_normalise_is_pure() -> None:
    body = body_of("comment_threads_published_1")
    context = {
        "endpoint": "commentThreads",
        "moderation_status": "published",
        "account_external_id": CH,
    }
    first = normalise(body, dict(context))
    assert normalise(body, dict(context)) == first
    assert context == {
        "endpoint": "commentThreads",
        "moderation_status": "published",
        "account_external_id": CH,
    }


@pytest.mark.parametrize(
    ("body", "context"),
    [
        (b"", {"endpoint": "comments"}),
        (b"\xff\xfe", {"endpoint": "comments"}),
        (b"[]", {"endpoint": "comments"}),
        (b'{"items": {}}', {"endpoint": "comments"}),
        (b'{"items": [1]}', {"endpoint": "commentThreads"}),
        (b'{"items": [{"kind": "youtube#video"}]}', {"endpoint": "commentThreads"}),
        (b'{"items": []}', {"endpoint": "search"}),
        (b'{"items": []}', "not a dict"),
        (
            b'{"items": [{"id": "x", "snippet": {"moderationStatus": "rejected"}}]}',
            {"endpoint": "comments"},
        ),
        (b'{"items": []}', {"endpoint": "comments", "ids": "Ugx"}),
    ],
)
def test_unreadable_payloads_are_malformed(body: bytes, context: Any) -> None:
    with pytest.raises(MalformedPayload):
        normalise(body, context)


def _only_malformed(body: bytes, context: Any) -> None:
    try:
        result = normalise(body, context)
    except MalformedPayload:
        return
    assert isinstance(result, Normalised)


CONTEXTS = st.fixed_dictionaries(
    {
        "endpoint": st.sampled_from(
            ["channels", "playlistItems", "videos", "commentThreads", "comments", "x"]
        )
    },
    optional={
        "moderation_status": st.sampled_from(["published", "likelySpam", 3]),
        "ids": st.one_of(st.none(), st.lists(st.text(max_size=5)), st.integers()),
        "account_external_id": st.one_of(st.just(CH), st.integers()),
        "parent_id": st.one_of(st.text(max_size=5), st.none()),
        "video_id": st.one_of(st.text(max_size=5), st.none()),
    },
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), CONTEXTS)
def test_random_bytes_only_raise_malformed(body: bytes, context: dict) -> None:
    _only_malformed(body, context)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, CONTEXTS)
def test_random_json_only_raises_malformed(data: Any, context: dict) -> None:
    _only_malformed(json.dumps(data).encode(), context)


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, JSON)


COMMENT = st.fixed_dictionaries(
    {
        "kind": _maybe(st.just("youtube#comment")),
        "id": _maybe(st.sampled_from([T1, R1A, "", "x"])),
        "snippet": _maybe(
            st.fixed_dictionaries(
                {
                    "textDisplay": _maybe(st.text(max_size=20)),
                    "textOriginal": _maybe(st.text(max_size=20)),
                    "authorChannelId": _maybe(
                        st.fixed_dictionaries({"value": _maybe(st.just(CH))})
                    ),
                    "authorDisplayName": _maybe(st.text(max_size=8)),
                    "parentId": _maybe(st.sampled_from([T1, ""])),
                    "videoId": _maybe(st.just(V1)),
                    "moderationStatus": _maybe(
                        st.sampled_from(["published", "heldForReview", "likelySpam", "rejected"])
                    ),
                    "publishedAt": _maybe(
                        st.sampled_from(
                            ["2025-03-01T09:00:00Z", "2025-13-01", "9999-12-31T23:59:59-23:59"]
                        )
                    ),
                    "updatedAt": _maybe(st.sampled_from(["2025-03-01T09:05:00.5Z", ""])),
                }
            )
        ),
    }
)
THREAD = st.fixed_dictionaries(
    {
        "kind": _maybe(st.just("youtube#commentThread")),
        "id": _maybe(st.just(T1)),
        "snippet": _maybe(
            st.fixed_dictionaries(
                {
                    "videoId": _maybe(st.just(V1)),
                    "topLevelComment": _maybe(COMMENT),
                    "totalReplyCount": _maybe(st.integers(0, 9)),
                }
            )
        ),
        "replies": _maybe(
            st.fixed_dictionaries({"comments": _maybe(st.lists(COMMENT, max_size=3))})
        ),
    }
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(THREAD, COMMENT), max_size=4),
    st.sampled_from(["commentThreads", "comments"]),
)
def test_api_shaped_data_normalises_or_is_malformed(entries: list, endpoint: str) -> None:
    _only_malformed(
        json.dumps({"kind": "x", "items": entries}).encode(),
        {"endpoint": endpoint, "account_external_id": CH, "ids": [T1]},
    )


def test_a_recent_video_that_is_gone_is_dropped_and_the_poll_goes_on() -> None:
    api = recorded_api()  # commentThreads?videoId=V3 answers 404
    later = datetime(2025, 3, 9, 20, 0, tzinfo=UTC)
    state: dict = {}
    list(client(api, now=later).poll(state, full=True))
    assert list(client(api, now=later).poll(state))
    assert state["recent_videos"] == {}


# --- OAuth refresh ----------------------------------------------------------------------------

CREDENTIALS = json.dumps(
    {
        "client_id": "1234-abc.apps.googleusercontent.com",
        "client_secret": "GOCSPX-s3cret",
        "refresh_token": "1//0refresh",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
)


def refreshing_client(api: Api) -> YouTube:
    connection = Connection("youtube", CH, "@kulturskolanalvby", BASE, CREDENTIALS)
    return YouTube(
        connection,
        HttpSeam(transport=httpx.MockTransport(api), sleep=lambda s: None),
        now=lambda: NOW,
    )


def test_stored_credentials_are_exchanged_for_an_access_token() -> None:
    api = recorded_api()
    api.add("POST", "https://oauth2.googleapis.com/token", "oauth_token")
    assert refreshing_client(api).verify_credentials()["id"] == CH
    token_request, call = api.requests
    assert str(token_request.url) == "https://oauth2.googleapis.com/token"
    form = dict(httpx.QueryParams(token_request.content.decode()))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "1//0refresh",
        "client_id": "1234-abc.apps.googleusercontent.com",
        "client_secret": "GOCSPX-s3cret",
    }
    assert call.headers["authorization"] == "Bearer ya29.a0AfB_byC-refreshed-access-token"


def test_an_access_token_that_expires_during_a_poll_is_refreshed_once() -> None:
    api = recorded_api()
    api.add("POST", "https://oauth2.googleapis.com/token", "oauth_token")
    api.add(
        "GET",
        "commentThreads",
        "error_401_auth",
        "comment_threads_held",
        moderationStatus="heldForReview",
    )
    pages = list(refreshing_client(api).poll({}, full=True))
    assert len(pages) == 9
    assert [r.url.host for r in api.requests].count("oauth2.googleapis.com") == 2


def test_a_revoked_refresh_token_is_an_invalid_token() -> None:
    api = recorded_api()
    api.add("POST", "https://oauth2.googleapis.com/token", "oauth_invalid_grant")
    with pytest.raises(TokenInvalid) as caught:
        list(refreshing_client(api).poll({}, full=True))
    assert caught.value.code == "invalid_grant" and "GOCSPX" not in str(caught.value)


def test_a_garbled_lookup_is_no_proof_that_a_comment_is_gone() -> None:
    api = recorded_api()
    api.add(
        "GET", "comments", httpx.Response(200, content=b'{"kind": "youtube#commentListRe'), id=T3
    )
    with pytest.raises(PlatformError) as caught:
        client(api).refetch(T3)
    assert not isinstance(caught.value, NotFound)
    pages = []
    with pytest.raises(PlatformError) as caught:
        for page in client(api).pages_before_moderation(T3):
            pages.append(page)
    assert len(pages) == 1 and not isinstance(caught.value, NotFound)


VIDEO_ENTRY = st.fixed_dictionaries(
    {
        "kind": _maybe(st.sampled_from(["youtube#playlistItem", "youtube#video"])),
        "id": _maybe(st.sampled_from([V1, ""])),
        "snippet": _maybe(
            st.fixed_dictionaries(
                {
                    "title": _maybe(st.text(max_size=10)),
                    "description": _maybe(st.text(max_size=10)),
                    "publishedAt": _maybe(st.sampled_from(["2025-03-01T09:00:00Z", "nej"])),
                    "channelId": _maybe(st.just(CH)),
                    "resourceId": _maybe(st.fixed_dictionaries({"videoId": _maybe(st.just(V2))})),
                }
            )
        ),
        "contentDetails": _maybe(
            st.fixed_dictionaries(
                {
                    "videoId": _maybe(st.just(V3)),
                    "videoPublishedAt": _maybe(st.just("2025-03-02T00:00:00Z")),
                }
            )
        ),
    }
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(VIDEO_ENTRY, max_size=4), st.sampled_from(["playlistItems", "videos"]))
def test_video_shaped_data_normalises_or_is_malformed(entries: list, endpoint: str) -> None:
    _only_malformed(
        json.dumps({"items": entries}).encode(),
        {"endpoint": endpoint, "account_external_id": CH, "ids": [V1]},
    )
