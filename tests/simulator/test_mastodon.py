"""Mastodon REST API over HTTP: entities, Link pagination, threads, edits, DMs, errors."""

from __future__ import annotations

import re
import time
from datetime import datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insyn.simulator import Simulator, VirtualClock, start_in_thread

from .conftest import Env

LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')
MASTO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


def walk(env: Env, http: httpx.Client, first: httpx.Response) -> list[dict]:
    """Follow rel="next" until it is gone or a page comes back empty."""
    items: list[dict] = []
    response = first
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page)
        nxt = links(response).get("next")
        if not nxt or not page:
            return items
        response = http.get(nxt, headers={"Authorization": f"Bearer {env.mastodon_token}"})


def test_verify_credentials(env: Env, http) -> None:
    r = env.mget(http, "/api/v1/accounts/verify_credentials")
    assert r.status_code == 200
    account = r.json()
    assert account["id"] == env.account_id and account["acct"] == "norrvikskommun"
    assert account["url"] == f"{env.masto}/@norrvikskommun"
    assert "source" in account
    assert int(r.headers["x-ratelimit-limit"]) == 300
    assert int(r.headers["x-ratelimit-remaining"]) < 300
    assert r.headers["x-ratelimit-reset"].endswith("Z")
    datetime.fromisoformat(r.headers["x-ratelimit-reset"].replace("Z", "+00:00"))


def test_status_entity_shape(env: Env, http) -> None:
    statuses = env.mget(http, f"/api/v1/accounts/{env.account_id}/statuses").json()
    status = statuses[0]
    for key in (
        "id",
        "uri",
        "url",
        "created_at",
        "edited_at",
        "content",
        "spoiler_text",
        "visibility",
        "in_reply_to_id",
        "in_reply_to_account_id",
        "account",
        "media_attachments",
        "mentions",
        "tags",
        "emojis",
        "reblog",
        "replies_count",
        "reblogs_count",
        "favourites_count",
        "sensitive",
        "language",
        "card",
        "poll",
    ):
        assert key in status, key
    assert isinstance(status["id"], str) and status["id"].isdigit()
    assert MASTO_TIME.match(status["created_at"])
    assert status["content"].startswith("<p>") and status["content"].endswith("</p>")
    assert set(status["account"]) >= {"id", "username", "acct", "display_name", "url"}


