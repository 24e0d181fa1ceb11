"""The blog module against recorded responses (tests/fixtures/blog), written by hand from
developer.wordpress.org/rest-api (reference/posts, reference/comments, pagination,
authentication) and WordPress's feed templates (RSS 2.0, Atom). Each fixture file is a
recorded response: ``status``, ``headers`` and ``body`` (JSON, or the feed's XML text).

The world in the fixtures: posts 12 (edited), 9 and 5 on https://blogg.exempel.se; approved
comments 30 (Anna asks on 12), 31 (the staff's answer to 30), 28 (Erik on 9, with a link),
25 (Lisa on 5); 29 held in the moderation queue (a threat); none in spam.
"""

from __future__ import annotations

import base64
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
    Normalised,
    NotFound,
    PlatformError,
    RateLimited,
    TokenInvalid,
)
from insyn.capture.platforms.blog import Blog, Refused
from insyn.capture.platforms.blog.client import parse_link_header
from insyn.lib.http import HttpSeam

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "blog"
HOME = "https://blogg.exempel.se"
API = f"{HOME}/wp-json"
TOKEN = "redaktion:abcd EFGH ijkl MNOP qrst UVWX"
NOW = datetime(2025, 3, 9, 12, 0, tzinfo=UTC)
S12 = f"{HOME}/2025/03/01/nu-oppnar-nya-atervinningscentralen/"
S9 = f"{HOME}/2025/02/20/snorojningen-i-vinter/"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def body_of(name: str) -> bytes:
    body = fixture(name)["body"]
    return (
        body.encode("utf-8")
        if isinstance(body, str)
        else json.dumps(body, ensure_ascii=False).encode("utf-8")
    )


def response_of(name: str) -> httpx.Response:
    doc = fixture(name)
    return httpx.Response(doc["status"], headers=doc["headers"], content=body_of(name))


class Site:
    """A recorded blog: routes (method, path, page, status) to fixture files, served in turn."""

    def __init__(self) -> None:
        self.routes: dict[tuple, list] = {}
        self.requests: list[httpx.Request] = []

    def add(
        self,
        method: str,
        url: str,
        *answers: str | httpx.Response,
        page: str = "1",
        status: str = "",
    ) -> None:
        self.routes[(method, url, page, status)] = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url.copy_with(query=None))
        key = (
            request.method,
            url,
            request.url.params.get("page", "1"),
            request.url.params.get("status", ""),
        )
        answers = self.routes.get((request.method, str(request.url), "1", "")) or self.routes.get(
            key
        )
        if not answers:
            return response_of("error_404_rest_post_invalid_id")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return response_of(answer) if isinstance(answer, str) else answer

    def seen(self) -> list[str]:
        return [f"{r.method} {r.url.path}?{r.url.query.decode()}" for r in self.requests]


def wordpress_site() -> Site:
    site = Site()
    site.add("GET", f"{API}/wp/v2/users/me", "wp_users_me")
    site.add("GET", f"{API}/", "wp_index")
    site.add("GET", f"{API}/wp/v2/posts", "wp_posts_1")
    site.add("GET", f"{API}/wp/v2/posts", "wp_posts_2", page="2")
    site.add("GET", f"{API}/wp/v2/comments", "wp_comments_1", status="approve")
    site.add("GET", f"{API}/wp/v2/comments", "wp_comments_2", page="2", status="approve")
    site.add("GET", f"{API}/wp/v2/comments", "wp_comments_hold", status="hold")
    site.add("GET", f"{API}/wp/v2/comments", "wp_comments_empty", status="spam")
    site.add("GET", f"{API}/wp/v2/comments/30", "wp_comment_30")
    site.add("GET", f"{API}/wp/v2/comments/25", "wp_comment_25_trash")
    site.add("GET", f"{API}/wp/v2/comments/28", "error_404_rest_comment_invalid_id")
    site.add("POST", f"{API}/wp/v2/comments", "wp_comment_created")
    site.add("POST", f"{API}/wp/v2/comments/30", "wp_comment_30_held")
    site.add("DELETE", f"{API}/wp/v2/comments/30", "wp_comment_30_trashed")
    return site


