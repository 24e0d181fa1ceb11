"""Graph API: token errors, rate-limit headers, and the moderation and Send API writes."""

from __future__ import annotations

import json

import pytest

from insyn.simulator import Simulator, VirtualClock, start_in_thread

from .conftest import Env


def error_of(response) -> dict:
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]


def test_missing_token(env: Env, http) -> None:
    r = http.get(f"{env.graph}/{env.page_id}")
    assert r.status_code == 400
    error = error_of(r)
    assert (error["type"], error["code"]) == ("OAuthException", 104)


def test_unknown_token(env: Env, http) -> None:
    r = env.gget(http, env.page_id, access_token="EAAGnonsense")
    assert r.status_code == 400
    error = error_of(r)
    assert (error["type"], error["code"]) == ("OAuthException", 190)
    assert "error_subcode" not in error
    assert r.headers["www-authenticate"].startswith('OAuth "Facebook Platform" "invalid_token"')


@pytest.mark.parametrize(
    ("state", "subcode"),
    [("expired", 463), ("password_changed", 460), ("revoked", 458), ("invalid", 467)],
)
def test_token_states(env: Env, http, state: str, subcode: int) -> None:
    env.sim.set_token_state(env.page_token, state)
    r = env.gget(http, f"{env.page_id}/feed")
    assert r.status_code == 400
    error = error_of(r)
    assert (error["code"], error["error_subcode"]) == (190, subcode)
    env.sim.set_token_state(env.page_token, "valid")
    assert env.gget(http, f"{env.page_id}/feed").status_code == 200


def test_unknown_object(env: Env, http) -> None:
    r = env.gget(http, "123456789")
    error = error_of(r)
    assert (r.status_code, error["code"], error["error_subcode"]) == (400, 100, 33)
    assert "Object with ID '123456789' does not exist" in error["message"]


def test_usage_headers_and_page_rate_limit() -> None:
    handle = start_in_thread(Simulator(seed=3, clock=VirtualClock(), graph_hourly_limit=4))
    try:
        page = handle.simulator.create_page("Liten kommun")
        import httpx

        with httpx.Client() as http:
            url = f"{handle.graph_version_url}/{page.page_id}"
            first = http.get(url, params={"access_token": page.token})
            usage = json.loads(first.headers["x-app-usage"])
            assert set(usage) == {"call_count", "total_cputime", "total_time"}
            assert usage["call_count"] == 25
            buc = json.loads(first.headers["x-business-use-case-usage"])
            assert buc[page.page_id][0]["type"] == "pages"
            for _ in range(3):
                assert http.get(url, params={"access_token": page.token}).status_code == 200
            limited = http.get(url, params={"access_token": page.token})
            assert limited.status_code == 400
            error = limited.json()["error"]
            assert (error["code"], error["is_transient"]) == (32, True)
            assert json.loads(limited.headers["x-app-usage"])["call_count"] == 100
            regain = json.loads(limited.headers["x-business-use-case-usage"])[page.page_id][0][
                "estimated_time_to_regain_access"
            ]
            assert regain >= 1
    finally:
        handle.stop()


def _a_resident_comment(env: Env) -> str:
    world = env.sim.world
    for comment in sorted(world.comments.values(), key=lambda c: c.seq, reverse=True):
        if comment.parent_id is None and comment.from_id != env.page_id:
            try:
                world.live_comment(comment.id)
                return comment.id
            except Exception:  # noqa: BLE001
                continue
    raise AssertionError("no comment")


def test_reply_hide_unhide_delete(env: Env, http) -> None:
    comment_id = _a_resident_comment(env)
    post_id = env.sim.world.comments[comment_id].post_id
    r = http.post(
        f"{env.graph}/{comment_id}/comments",
        data={"message": "Hej! Vi tittar på det.", "access_token": env.page_token},
    )
    assert r.status_code == 200
    reply_id = r.json()["id"]
    assert set(r.json()) == {"id"}
    assert reply_id.split("_")[0] == post_id.split("_")[1]
    node = env.gget(http, reply_id, fields="id,message,from,parent{id},can_hide").json()
    assert node["parent"] == {"id": comment_id}
    assert node["from"]["id"] == env.page_id and node["can_hide"] is False

    r = http.post(
        f"{env.graph}/{comment_id}", data={"is_hidden": "true", "access_token": env.page_token}
    )
    assert r.json() == {"success": True}
    assert env.gget(http, comment_id, fields="is_hidden").json()["is_hidden"] is True
    r = http.post(
        f"{env.graph}/{comment_id}", data={"is_hidden": "false", "access_token": env.page_token}
    )
    assert r.json() == {"success": True}
    assert env.gget(http, comment_id, fields="is_hidden").json()["is_hidden"] is False

    r = http.post(
        f"{env.graph}/{reply_id}", data={"is_hidden": "true", "access_token": env.page_token}
    )
    assert r.status_code == 400  # a Page cannot hide its own comment

    r = http.delete(f"{env.graph}/{comment_id}", params={"access_token": env.page_token})
    assert r.json() == {"success": True}
    assert error_of(env.gget(http, comment_id))["error_subcode"] == 33
    assert (
        error_of(env.gget(http, reply_id))["error_subcode"] == 33
    )  # replies go with their comment