def test_account_statuses_link_walk_and_cursors(env: Env, http) -> None:
    items = walk(env, http, env.mget(http, f"/api/v1/accounts/{env.account_id}/statuses", limit=2))
    ids = [s["id"] for s in items]
    assert len(ids) == len(set(ids)) > 2
    assert ids == sorted(ids, key=int, reverse=True)
    world = env.sim.world
    assert set(ids) == {s.id for s in world.statuses_of(env.account_id) if s.deleted_at is None}

    newest = ids[0]
    middle = ids[len(ids) // 2]
    older = env.mget(http, f"/api/v1/accounts/{env.account_id}/statuses", max_id=middle).json()
    assert all(int(s["id"]) < int(middle) for s in older)
    newer = env.mget(http, f"/api/v1/accounts/{env.account_id}/statuses", since_id=middle).json()
    assert [s["id"] for s in newer] == [i for i in ids if int(i) > int(middle)][:20]
    just_above = env.mget(
        http, f"/api/v1/accounts/{env.account_id}/statuses", min_id=ids[-1], limit=1
    ).json()
    assert [s["id"] for s in just_above] == [ids[-2]]
    r = env.mget(http, f"/api/v1/accounts/{env.account_id}/statuses", min_id=newest)
    assert r.json() == [] and "link" not in r.headers
    prev = links(env.mget(http, f"/api/v1/accounts/{env.account_id}/statuses", limit=2))["prev"]
    assert f"min_id={newest}" in prev and "limit=2" in prev


def test_exclude_replies_keeps_self_threads(env: Env, http) -> None:
    world = env.sim.world
    root = world.create_status(env.account_id, "Tråd 1/2")
    world.create_status(env.account_id, "Tråd 2/2", in_reply_to_id=root.id)
    resident = env.sim.create_mastodon_account("kalle", "Kalle", kommun=False)
    world.create_status(
        env.account_id,
        "@kalle svar",
        in_reply_to_id=world.create_status(resident.account_id, "fråga").id,
    )
    statuses = env.mget(
        http, f"/api/v1/accounts/{env.account_id}/statuses", exclude_replies="true", limit=40
    ).json()
    texts = [s["content"] for s in statuses]
    assert any("Tråd 2/2" in t for t in texts)
    assert not any("svar" in t for t in texts)


def test_notifications_types_filter_and_link(env: Env, http) -> None:
    r = env.mget(http, "/api/v1/notifications", **{"types[]": "mention", "limit": 3})
    assert r.status_code == 200
    assert all(n["type"] == "mention" for n in r.json())
    assert "types%5B%5D=mention" in links(r)["next"] or "types[]=mention" in links(r)["next"]
    items = walk(env, http, r)
    assert len({n["id"] for n in items}) == len(items)
    world = env.sim.world
    expected = [
        n
        for n in world.notifications.values()
        if n.account_id == env.account_id and n.type == "mention"
    ]
    assert len(items) == len(expected)
    n = items[0]
    assert set(n) >= {"id", "type", "created_at", "account", "status", "group_key"}
    assert env.account_id in [m["id"] for m in n["status"]["mentions"]]
    favs = env.mget(http, "/api/v1/notifications", **{"types[]": "favourite"}).json()
    assert all(x["type"] == "favourite" for x in favs)


def test_content_is_escaped_html(env: Env, http) -> None:
    world = env.sim.world
    resident = env.sim.create_mastodon_account("elak", "Elak", kommun=False)
    status = world.create_status(
        resident.account_id,
        "@norrvikskommun <script>alert(1)</script> & <img src=x onerror=alert(1)>\nrad två #snö",
    )
    body = env.mget(http, f"/api/v1/statuses/{status.id}").json()
    assert (
        "<script>" not in body["content"]
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in body["content"]
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in body["content"]
    assert "<br />" in body["content"]
    assert 'class="u-url mention"' in body["content"]
    assert body["tags"] == [{"name": "snö", "url": f"{env.masto}/tags/snö"}]


def test_context_history_edit_and_delete(env: Env, http) -> None:
    world = env.sim.world
    resident = env.sim.create_mastodon_account("anna", "Anna A", kommun=False)
    other = env.sim.create_mastodon_account("bert", "Bert B", kommun=False, domain="mastodon.nu")
    root = world.create_status(env.account_id, "Snöröjning pågår")
    reply = world.create_status(
        resident.account_id, "@norrvikskommun när kommer plogen?", in_reply_to_id=root.id
    )
    deeper = world.create_status(other.account_id, "@anna snart!", in_reply_to_id=reply.id)
    context = env.mget(http, f"/api/v1/statuses/{reply.id}/context").json()
    assert [s["id"] for s in context["ancestors"]] == [root.id]
    assert [s["id"] for s in context["descendants"]] == [deeper.id]
    assert context["descendants"][0]["account"]["acct"] == "bert@mastodon.nu"

    history = env.mget(http, f"/api/v1/statuses/{reply.id}/history").json()
    assert len(history) == 1 and "plogen" in history[0]["content"]
    world.clock.advance(60)
    world.edit_status(reply.id, "@norrvikskommun när kommer plogen?? Ring mig på 070-174 06 42")
    status = env.mget(http, f"/api/v1/statuses/{reply.id}").json()
    assert status["edited_at"] is not None and MASTO_TIME.match(status["edited_at"])
    history = env.mget(http, f"/api/v1/statuses/{reply.id}/history").json()
    assert len(history) == 2
    assert "070-174" not in history[0]["content"] and "070-174" in history[1]["content"]
    assert history[0]["created_at"] < history[1]["created_at"]

    r = http.delete(
        f"{env.masto}/api/v1/statuses/{reply.id}",
        headers={"Authorization": f"Bearer {env.mastodon_token}"},
    )
    assert r.status_code == 404 and r.json() == {"error": "Record not found"}  # not ours
    own = world.create_status(env.account_id, "Fel info, raderas")
    r = http.delete(
        f"{env.masto}/api/v1/statuses/{own.id}",
        headers={"Authorization": f"Bearer {env.mastodon_token}"},
    )
    assert (
        r.status_code == 200
        and r.json()["text"] == "Fel info, raderas"
        and "content" not in r.json()
    )
    assert env.mget(http, f"/api/v1/statuses/{own.id}").status_code == 404


def test_post_status_with_idempotency_key(env: Env, http) -> None:
    headers = {"Authorization": f"Bearer {env.mastodon_token}", "Idempotency-Key": "svar-42"}
    target = next(
        s
        for s in env.sim.world.statuses.values()
        if s.account_id != env.account_id and s.visibility == "public" and s.deleted_at is None
    )
    acct = env.sim.world.maccounts[target.account_id].acct
    data = {
        "status": f"@{acct} Hej! Vi har skickat vidare.",
        "in_reply_to_id": target.id,
        "visibility": "public",
    }
    first = http.post(f"{env.masto}/api/v1/statuses", data=data, headers=headers)
    assert first.status_code == 200, first.text
    second = http.post(f"{env.masto}/api/v1/statuses", data=data, headers=headers)
    assert second.json()["id"] == first.json()["id"]
    assert first.json()["in_reply_to_id"] == target.id
    assert first.json()["in_reply_to_account_id"] == target.account_id
    third = http.post(
        f"{env.masto}/api/v1/statuses",
        json={"status": "Nytt"},
        headers={**headers, "Idempotency-Key": "annan"},
    )
    assert third.json()["id"] != first.json()["id"]
    blank = http.post(
        f"{env.masto}/api/v1/statuses",
        data={"status": " "},
        headers={"Authorization": headers["Authorization"]},
    )
    assert blank.status_code == 422 and blank.json() == {
        "error": "Validation failed: Text can't be blank"
    }


def test_direct_messages_and_conversations(env: Env, http) -> None:
    convs = walk(env, http, env.mget(http, "/api/v1/conversations", limit=1))
    assert convs, "the scenario history holds at least one DM"
    for conv in convs:
        assert set(conv) == {"id", "unread", "accounts", "last_status"}
        assert conv["last_status"]["visibility"] == "direct"
        assert env.account_id not in [a["id"] for a in conv["accounts"]]
    last_ids = [int(c["last_status"]["id"]) for c in convs]
    assert last_ids == sorted(last_ids, reverse=True)
    dm = convs[0]["last_status"]
    assert http.get(f"{env.masto}/api/v1/statuses/{dm['id']}").status_code == 404  # not public


def test_update_notifications_go_only_to_boosters(env: Env, http) -> None:
    world = env.sim.world
    resident = env.sim.create_mastodon_account("cilla", "Cilla", kommun=False)
    mention = world.create_status(resident.account_id, "@norrvikskommun tack för infon")
    boosted = world.create_status(resident.account_id, "@norrvikskommun bra initiativ")
    world.reblog(env.account_id, boosted.id)
    world.edit_status(mention.id, "@norrvikskommun tack för infon!!")
    world.edit_status(boosted.id, "@norrvikskommun riktigt bra initiativ")
    updates = env.mget(http, "/api/v1/notifications", **{"types[]": "update"}).json()
    assert [n["status"]["id"] for n in updates] == [boosted.id]


def test_errors(env: Env, http) -> None:
    assert env.mget(http, "/api/v1/statuses/1").json() == {"error": "Record not found"}
    assert env.mget(http, "/api/v1/statuses/1").status_code == 404
    r = http.get(f"{env.masto}/api/v1/notifications")
    assert r.status_code == 401 and r.json() == {"error": "The access token is invalid"}
    r = http.get(f"{env.masto}/api/v1/notifications", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json() == {"error": "The access token is invalid"}
    env.sim.set_token_state(env.mastodon_token, "revoked")
    r = env.mget(http, "/api/v1/accounts/verify_credentials")
    assert r.status_code == 401 and r.json() == {"error": "The access token was revoked"}
    r = env.mget(http, f"/api/v1/accounts/{env.account_id}/statuses")
    assert r.status_code == 401  # a bad token fails even where no token is needed


def test_rate_limit_429() -> None:
    handle = start_in_thread(Simulator(seed=2, clock=VirtualClock(), mastodon_limit=3))
    try:
        info = handle.simulator.create_mastodon_account("liten", "Liten kommun")
        with httpx.Client() as http:
            headers = {"Authorization": f"Bearer {info.token}"}
            remaining = [
                http.get(
                    f"{handle.mastodon_url}/api/v1/accounts/verify_credentials", headers=headers
                ).headers["x-ratelimit-remaining"]
                for _ in range(3)
            ]
            assert remaining == ["2", "1", "0"]
            r = http.get(
                f"{handle.mastodon_url}/api/v1/accounts/verify_credentials", headers=headers
            )
            assert r.status_code == 429 and r.json() == {"error": "Too many requests"}
            assert r.headers["x-ratelimit-remaining"] == "0"
            reset = datetime.fromisoformat(
                r.headers["x-ratelimit-reset"].replace("Z", "+00:00")
            ).timestamp()
            assert time.time() < reset <= time.time() + 300
    finally:
        handle.stop()


@pytest.mark.parametrize("prefix", ["", "/mastodon"])
def test_served_at_own_port_and_under_prefix(env: Env, http, prefix: str) -> None:
    base = env.masto if not prefix else env.handle.url + prefix
    r = http.get(
        f"{base}/api/v1/accounts/{env.account_id}/statuses",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {env.mastodon_token}"},
    )
    assert r.status_code == 200
    assert r.json()[0]["url"].startswith(base + "/@")
    assert links(r)["next"].startswith(base + "/api/v1/accounts/")


@pytest.fixture(scope="module")
def shared_env():
    from .conftest import make_env

    env = make_env(seed=13, history_days=3, ticks=80)
    yield env
    env.handle.stop()


@settings(max_examples=12, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=9),
    which=st.sampled_from(["statuses", "notifications", "conversations"]),
)
def test_any_page_size_walks_every_item_exactly_once(
    shared_env: Env, limit: int, which: str
) -> None:
    env = shared_env
    world = env.sim.world
    path = {
        "statuses": f"/api/v1/accounts/{env.account_id}/statuses",
        "notifications": "/api/v1/notifications",
        "conversations": "/api/v1/conversations",
    }[which]
    expected = {
        "statuses": lambda: {
            s.id for s in world.statuses_of(env.account_id) if s.deleted_at is None
        },
        "notifications": lambda: {
            n.id for n in world.notifications.values() if n.account_id == env.account_id
        },
        "conversations": lambda: {
            c.id for c in world.mconversations.values() if c.owner_id == env.account_id
        },
    }[which]()
    with httpx.Client(timeout=10) as http:
        items = walk(env, http, env.mget(http, path, limit=limit))
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
