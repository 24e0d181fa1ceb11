"""Graph API reads over HTTP: nodes, fields, edges and cursor pagination."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insyn.simulator.graph.fields import parse_fields, render_fields

from .conftest import Env, make_env

FB_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


def walk(http: httpx.Client, first: httpx.Response) -> list[dict]:
    """Follow paging.next until it is absent (the only reliable end signal)."""
    items: list[dict] = []
    response = first
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["data"])
        nxt = body.get("paging", {}).get("next")
        if not nxt:
            return items
        response = http.get(nxt)


def live_comments(env: Env, post_id: str) -> list:
    world = env.sim.world
    out = []
    for c in world.comments_of_post(post_id):
        if c.deleted_at is None and (
            c.parent_id is None or world.comments[c.parent_id].deleted_at is None
        ):
            out.append(c)
    return out


def busiest_post(env: Env) -> str:
    world = env.sim.world
    posts = [p for p in world.posts_of_page(env.page_id) if p.deleted_at is None]
    return max(posts, key=lambda p: len(live_comments(env, p.id))).id


def test_page_node_default_and_requested_fields(env: Env, http) -> None:
    r = env.gget(http, env.page_id)
    assert r.status_code == 200
    assert r.json() == {"name": "Norrvik kommun", "id": env.page_id}
    r = env.gget(http, "me", fields="id,name,username,fan_count")
    assert r.json()["id"] == env.page_id and r.json()["username"] == "norrvikkommun"
    assert r.headers["facebook-api-version"] == "v23.0"
    assert r.headers["content-type"].startswith("application/json")


def test_any_version_and_unversioned_paths_and_bearer_header(env: Env, http) -> None:
    r = http.get(
        f"{env.handle.graph_url}/v19.0/{env.page_id}", params={"access_token": env.page_token}
    )
    assert r.status_code == 200 and r.headers["facebook-api-version"] == "v19.0"
    r = http.get(
        f"{env.handle.graph_url}/{env.page_id}",
        headers={"Authorization": f"Bearer {env.page_token}"},
    )
    assert r.status_code == 200 and r.json()["id"] == env.page_id


def test_feed_walk_returns_every_post_once_newest_first(env: Env, http) -> None:
    items = walk(
        http,
        env.gget(http, f"{env.page_id}/feed", limit=3, fields="id,message,created_time,from"),
    )
    ids = [i["id"] for i in items]
    world = env.sim.world
    expected = sorted(
        (p for p in world.posts_of_page(env.page_id) if p.deleted_at is None),
        key=lambda p: (p.created_time, p.seq),
        reverse=True,
    )
    assert ids == [p.id for p in expected]
    assert len(set(ids)) == len(ids) > 3
    assert all(FB_TIME.match(i["created_time"]) for i in items)
    assert all(i["id"].startswith(env.page_id + "_") for i in items)


def test_posts_edge_has_only_the_pages_own_posts(env: Env, http) -> None:
    env.sim.act(
        "post",
        page_id=env.page_id,
        message="Besökarinlägg",
        from_id=env.sim.world.create_user("Siv Holm").id,
    )
    feed = walk(http, env.gget(http, f"{env.page_id}/feed", fields="id,from", limit=100))
    posts = walk(http, env.gget(http, f"{env.page_id}/posts", fields="id,from", limit=100))
    assert {p["from"]["id"] for p in posts} == {env.page_id}
    assert len(feed) > len(posts)
    published = walk(http, env.gget(http, f"{env.page_id}/published_posts", fields="id", limit=100))
    assert [p["id"] for p in published] == [p["id"] for p in posts]


def test_comments_toplevel_default_and_stream_with_parent(env: Env, http) -> None:
    post_id = busiest_post(env)
    comments = live_comments(env, post_id)
    top = walk(
        http,
        env.gget(http, f"{post_id}/comments", limit=2, fields="id,message,parent{id},is_hidden"),
    )
    assert [c["id"] for c in top] == [
        c.id
        for c in sorted(
            (c for c in comments if c.parent_id is None), key=lambda c: (c.created_time, c.seq)
        )
    ]
    assert all("parent" not in c for c in top)
    stream = walk(
        http,
        env.gget(
            http,
            f"{post_id}/comments",
            filter="stream",
            order="chronological",
            limit=2,
            fields="id,message,from,created_time,parent{id},is_hidden,can_hide,comment_count",
        ),
    )
    assert sorted(c["id"] for c in stream) == sorted(c.id for c in comments)
    by_id = {c.id: c for c in comments}
    for item in stream:
        parent = by_id[item["id"]].parent_id
        if parent:
            assert item["parent"] == {"id": parent}
        else:
            assert "parent" not in item
        assert isinstance(item["is_hidden"], bool)
        assert set(item["from"]) == {"name", "id"}
    times = [c["created_time"] for c in stream]
    assert times == sorted(times)


def test_reverse_chronological_and_summary(env: Env, http) -> None:
    post_id = busiest_post(env)
    r = env.gget(
        http,
        f"{post_id}/comments",
        order="reverse_chronological",
        filter="stream",
        summary="true",
        limit=100,
    )
    body = r.json()
    times = [c["created_time"] for c in body["data"]]
    assert times == sorted(times, reverse=True)
    assert body["summary"]["total_count"] == len(live_comments(env, post_id))
    assert body["summary"]["order"] == "reverse_chronological"


def test_nested_comments_summary_in_feed_fields(env: Env, http) -> None:
    post_id = busiest_post(env)
    fields = "id,message,comments.filter(stream).summary(true).limit(1){id,message,parent{id}}"
    items = walk(http, env.gget(http, f"{env.page_id}/feed", fields=fields, limit=100))
    post = next(i for i in items if i["id"] == post_id)
    assert post["comments"]["summary"]["total_count"] == len(live_comments(env, post_id))
    assert len(post["comments"]["data"]) == 1
    nested_next = post["comments"]["paging"]["next"]
    rest = walk(http, http.get(nested_next))
    assert len(rest) + 1 == len(live_comments(env, post_id))


def test_before_cursor_walks_back(env: Env, http) -> None:
    first = env.gget(http, f"{env.page_id}/feed", limit=2, fields="id").json()
    second = http.get(first["paging"]["next"]).json()
    back = http.get(second["paging"]["previous"]).json()
    assert back["data"] == first["data"]
    r = env.gget(
        http,
        f"{env.page_id}/feed",
        limit=2,
        fields="id",
        before=first["paging"]["cursors"]["before"],
    )
    assert r.json()["data"] == []


def test_deleting_during_a_walk_neither_repeats_nor_breaks(env: Env, http) -> None:
    first = env.gget(http, f"{env.page_id}/feed", limit=2, fields="id").json()
    # Delete the item the after-cursor points at: the cursor still works.
    env.sim.world.delete_post(first["data"][-1]["id"])
    rest = walk(http, http.get(first["paging"]["next"]))
    ids = [i["id"] for i in first["data"]] + [i["id"] for i in rest]
    assert len(ids) == len(set(ids))
    live = [p.id for p in env.sim.world.posts_of_page(env.page_id) if p.deleted_at is None]
    assert set(live) <= set(ids)


def test_comment_node_and_deleted_comment(env: Env, http) -> None:
    post_id = busiest_post(env)
    comment = next(c for c in live_comments(env, post_id) if c.parent_id is None)
    r = env.gget(http, comment.id)
    assert set(r.json()) == {"created_time", "from", "message", "id"}
    r = env.gget(http, comment.id, fields="id,attachment,permalink_url,can_remove")
    assert r.json()["permalink_url"].startswith("https://www.facebook.com/")
    env.sim.world.delete_comment(comment.id)
    r = env.gget(http, comment.id)
    assert r.status_code == 400
    error = r.json()["error"]
    assert (error["code"], error["error_subcode"], error["type"]) == (
        100,
        33,
        "GraphMethodException",
    )
    assert "fbtrace_id" in error


def test_hidden_comments_are_still_returned_to_the_page(env: Env, http) -> None:
    post_id = busiest_post(env)
    comment = next(c for c in live_comments(env, post_id) if c.from_id != env.page_id)
    env.sim.world.set_comment_hidden(comment.id, True)
    stream = walk(
        http,
        env.gget(http, f"{post_id}/comments", filter="stream", fields="id,is_hidden", limit=100),
    )
    assert {"id": comment.id, "is_hidden": True} in stream


def test_conversations_and_messages(env: Env, http) -> None:
    convs = walk(
        http,
        env.gget(
            http,
            f"{env.page_id}/conversations",
            platform="messenger",
            limit=2,
            fields="id,updated_time,message_count,unread_count,participants,link",
        ),
    )
    world = env.sim.world
    assert sorted(c["id"] for c in convs) == sorted(c.id for c in world.conversations.values())
    times = [c["updated_time"] for c in convs]
    assert times == sorted(times, reverse=True)
    conv = convs[0]
    assert conv["id"].startswith("t_")
    participants = conv["participants"]["data"]
    assert {p["id"] for p in participants} >= {env.page_id}
    person = next(p for p in participants if p["id"] != env.page_id)
    assert person["email"] == f"{person['id']}@facebook.com"
    messages = walk(
        http,
        env.gget(http, f"{conv['id']}/messages", limit=1, fields="id,message,from,to,created_time"),
    )
    assert len(messages) == conv["message_count"]
    assert all(m["id"].startswith("m_") for m in messages)
    assert all("data" in m["to"] for m in messages)
    one = env.gget(http, messages[0]["id"], fields="id,message,from,created_time").json()
    assert one["message"] == messages[0]["message"]
    user_id = next(p["id"] for p in participants if p["id"] != env.page_id)
    only = env.gget(http, f"{env.page_id}/conversations", user_id=user_id).json()["data"]
    assert [c["id"] for c in only] == [conv["id"]]


def test_unknown_field_and_unknown_edge(env: Env, http) -> None:
    r = env.gget(http, env.page_id, fields="id,nonsense")
    assert r.status_code == 400 and r.json()["error"]["code"] == 100
    assert "nonsense" in r.json()["error"]["message"]
    r = env.gget(http, f"{env.page_id}/nonsense")
    assert r.status_code == 400 and r.json()["error"]["code"] == 2500
    r = env.gget(http, f"{env.page_id}/feed", after="not a cursor!")
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


@pytest.fixture(scope="module")
def shared_env():
    env = make_env(seed=11, history_days=3, ticks=60)
    yield env
    env.handle.stop()


@settings(max_examples=15, deadline=None)
@given(limit=st.integers(min_value=1, max_value=9), stream=st.booleans())
def test_any_page_size_walks_every_comment_exactly_once(
    shared_env: Env, limit: int, stream: bool
) -> None:
    env = shared_env
    with httpx.Client(timeout=10) as http:
        post_id = busiest_post(env)
        params = {"limit": limit, "fields": "id"}
        if stream:
            params["filter"] = "stream"
        items = walk(http, env.gget(http, f"{post_id}/comments", **params))
        ids = [i["id"] for i in items]
        expected = [c.id for c in live_comments(env, post_id) if stream or c.parent_id is None]
        assert len(ids) == len(set(ids))
        assert sorted(ids) == sorted(expected)


@pytest.mark.parametrize(
    "text",
    [
        "id,message",
        "comments.filter(stream).summary(true).limit(5){id,parent{id},from{name}}",
        "attachments{media_type,media{image{src}}},from{id,name}",
        "comments{id}.limit(2)",
    ],
)
def test_fields_parser_round_trips(text: str) -> None:
    specs = parse_fields(text)
    assert parse_fields(render_fields(specs)) == specs


def test_fields_syntax_error_is_a_graph_error(env: Env, http) -> None:
    r = env.gget(http, env.page_id, fields="id,comments{message")
    assert r.status_code == 400 and r.json()["error"]["code"] == 2500