def feed_site() -> Site:
    site = Site()
    site.add("GET", f"{HOME}/feed/", "feed_rss2")
    site.add("GET", f"{S12}feed/", "comments_rss2_p12")
    site.add("GET", f"{S9}feed/", "comments_rss2_p9")
    site.add("GET", f"{HOME}/feed/atom/", "feed_atom")
    site.add("GET", f"{HOME}/feed/atom/?paged=2", "feed_atom_2")
    return site


def client(site: Site, *, base: str = API, token: str = TOKEN, **seam: Any) -> Blog:
    http = HttpSeam(
        transport=httpx.MockTransport(site), sleep=seam.pop("sleep", lambda s: None), **seam
    )
    return Blog(
        Connection(
            platform="blog", external_id="", handle="blogg.exempel.se", base_url=base, token=token
        ),
        http,
        now=lambda: NOW,
    )


def items_of(pages) -> dict:
    out: dict = {}
    for page in pages:
        for item in Blog.normalise(page.body, page.context).items:
            out[item.platform_id] = item
    return out


def normalise(name: str, endpoint: str, **context: Any) -> Normalised:
    return Blog.normalise(body_of(name), {"endpoint": endpoint, **context})


# --- the WordPress REST API ---------------------------------------------------------------


def test_registered_under_the_platform_name() -> None:
    assert platform_class("blog") is Blog


def test_verify_credentials_uses_the_application_password_over_basic_auth() -> None:
    site = wordpress_site()
    me = client(site).verify_credentials()
    assert me["username"] == "redaktion"
    request = site.requests[0]
    assert request.url.params["context"] == "edit"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(TOKEN.encode()).decode()


def test_without_a_password_the_index_is_checked_and_nothing_is_sent() -> None:
    site = wordpress_site()
    assert "wp/v2" in client(site, token="-").verify_credentials()["namespaces"]
    assert "Authorization" not in site.requests[0].headers


def test_full_poll_walks_posts_and_every_comment_status_by_link_header() -> None:
    site = wordpress_site()
    state: dict = {}
    pages = list(client(site).poll(state, full=True))
    assert [p.context["endpoint"] for p in pages] == ["wp_posts"] * 2 + ["wp_comments"] * 4
    first = site.requests[2].url.params
    assert (first["per_page"], first["orderby"], first["order"], first["context"]) == (
        "100",
        "id",
        "desc",
        "edit",
    )
    assert [r.url.params.get("status") for r in site.requests[2:]] == [
        "approve",
        "approve",
        "hold",
        "spam",
    ]
    items = items_of(pages)
    assert set(items) == {
        "post-12",
        "post-9",
        "post-5",
        "comment-31",
        "comment-30",
        "comment-28",
        "comment-25",
        "comment-29",
    }
    assert state == {
        "posts_modified": "2025-03-02T10:00:00",
        "comments_max_id": 31,
        "comments_newest": "2025-03-02T08:05:00",
    }


def test_without_a_password_only_approved_comments_are_read() -> None:
    site = wordpress_site()
    pages = list(client(site, token="-").poll({}, full=True))
    assert all("context" not in r.url.params for r in site.requests)
    assert [r.url.params.get("status") for r in site.requests if "comments" in r.url.path] == [
        "approve",
        "approve",
    ]
    assert "comment-29" not in items_of(pages)


def test_incremental_poll_asks_only_for_the_news_and_stops_at_what_it_has_seen() -> None:
    site = wordpress_site()
    site.add("GET", f"{API}/wp/v2/comments", "wp_comments_new", status="approve")
    state = {
        "posts_modified": "2025-03-02T10:00:00",
        "comments_max_id": 31,
        "comments_newest": "2025-03-02T08:05:00",
    }
    pages = list(client(site).poll(state))
    assert [(p.context["endpoint"], p.context.get("status")) for p in pages] == [
        ("wp_posts", None),
        ("wp_comments", "approve"),
        ("wp_comments", "hold"),
        ("wp_comments", "spam"),
    ]
    # WordPress compares these bounds with the site's local time: a day's overlap
    posts, approved = site.requests[0].url.params, site.requests[1].url.params
    assert posts["modified_after"] == "2025-03-01T10:00:00"
    assert approved["after"] == "2025-03-01T08:05:00"
    assert "after" not in site.requests[2].url.params  # the moderation queue is read whole
    assert "comment-32" in items_of(pages)
    assert state["comments_max_id"] == 32 and state["comments_newest"] == "2025-03-03T07:00:00"


