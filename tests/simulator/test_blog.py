"""The simulated WordPress site: REST API shapes, pagination headers, errors and auth as
developer.wordpress.org documents them, the feeds and their conditional GET, faults,
persistence and a deterministic Swedish scenario. Plain HTTP; nothing from insyn.capture."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import httpx
import pytest

from insyn.simulator import Simulator, VirtualClock, start_in_thread

WFW = "{http://wellformedweb.org/CommentAPI/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def env():
    handle = start_in_thread(seed=3, port=0, mastodon_port=0, clock=VirtualClock())
    info = handle.simulator.seed_default_world(history_days=3)["blog"]
    handle.simulator.tick(30)
    yield handle, info
    handle.stop()


def api(
    handle, route: str, *, auth: str | None = None, method: str = "GET", **kw
) -> httpx.Response:
    return httpx.request(
        method,
        f"{handle.blog_url}/wp-json{route}",
        auth=tuple(auth.split(":", 1)) if auth else None,
        timeout=10,
        **kw,
    )


def test_index_names_the_wp_v2_namespace_and_application_passwords(env) -> None:
    handle, _ = env
    data = api(handle, "/").json()
    assert "wp/v2" in data["namespaces"] and "application-passwords" in data["authentication"]


def test_posts_list_has_the_documented_shape_and_paging_headers(env) -> None:
    handle, _ = env
    r = api(handle, "/wp/v2/posts", params={"per_page": 2})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    total = int(r.headers["x-wp-total"])
    assert r.headers["x-wp-totalpages"] == str(-(-total // 2))
    assert 'rel="next"' in r.headers["link"] and "page=2" in r.headers["link"]
    post = r.json()[0]
    assert {
        "id",
        "date",
        "date_gmt",
        "guid",
        "modified",
        "modified_gmt",
        "slug",
        "status",
        "type",
        "link",
        "title",
        "content",
        "excerpt",
        "author",
        "comment_status",
        "_links",
    } <= set(post)
    assert post["title"]["rendered"] and post["content"]["rendered"].startswith("<p>")
    assert "raw" not in post["content"]  # the view context
    last = api(handle, "/wp/v2/posts", params={"per_page": 2, "page": r.headers["x-wp-totalpages"]})
    assert 'rel="next"' not in last.headers.get("link", "") and 'rel="prev"' in last.headers["link"]


def test_parameter_errors_are_wordpress_error_objects(env) -> None:
    handle, _ = env
    r = api(handle, "/wp/v2/comments", params={"per_page": 101})
    assert r.status_code == 400 and r.json()["code"] == "rest_invalid_param"
    assert r.json()["data"]["params"]["per_page"]
    r = api(handle, "/wp/v2/posts", params={"page": 999})
    assert (r.status_code, r.json()["code"]) == (400, "rest_post_invalid_page_number")
    r = api(handle, "/wp/v2/comments/999999")
    assert r.json() == {
        "code": "rest_comment_invalid_id",
        "message": "Invalid comment ID.",
        "data": {"status": 404},
    }


def test_the_moderation_queue_and_the_edit_context_need_an_application_password(env) -> None:
    handle, info = env
    assert (
        api(handle, "/wp/v2/comments", params={"status": "hold"}).json()["code"]
        == "rest_forbidden_param"
    )
    assert api(handle, "/wp/v2/comments", params={"context": "edit"}).status_code == 401
    r = api(
        handle, "/wp/v2/comments", params={"status": "hold", "context": "edit"}, auth=info["token"]
    )
    assert r.status_code == 200 and all(
        c["status"] == "hold" and "raw" in c["content"] for c in r.json()
    )
    wrong = api(handle, "/wp/v2/users/me", auth="redaktion:fel fel fel fel fel fel")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "incorrect_password")
    assert api(handle, "/wp/v2/users/me", auth="ingen:x").json()["code"] == "invalid_username"
    assert api(handle, "/wp/v2/users/me").json()["code"] == "rest_not_logged_in"
    assert api(handle, "/wp/v2/users/me", auth=info["token"]).json()["id"] == info["user_id"]


def test_a_held_comment_is_not_readable_without_credentials(env) -> None:
    handle, info = env
    store = handle.simulator.blog.store
    held = next(c for c in store.comments.values() if c.status == "hold" and not c.deleted)
    r = api(handle, f"/wp/v2/comments/{held.id}")
    assert (r.status_code, r.json()["code"]) == (401, "rest_cannot_read")
    assert api(handle, f"/wp/v2/comments/{held.id}", auth=info["token"]).json()["status"] == "hold"


def test_write_verbs_create_hold_trash_and_delete(env) -> None:
    handle, info = env
    post = api(handle, "/wp/v2/posts").json()[0]
    body = {"post": post["id"], "content": "Svar från kommunen."}
    assert (
        api(handle, "/wp/v2/comments", method="POST", json=body).json()["code"]
        == "rest_comment_login_required"
    )
    created = api(handle, "/wp/v2/comments", method="POST", json=body, auth=info["token"])
    assert created.status_code == 201 and created.json()["author"] == info["user_id"]
    dup = api(handle, "/wp/v2/comments", method="POST", json=body, auth=info["token"])
    assert (dup.status_code, dup.json()["code"]) == (409, "comment_duplicate")
    cid = created.json()["id"]
    held = api(
        handle, f"/wp/v2/comments/{cid}", method="POST", json={"status": "hold"}, auth=info["token"]
    )
    assert held.json()["status"] == "hold"
    trashed = api(handle, f"/wp/v2/comments/{cid}", method="DELETE", auth=info["token"])
    assert trashed.json()["status"] == "trash"
    again = api(handle, f"/wp/v2/comments/{cid}", method="DELETE", auth=info["token"])
    assert (again.status_code, again.json()["code"]) == (410, "rest_already_trashed")
    gone = api(
        handle,
        f"/wp/v2/comments/{cid}",
        method="DELETE",
        params={"force": "true"},
        auth=info["token"],
    )
    assert gone.json()["deleted"] is True and gone.json()["previous"]["id"] == cid
    assert api(handle, f"/wp/v2/comments/{cid}", auth=info["token"]).status_code == 404


def test_rss_feed_links_each_posts_comment_feed_and_answers_304(env) -> None:
    handle, _ = env
    r = httpx.get(f"{handle.blog_url}/feed/")
    assert r.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(r.content).find("channel")
    items = channel.findall("item")
    assert 0 < len(items) <= 10
    comments_url = items[0].find(f"{WFW}commentRss").text
    assert items[0].find(f"{CONTENT}encoded").text.startswith("<p>")
    assert items[0].find("guid").text.startswith(f"{handle.blog_url}/?p=")
    c = httpx.get(comments_url)
    assert c.status_code == 200 and ET.fromstring(c.content).find("channel/title").text.startswith(
        "Kommentarer till"
    )
    cond = httpx.get(
        f"{handle.blog_url}/feed/",
        headers={
            "If-None-Match": r.headers["etag"],
            "If-Modified-Since": r.headers["last-modified"],
        },
    )
    assert cond.status_code == 304 and cond.content == b""
    stale = httpx.get(f"{handle.blog_url}/feed/", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200


def test_atom_feed_and_permalinks(env) -> None:
    handle, _ = env
    feed = ET.fromstring(httpx.get(f"{handle.blog_url}/feed/atom/").content)
    entry = feed.find(f"{ATOM}entry")
    link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
    replies = [e.get("href") for e in entry.findall(f"{ATOM}link[@rel='replies']")]
    assert any(h.endswith("/feed/atom/") for h in replies)
    assert httpx.head(link).status_code == 200
    guid = entry.find(f"{ATOM}id").text
    assert httpx.get(guid).status_code == 301
    assert httpx.get(f"{handle.blog_url}/2001/01/01/finns-inte/").status_code == 404


def test_faults_and_the_hosts_rate_limit(env) -> None:
    handle, info = env
    sim = handle.simulator
    sim.add_fault("rate_limit", platform="blog", code=42, count=1)
    r = api(handle, "/wp/v2/posts")
    assert (r.status_code, r.headers["retry-after"]) == (429, "42")
    sim.add_fault("auth_error", platform="blog", count=1)
    assert api(handle, "/wp/v2/posts", auth=info["token"]).json()["code"] == "incorrect_password"
    sim.add_fault("malformed", platform="blog", count=1, path="/feed/")
    with pytest.raises(ET.ParseError):
        ET.fromstring(httpx.get(f"{handle.blog_url}/feed/").content)
    sim.add_fault("http_error", platform="blog", status=503, count=1)
    assert api(handle, "/wp/v2/posts").status_code == 503
    assert api(handle, "/wp/v2/posts").status_code == 200


def test_the_control_api_revokes_an_application_password(env) -> None:
    handle, info = env
    r = httpx.post(
        f"{handle.control_url}/tokens", json={"token": info["token"], "state": "revoked"}
    )
    assert r.status_code == 200
    try:
        assert (
            api(handle, "/wp/v2/posts", auth=info["token"]).json()["code"] == "incorrect_password"
        )
    finally:
        handle.simulator.set_token_state(info["token"], "valid")


def test_the_scenario_is_deterministic_and_swedish() -> None:
    def run() -> dict:
        sim = Simulator(seed=11, clock=VirtualClock())
        sim.seed_default_world(history_days=2)
        sim.tick(25)
        return sim.blog.store.to_json()

    first, second = run(), run()
    assert first == second
    texts = " ".join(c["content"] for c in first["comments"])
    assert any(word in texts for word in ("kommunen", "inte", "och"))
    assert {c["status"] for c in first["comments"]} >= {"approved"}
    assert any(c["author"] for c in first["comments"]) and any(
        not c["author"] for c in first["comments"]
    )


def test_the_blog_survives_a_restart(tmp_path) -> None:
    sim = Simulator(seed=5, clock=VirtualClock(), data_dir=tmp_path)
    token = sim.seed_default_world(history_days=1)["blog"]["token"]
    sim.tick(5)
    sim.save()
    saved = sim.blog.store.to_json()
    again = Simulator(seed=5, data_dir=tmp_path)
    assert again.blog.store.to_json() == saved
    assert again.world.tokens[token].platform == "blog"
    assert json.loads((tmp_path / "blog.json").read_text(encoding="utf-8"))["title"].endswith(
        "s blogg"
    )


def test_after_is_compared_with_the_sites_local_time(env) -> None:
    handle, _ = env
    store = handle.simulator.blog.store
    newest = max(
        (c for c in store.comments.values() if c.status == "approved" and not c.deleted),
        key=lambda c: c.date,
    )
    gmt = datetime.fromtimestamp(int(newest.date) - 1, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    local = datetime.fromtimestamp(int(newest.date) - 1 + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    ids_local = [c["id"] for c in api(handle, "/wp/v2/comments", params={"after": local}).json()]
    ids_gmt = [c["id"] for c in api(handle, "/wp/v2/comments", params={"after": gmt}).json()]
    assert newest.id in ids_local
    assert len(ids_gmt) >= len(ids_local)  # a GMT value read as local time reaches further back