def test_comment_on_post_and_publish_to_feed(env: Env, http) -> None:
    r = http.post(
        f"{env.graph}/{env.page_id}/feed",
        data={"message": "Nytt inlägg från API:t", "access_token": env.page_token},
    )
    post_id = r.json()["id"]
    assert post_id.startswith(env.page_id + "_")
    r = http.post(
        f"{env.graph}/{post_id}/comments",
        json={"message": "Första!"},
        params={"access_token": env.page_token},
    )
    assert r.status_code == 200
    comments = env.gget(http, f"{post_id}/comments").json()["data"]
    assert [c["message"] for c in comments] == ["Första!"]
    r = http.post(f"{env.graph}/{post_id}/comments", data={"access_token": env.page_token})
    assert r.status_code == 400 and error_of(r)["code"] == 100


def test_send_api(env: Env, http) -> None:
    act = env.sim.act(
        "message",
        page_id=env.page_id,
        user_name="Amina Abdi",
        text="Hej, jag undrar över bygglovet",
    )
    user_id = act["user_id"]
    r = http.post(
        f"{env.graph}/me/messages",
        params={"access_token": env.page_token},
        json={
            "recipient": {"id": user_id},
            "messaging_type": "RESPONSE",
            "message": {"text": "Hej Amina!"},
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["recipient_id"] == user_id
    message_id = r.json()["message_id"]
    msgs = env.gget(http, f"{act['conversation_id']}/messages", fields="id,message,from").json()[
        "data"
    ]
    assert msgs[0] == {
        "id": message_id,
        "message": "Hej Amina!",
        "from": {"name": "Norrvik kommun", "id": env.page_id},
    }
    # Form-encoded with JSON strings, as the curl examples in Meta's docs send it.
    r = http.post(
        f"{env.graph}/{env.page_id}/messages",
        data={
            "recipient": json.dumps({"id": user_id}),
            "message": json.dumps({"text": "Igen"}),
            "access_token": env.page_token,
        },
    )
    assert r.status_code == 200
    r = http.post(
        f"{env.graph}/me/messages",
        params={"access_token": env.page_token},
        json={"recipient": {"id": "999"}, "message": {"text": "x"}},
    )
    assert (error_of(r)["code"], error_of(r)["error_subcode"]) == (100, 2018001)
    env.sim.world.clock.advance(25 * 3600)
    r = http.post(
        f"{env.graph}/me/messages",
        params={"access_token": env.page_token},
        json={"recipient": {"id": user_id}, "message": {"text": "För sent"}},
    )
    assert (error_of(r)["code"], error_of(r)["error_subcode"]) == (10, 2018278)


def test_writes_to_another_pages_objects_are_refused(env: Env, http) -> None:
    other = env.sim.create_page("Grannkommunen")
    post = env.sim.world.create_post(other.page_id, "Grannens inlägg")
    comment = env.sim.world.add_comment(post.id, env.sim.world.create_user("Bo Ek").id, "hej")
    r = http.delete(f"{env.graph}/{comment.id}", params={"access_token": env.page_token})
    assert r.status_code == 403 and error_of(r)["code"] == 200


def test_subscribed_apps(env: Env, http) -> None:
    r = http.post(
        f"{env.graph}/{env.page_id}/subscribed_apps",
        data={"subscribed_fields": "feed,messages,message_echoes", "access_token": env.page_token},
    )
    assert r.json() == {"success": True}
    data = env.gget(http, f"{env.page_id}/subscribed_apps").json()["data"]
    assert data[0]["subscribed_fields"] == ["feed", "messages", "message_echoes"]