def test_pagination_links_to_another_host_are_refused() -> None:
    site = wordpress_site()
    evil = response_of("wp_posts_1")
    evil.headers["Link"] = '<https://evil.example/wp-json/wp/v2/posts?page=2>; rel="next"'
    site.add("GET", f"{API}/wp/v2/posts", evil)
    with pytest.raises(Refused):
        list(client(site).poll({}, full=True))
    assert all(r.url.host == "blogg.exempel.se" for r in site.requests)


def test_parse_link_header() -> None:
    header = fixture("wp_comments_1")["headers"]["Link"]
    assert parse_link_header(header)["next"].endswith("page=2")
    assert parse_link_header('<a>; rel="prev", <b>; rel="next"') == {"prev": "a", "next": "b"}


def test_refetch_reads_one_comment_and_raises_not_found_when_it_is_gone() -> None:
    site = wordpress_site()
    blog = client(site)
    page = blog.refetch("comment-25")
    assert Blog.normalise(page.body, page.context).items[0].state == "deleted_on_platform"  # trash
    with pytest.raises(NotFound):
        blog.refetch("comment-28")
    with pytest.raises(NotFound):
        blog.refetch("https://not-a-wordpress-id")


def test_refetch_without_a_password_keeps_a_401_as_no_longer_public() -> None:
    site = wordpress_site()
    site.add("GET", f"{API}/wp/v2/comments/29", "error_401_rest_cannot_read")
    page = client(site, token="-").refetch("comment-29")
    assert page.status == 401
    assert Blog.normalise(page.body, page.context).signals[0].state == "hidden"


@pytest.mark.parametrize(
    "name",
    [
        "error_401_incorrect_password",
        "error_401_invalid_username",
        "error_401_rest_not_logged_in",
        "error_401_rest_forbidden",
    ],
)
def test_credentials_that_do_not_work_are_token_invalid(name: str) -> None:
    site = wordpress_site()
    site.add("GET", f"{API}/wp/v2/posts", name)
    with pytest.raises(TokenInvalid) as err:
        list(client(site).poll({}, full=True))
    assert err.value.code == fixture(name)["body"]["code"]
    assert err.value.permanent


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("error_404_rest_comment_invalid_id", NotFound),
        ("error_403_rest_cannot_edit", Refused),
        ("error_400_rest_invalid_param", Refused),
    ],
)
def test_client_errors_map_to_their_kind(name: str, error: type) -> None:
    site = wordpress_site()
    site.add("POST", f"{API}/wp/v2/comments/30", name)
    with pytest.raises(error) as err:
        client(site).set_hidden("comment-30", True)
    assert fixture(name)["body"]["message"] in str(err.value)


def test_429_is_retried_after_retry_after() -> None:
    site = wordpress_site()
    sleeps: list[float] = []
    site.add("GET", f"{API}/wp/v2/users/me", "error_429", "wp_users_me")
    client(site, sleep=sleeps.append).verify_credentials()
    assert sleeps == [120.0]


def test_429_beyond_the_seams_patience_is_rate_limited_with_retry_at() -> None:
    site = wordpress_site()
    site.add("GET", f"{API}/wp/v2/posts", "error_429")
    with pytest.raises(RateLimited) as err:
        list(client(site, max_wait=60).poll({}, full=True))
    assert err.value.retry_at == datetime(2025, 3, 9, 12, 2, tzinfo=UTC)


def test_503_with_an_http_date_is_rate_limited_until_that_date() -> None:
    site = wordpress_site()
    site.add("GET", f"{API}/wp/v2/posts", "error_503")
    with pytest.raises(RateLimited) as err:
        list(client(site, max_wait=60).poll({}, full=True))
    assert err.value.retry_at == datetime(2025, 3, 9, 12, 30, tzinfo=UTC)


