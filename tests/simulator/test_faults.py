"""Fault injection, from Python and through /_sim/faults."""

from __future__ import annotations

import json
import time

import pytest

from .conftest import Env


def test_graph_http_errors(env: Env, http) -> None:
    env.sim.add_fault("http_error", platform="graph", status=503, count=1)
    env.sim.add_fault("http_error", platform="graph", status=502, count=1)
    env.sim.add_fault("http_error", platform="graph", status=500, count=1)
    r = env.gget(http, env.page_id)
    assert (
        r.status_code == 503
        and r.json()["error"]["code"] == 2
        and r.json()["error"]["is_transient"] is True
    )
    r = env.gget(http, env.page_id)
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
    r = env.gget(http, env.page_id)
    assert r.status_code == 500 and r.json()["error"]["code"] == 1
    assert env.gget(http, env.page_id).status_code == 200
    assert env.sim.faults.rules() == []


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_graph_rate_limit_codes(env: Env, http, code: int) -> None:
    env.sim.add_fault("rate_limit", platform="graph", code=code)
    r = env.gget(http, f"{env.page_id}/feed")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == code
    assert json.loads(r.headers["x-app-usage"])["call_count"] == 100


def test_graph_auth_error_fault_leaves_the_token_alone(env: Env, http) -> None:
    env.sim.add_fault("auth_error", platform="graph", subcode=460)
    r = env.gget(http, env.page_id)
    assert (r.json()["error"]["code"], r.json()["error"]["error_subcode"]) == (190, 460)
    assert env.gget(http, env.page_id).status_code == 200


def test_malformed_body(env: Env, http) -> None:
    env.sim.add_fault("malformed", platform="graph")
    r = env.gget(http, f"{env.page_id}/feed")
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    env.sim.add_fault("malformed", platform="mastodon")
    r = env.mget(http, "/api/v1/notifications")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_delay(env: Env, http) -> None:
    env.sim.add_fault("delay", platform="mastodon", delay=0.4)
    start = time.monotonic()
    r = env.mget(http, "/api/v1/accounts/verify_credentials")
    assert r.status_code == 200 and time.monotonic() - start >= 0.4


def test_mastodon_faults(env: Env, http) -> None:
    env.sim.add_fault("rate_limit", platform="mastodon")
    r = env.mget(http, "/api/v1/notifications")
    assert r.status_code == 429 and r.json() == {"error": "Too many requests"}
    assert r.headers["x-ratelimit-remaining"] == "0" and "x-ratelimit-reset" in r.headers
    env.sim.add_fault("http_error", platform="mastodon", status=502)
    r = env.mget(http, "/api/v1/notifications")
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
    env.sim.add_fault("auth_error", platform="mastodon")
    assert env.mget(http, "/api/v1/notifications").status_code == 401
    assert env.mget(http, "/api/v1/notifications").status_code == 200


def test_matching_by_subject_path_and_method(env: Env, http) -> None:
    other = env.sim.create_page("Grannkommunen")
    env.sim.add_fault("http_error", platform="graph", status=500, subject=other.page_id, count=None)
    env.sim.add_fault(
        "http_error", platform="graph", status=503, path=r"/comments$", method="POST", count=1
    )
    assert env.gget(http, env.page_id).status_code == 200
    r = http.get(f"{env.graph}/{other.page_id}", params={"access_token": other.token})
    assert r.status_code == 500
    assert env.gget(http, f"{env.page_id}/feed").status_code == 200
    post = env.sim.act("post", page_id=env.page_id, message="x")
    r = http.post(
        f"{env.graph}/{post['id']}/comments", data={"message": "y", "access_token": env.page_token}
    )
    assert r.status_code == 503
    env.sim.clear_faults()
    assert (
        http.get(f"{env.graph}/{other.page_id}", params={"access_token": other.token}).status_code
        == 200
    )


def test_count_and_probability(env: Env, http) -> None:
    env.sim.add_fault("http_error", platform="graph", status=500, count=3)
    codes = [env.gget(http, env.page_id).status_code for _ in range(5)]
    assert codes == [500, 500, 500, 200, 200]
    rule = env.sim.add_fault(
        "http_error", platform="graph", status=500, count=None, probability=0.5
    )
    codes = [env.gget(http, env.page_id).status_code for _ in range(40)]
    assert 5 < codes.count(500) < 35
    assert rule.hits == codes.count(500)


def test_control_api(env: Env, http) -> None:
    base = env.handle.control_url
    r = http.post(
        f"{base}/faults",
        json={"kind": "http_error", "platform": "mastodon", "status": 503, "count": 2},
    )
    rule = r.json()
    assert rule["id"] and rule["count"] == 2
    assert http.get(f"{base}/faults").json()["faults"][0]["id"] == rule["id"]
    assert env.mget(http, "/api/v1/notifications").status_code == 503
    http.delete(f"{base}/faults/{rule['id']}")
    assert env.mget(http, "/api/v1/notifications").status_code == 200
    assert http.post(f"{base}/faults", json={"kind": "explode"}).status_code == 400
    assert http.post(f"{base}/faults", json={"kind": "delay", "colour": "red"}).status_code == 400

    r = http.post(f"{base}/tokens", json={"token": env.page_token, "state": "expired"})
    assert r.json()["state"] == "expired"
    assert env.gget(http, env.page_id).json()["error"]["error_subcode"] == 463
    http.post(f"{base}/tokens", json={"token": env.page_token, "state": "valid"})
    assert env.gget(http, env.page_id).status_code == 200