def test_5xx_that_persists_is_a_temporary_error() -> None:
    site = wordpress_site()
    site.add("GET", f"{API}/wp/v2/posts", httpx.Response(502, text="Bad gateway"))
    with pytest.raises(PlatformError) as err:
        list(client(site).poll({}, full=True))
    assert not err.value.permanent and not isinstance(err.value, RateLimited)


def test_an_unreadable_list_is_handed_over_then_stops_the_poll() -> None:
    site = wordpress_site()
    site.add("GET", f"{API}/wp/v2/posts", httpx.Response(200, content=body_of("wp_posts_1")[:100]))
    state: dict = {}
    pages = []
    with pytest.raises(PlatformError):
        for page in client(site).poll(state, full=True):
            pages.append(page)
    assert len(pages) == 1 and state == {}
    with pytest.raises(MalformedPayload):
        Blog.normalise(pages[0].body, pages[0].context)


def test_reply_to_a_comment_posts_under_its_post_with_the_parent() -> None:
    site = wordpress_site()
    new_id = client(site).reply(
        "comment-30", "Ja, det gör vi. Välkommen!", idempotency_key="case-1"
    )
    assert new_id == "comment-40"
    post = [r for r in site.requests if r.method == "POST"][0]
    assert json.loads(post.content) == {
        "post": 12,
        "parent": 30,
        "content": "Ja, det gör vi. Välkommen!",
    }


def test_a_retried_reply_that_wordpress_calls_a_duplicate_returns_the_first() -> None:
    site = wordpress_site()
    site.add("POST", f"{API}/wp/v2/comments", "error_409_comment_duplicate")
    listing = httpx.Response(200, json=[fixture("wp_comment_created")["body"]])
    site.add("GET", f"{API}/wp/v2/comments", listing)
    assert (
        client(site).reply("comment-30", "Ja, det gör vi. Välkommen!", idempotency_key="k")
        == "comment-40"
    )


def test_hide_holds_and_delete_trashes_a_comment() -> None:
    site = wordpress_site()
    blog = client(site)
    blog.set_hidden("comment-30", True)
    blog.delete("comment-30")
    writes = [(r.method, r.url.path, r.content) for r in site.requests]
    assert writes[0][:2] == ("POST", "/wp-json/wp/v2/comments/30")
    assert json.loads(writes[0][2]) == {"status": "hold"}
    assert writes[1][:2] == ("DELETE", "/wp-json/wp/v2/comments/30") and "force" not in str(
        site.requests[1].url
    )
    blog.set_hidden("comment-30", False)
    assert json.loads(site.requests[-1].content) == {"status": "approved"}


def test_moderation_needs_a_password_and_a_comment() -> None:
    site = wordpress_site()
    with pytest.raises(NotImplementedError):
        client(site, token="-").set_hidden("comment-30", True)
    with pytest.raises(NotImplementedError):
        client(site).delete("post-12")
    with pytest.raises(NotImplementedError):
        client(feed_site(), base=f"{HOME}/feed/", token="-").reply("x", "y", idempotency_key="k")
    assert site.requests == []


# --- the WordPress normaliser --------------------------------------------------------------


def test_posts_are_the_authoritys_own_with_their_edit_time() -> None:
    items = {i.platform_id: i for i in normalise("wp_posts_1", "wp_posts").items}
    p12 = items["post-12"]
    assert (p12.kind, p12.direction, p12.record_type, p12.state) == (
        "post",
        "upprattad",
        "own_post",
        "visible",
    )
    assert p12.text == (
        "Nu öppnar nya återvinningscentralen\n\nDen 3 mars öppnar Norra återvinningscentralen på "
        "Industrivägen 4.\n\nÖppettider: mån–fre 7–19\nlör 9–15"
    )
    assert p12.created_at == datetime(2025, 3, 1, 9, 15, 2, tzinfo=UTC)
    assert p12.edited_at == datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    assert items["post-9"].edited_at is None and items["post-9"].url == S9


def test_comments_replies_and_own_answers() -> None:
    items = {i.platform_id: i for i in normalise("wp_comments_1", "wp_comments").items}
    anna, answer, erik = items["comment-30"], items["comment-31"], items["comment-28"]
    assert (anna.kind, anna.direction, anna.record_type) == (
        "comment",
        "inkommen",
        "public_comment",
    )
    assert (anna.parent_platform_id, anna.thread_platform_id) == ("post-12", "post-12")
    assert (
        anna.text == "Tar ni emot färgburkar & lösningsmedel där?"
        and anna.author_name == "Anna Svensson"
    )
    assert (answer.kind, answer.direction, answer.record_type) == ("reply", "upprattad", "own_post")
    assert answer.parent_platform_id == "comment-30"
    assert erik.text == "Vår gata har inte plogats på tre dagar. Se kartan\n\nMvh Erik"
    assert erik.created_at == datetime(2025, 2, 21, 6, 12, 45, tzinfo=UTC)


def test_held_and_trashed_comments_carry_their_state() -> None:
    held = normalise("wp_comments_hold", "wp_comments").items[0]
    assert held.state == "hidden" and held.text == "Ni på kommunen borde skjutas allihop."
    trashed = normalise("wp_comment_25_trash", "wp_comment").items[0]
    assert trashed.state == "deleted_on_platform"
    # the same comment read publicly and with credentials gives the same text
    public = {i.platform_id: i for i in normalise("wp_comments_1", "wp_comments").items}[
        "comment-30"
    ]
    assert normalise("wp_comment_30", "wp_comment").items[0].text == public.text


def test_a_kept_404_or_401_is_a_state_signal_and_other_errors_are_malformed() -> None:
    gone = normalise("error_404_rest_comment_invalid_id", "wp_comment", platform_id="comment-28")
    assert [(s.platform_id, s.state) for s in gone.signals] == [
        ("comment-28", "deleted_on_platform")
    ]
    hidden = normalise("error_401_rest_cannot_read", "wp_comment", platform_id="comment-29")
    assert hidden.signals[0].state == "hidden"
    with pytest.raises(MalformedPayload):
        normalise("error_401_incorrect_password", "wp_comments")


# --- feeds ---------------------------------------------------------------------------------


def test_feed_poll_reads_the_feed_and_each_posts_comment_feed() -> None:
    site = feed_site()
    blog = client(site, base=f"{HOME}/feed/", token="-")
    assert blog.verify_credentials()["version"] == "rss20"
    state: dict = {}
    pages = list(blog.poll(state, full=True))
    assert [p.context["endpoint"] for p in pages] == ["feed", "comment_feed", "comment_feed"]
    assert all("Authorization" not in r.headers for r in site.requests)
    items = items_of(pages)
    assert set(items) == {
        f"{HOME}/?p=12",
        f"{HOME}/?p=9",
        f"{HOME}/?p=12#comment-30",
        f"{HOME}/?p=12#comment-31",
        f"{HOME}/?p=9#comment-28",
    }
    assert state["comment_feeds"] == {f"{HOME}/?p=12": f"{S12}feed/", f"{HOME}/?p=9": f"{S9}feed/"}
    assert state["validators"][f"{HOME}/feed/"]["etag"] == '"4c6b0b4e3f1c7d2a9e8f5a6b7c8d9e0f"'


def test_an_incremental_feed_poll_asks_conditionally_and_a_304_yields_nothing() -> None:
    site = feed_site()
    blog = client(site, base=f"{HOME}/feed/", token="-")
    state: dict = {}
    list(blog.poll(state, full=True))
    for url in (f"{HOME}/feed/", f"{S12}feed/", f"{S9}feed/"):
        site.add("GET", url, "feed_304")
    site.requests.clear()
    assert list(blog.poll(state)) == []
    assert site.requests[0].headers["If-None-Match"] == '"4c6b0b4e3f1c7d2a9e8f5a6b7c8d9e0f"'
    assert site.requests[0].headers["If-Modified-Since"] == "Sun, 02 Mar 2025 10:00:00 GMT"
    assert len(site.requests) == 3  # the comment feeds are asked even when the feed is unchanged


def test_a_full_feed_pass_follows_rfc5005_next_links_and_asks_unconditionally() -> None:
    site = feed_site()
    blog = client(site, base=f"{HOME}/feed/atom/", token="-")
    state = {"validators": {f"{HOME}/feed/atom/": {"etag": '"77aa"'}}}
    pages = list(blog.poll(state, full=True))
    assert [p.url for p in pages][:2] == [f"{HOME}/feed/atom/", f"{HOME}/feed/atom/?paged=2"]
    assert "If-None-Match" not in site.requests[0].headers
    assert "tag:blogg.exempel.se,2025-01-10:post-5" in items_of(pages)


def test_a_truncated_feed_is_kept_then_stops_the_poll_without_moving_the_validators() -> None:
    site = feed_site()
    doc = fixture("feed_rss2")
    site.add(
        "GET",
        f"{HOME}/feed/",
        httpx.Response(200, headers=doc["headers"], content=body_of("feed_rss2")[:900]),
    )
    state: dict = {}
    pages = []
    with pytest.raises(PlatformError):
        for page in client(site, base=f"{HOME}/feed/", token="-").poll(state, full=True):
            pages.append(page)
    assert len(pages) == 1 and "validators" not in state
    with pytest.raises(MalformedPayload):
        Blog.normalise(pages[0].body, pages[0].context)


def test_a_feed_entry_is_asked_for_by_its_page_and_a_404_is_a_deletion() -> None:
    site = feed_site()
    blog = client(site, base=f"{HOME}/feed/", token="-")
    list(blog.poll({}, full=True))
    site.add("HEAD", S12, httpx.Response(200))
    site.add("HEAD", S9, httpx.Response(404))
    page = blog.refetch(f"{HOME}/?p=12#comment-30")  # a comment is asked for by its post's page
    assert page.url == S12 and Blog.normalise(page.body, page.context) == Normalised()
    with pytest.raises(NotFound):
        blog.refetch(f"{HOME}/?p=9")


def test_feed_posts_are_own_comments_inkommen_and_markup_is_gone() -> None:
    items = {i.platform_id: i for i in normalise("feed_rss2", "feed").items}
    post = items[f"{HOME}/?p=12"]
    assert (post.kind, post.direction, post.record_type) == ("post", "upprattad", "own_post")
    assert post.text == (
        "Nu öppnar nya återvinningscentralen\n\nDen 3 mars öppnar Norra återvinningscentralen på "
        "Industrivägen 4.\n\nÖppettider: mån–fre 7–19\nlör 9–15"
    )
    assert "alert" not in post.text and "<" not in post.text
    assert (
        post.media[0].url.endswith("oppettider.pdf")
        and post.media[0].mime_type == "application/pdf"
    )
    assert post.created_at == datetime(2025, 3, 1, 9, 15, 2, tzinfo=UTC) and post.url == S12
    comments = {
        i.platform_id: i
        for i in normalise("comments_rss2_p12", "comment_feed", post_id=f"{HOME}/?p=12").items
    }
    anna = comments[f"{HOME}/?p=12#comment-30"]
    assert (anna.kind, anna.direction, anna.parent_platform_id) == (
        "comment",
        "inkommen",
        f"{HOME}/?p=12",
    )
    assert (
        anna.text == "Tar ni emot färgburkar & lösningsmedel där?"
        and anna.author_name == "Anna Svensson"
    )


def test_atom_entries_keep_their_edit_time_and_replies_feed() -> None:
    post = normalise("feed_atom", "feed").items[0]
    assert post.platform_id == f"{HOME}/?p=12"
    assert post.edited_at == datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    with pytest.raises(MalformedPayload):
        normalise("comments_rss2_p12", "comment_feed")  # no post_id: cannot place the comments


def test_pages_read_through_poll_match_the_endpoint_normaliser() -> None:
    for page in client(wordpress_site()).poll({}, full=True):
        assert Blog.normalise(page.body, dict(page.context)) == Blog.normalise(
            page.body, dict(page.context)
        )


def test_normalise_is_pure_and_never_fetches() -> None:
    # A body that names a URL or a file is data, not a place to read from.
    for body in (b"https://blogg.exempel.se/feed/", b"/etc/passwd", b"feed://x"):
        with pytest.raises(MalformedPayload):
            Blog.normalise(body, {"endpoint": "feed"})


# --- the normaliser raises MalformedPayload and nothing else ----------------------------------

ENDPOINTS = [
    "wp_posts",
    "wp_post",
    "wp_comments",
    "wp_comment",
    "feed",
    "comment_feed",
    "exists",
    "other",
    None,
]
contexts = st.fixed_dictionaries(
    {"endpoint": st.sampled_from(ENDPOINTS)},
    optional={
        "post_id": st.one_of(st.text(max_size=20), st.integers()),
        "platform_id": st.one_of(st.text(max_size=20), st.none()),
    },
)


def _only_malformed(body: bytes, context: Any) -> None:
    try:
        result = Blog.normalise(body, context)
    except MalformedPayload:
        return
    assert isinstance(result, Normalised)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), contexts)
def test_random_bytes_only_raise_malformed(body: bytes, context: dict) -> None:
    _only_malformed(body, context)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
wp_comment = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.integers(-3, 10**12), st.text(max_size=5), st.booleans(), st.none()),
        "post": st.one_of(st.integers(-3, 50), st.text(max_size=5), st.none()),
        "parent": st.one_of(st.integers(-3, 50), st.text(max_size=5), st.none()),
        "author": st.one_of(st.integers(-1, 5), st.text(max_size=3), st.none()),
        "date_gmt": st.one_of(st.text(max_size=25), st.just("2025-03-01T09:15:02"), st.none()),
        "modified_gmt": st.one_of(st.text(max_size=25), st.none()),
        "content": st.one_of(
            st.fixed_dictionaries({"rendered": st.text(max_size=80)}), json_values
        ),
        "title": json_values,
        "status": st.one_of(
            st.sampled_from(["approved", "hold", "spam", "trash", "publish"]), json_values
        ),
        "code": st.text(max_size=20),
        "author_name": json_values,
        "link": json_values,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_values, st.lists(wp_comment, max_size=4), wp_comment), contexts)
def test_random_json_only_raises_malformed(data: Any, context: dict) -> None:
    _only_malformed(json.dumps(data).encode(), context)


feed_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(feed_text, feed_text, feed_text), max_size=3), st.integers(0, 2000), contexts
)
def test_mangled_feeds_only_raise_malformed(entries, cut: int, context: dict) -> None:
    """Well-formed and broken RSS with odd text, truncated anywhere."""
    items = "".join(
        f"<item><title>{t}</title><guid>{g}</guid><description><![CDATA[{d}]]></description></item>"
        for t, g, d in entries
    )
    document = f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    for body in (
        document.encode("utf-8", "surrogatepass"),
        document.encode("utf-8", "surrogatepass")[:cut],
    ):
        _only_malformed(body, context)


def test_an_entry_whose_id_is_no_url_is_asked_for_by_its_kept_link() -> None:
    site = feed_site()
    state: dict = {}
    list(client(site, base=f"{HOME}/feed/atom/", token="-").poll(state, full=True))
    tag = "tag:blogg.exempel.se,2025-01-10:post-5"
    assert state["links"] == {
        tag: f"{HOME}/2025/01/10/valkommen-till-bloggen/"
    }  # URL guids are not kept
    site.add("GET", f"{HOME}/feed/atom/", "feed_304")
    site.add("GET", f"{S12}feed/atom/", "feed_304")
    site.add("HEAD", f"{HOME}/2025/01/10/valkommen-till-bloggen/", httpx.Response(410))
    later = client(site, base=f"{HOME}/feed/atom/", token="-")
    assert list(later.poll(state)) == []
    with pytest.raises(NotFound):
        later.refetch(tag)
    unknown = later.refetch("urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a")
    assert unknown.context["checked"] is False  # nothing to ask: kept, never concluded gone
