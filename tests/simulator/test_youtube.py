"""The simulated YouTube Data API v3 over HTTP: auth, shapes, pagination, owner-only
moderation data, moderation writes, the daily quota, faults, persistence and the scenario."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from insyn.simulator import Simulator, VirtualClock, start_in_thread

START = datetime(2025, 3, 3, 12, 0, tzinfo=UTC).timestamp()  # 04:00 in Pacific time


@pytest.fixture
def yt():
    handle = start_in_thread(
        seed=4, port=0, mastodon_port=0, clock=VirtualClock(START), youtube_daily_quota=500
    )
    info = handle.simulator.seed_default_world(history_days=2, youtube_title="Kulturskolan Älvby")
    channel = info["youtube_channel"]
    with httpx.Client(
        base_url=f"{handle.youtube_url}/youtube/v3",
        headers={"Authorization": f"Bearer {channel['token']}"},
    ) as http:
        yield handle, channel, http
    handle.stop()


def reason(response: httpx.Response) -> str:
    body = response.json()
    assert (
        set(body["error"]) >= {"code", "message", "errors"}
        and body["error"]["code"] == response.status_code
    )
    return body["error"]["errors"][0]["reason"]


def test_requests_without_a_valid_bearer_token_are_401(yt) -> None:
    handle, channel, http = yt
    anonymous = httpx.get(
        f"{handle.youtube_url}/youtube/v3/channels", params={"part": "id", "mine": "true"}
    )
    assert anonymous.status_code == 401 and reason(anonymous) == "required"
    wrong = http.get(
        "/channels", params={"part": "id", "mine": "true"}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401 and reason(wrong) == "authError"
    assert wrong.json()["error"]["errors"][0]["location"] == "Authorization"
    handle.simulator.set_token_state(channel["token"], "revoked")
    assert http.get("/channels", params={"part": "id", "mine": "true"}).status_code == 401


def test_channels_by_mine_and_id_with_the_parts_asked_for(yt) -> None:
    handle, channel, http = yt
    mine = http.get("/channels", params={"part": "snippet", "mine": "true"}).json()
    assert mine["kind"] == "youtube#channelListResponse"
    assert (
        mine["items"][0]["id"] == channel["channel_id"] and "contentDetails" not in mine["items"][0]
    )
    assert mine["items"][0]["snippet"]["customUrl"] == "@kulturskolanalvby"
    details = http.get(
        "/channels", params={"part": "contentDetails", "id": channel["channel_id"]}
    ).json()
    assert (
        details["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"]
        == "UU" + channel["channel_id"][2:]
    )
    missing = http.get("/channels", params={"mine": "true"})
    assert missing.status_code == 400 and reason(missing) == "missingRequiredParameter"


def test_uploads_page_by_page_newest_first_with_tokens(yt) -> None:
    handle, channel, http = yt
    sim = handle.simulator
    for n in range(4):
        sim.act("yt_video", channel_id=channel["channel_id"], title=f"Film {n}")
    uploads = "UU" + channel["channel_id"][2:]
    seen, token, pages = [], None, 0
    while True:
        params = {"part": "snippet,contentDetails", "playlistId": uploads, "maxResults": 2}
        if token:
            params["pageToken"] = token
        page = http.get("/playlistItems", params=params).json()
        pages += 1
        seen += [
            (i["contentDetails"]["videoPublishedAt"], i["contentDetails"]["videoId"])
            for i in page["items"]
        ]
        token = page.get("nextPageToken")
        if not token:
            break
    videos = sim.youtube.store.videos_of(channel["channel_id"])
    assert [v for _, v in seen] == [v["id"] for v in videos] and pages == (len(videos) + 1) // 2
    assert [t for t, _ in seen] == sorted((t for t, _ in seen), reverse=True)
    bad = http.get(
        "/playlistItems", params={"part": "id", "playlistId": uploads, "pageToken": "Zm9v"}
    )
    assert bad.status_code == 400 and reason(bad) == "invalidPageToken"
    unknown = http.get("/playlistItems", params={"part": "id", "playlistId": "UUnothing"})
    assert unknown.status_code == 404 and reason(unknown) == "playlistNotFound"
    too_many = http.get(
        "/playlistItems", params={"part": "id", "playlistId": uploads, "maxResults": 51}
    )
    assert too_many.status_code == 400


def test_comment_threads_inline_some_replies_and_count_all(yt) -> None:
    handle, channel, http = yt
    sim = handle.simulator
    video = sim.youtube.store.videos_of(channel["channel_id"])[0]["id"]
    top = sim.act("yt_comment", video_id=video, text="Hur anmäler man sig? <b>snälla</b> svara")[
        "id"
    ]
    for n in range(7):
        sim.act("yt_reply", parent_id=top, text=f"Svar {n}")
    page = http.get("/commentThreads", params={"part": "snippet,replies", "videoId": video}).json()
    thread = next(t for t in page["items"] if t["id"] == top)
    assert thread["snippet"]["totalReplyCount"] == 7 and len(thread["replies"]["comments"]) == 5
    comment = thread["snippet"]["topLevelComment"]
    assert (
        comment["snippet"]["textDisplay"] == "Hur anmäler man sig? &lt;b&gt;snälla&lt;/b&gt; svara"
    )
    assert comment["snippet"]["moderationStatus"] == "published"  # the owner's list
    assert "textOriginal" not in comment["snippet"]  # only for the author
    plain = http.get(
        "/commentThreads", params={"part": "snippet", "videoId": video, "textFormat": "plainText"}
    )
    assert any(
        t["snippet"]["topLevelComment"]["snippet"]["textDisplay"].startswith(
            "Hur anmäler man sig? <b>"
        )
        for t in plain.json()["items"]
    )
    replies = http.get(
        "/comments", params={"part": "snippet", "parentId": top, "maxResults": 4}
    ).json()
    assert len(replies["items"]) == 4 and replies["nextPageToken"]
    assert all(
        r["snippet"]["parentId"] == top and r["id"].startswith(top + ".") for r in replies["items"]
    )
    by_id = http.get("/comments", params={"part": "snippet", "id": top}).json()
    assert by_id["items"][0]["id"] == top and "moderationStatus" not in by_id["items"][0]["snippet"]


def test_held_comments_are_listed_for_the_owner_only(yt) -> None:
    handle, channel, http = yt
    sim = handle.simulator
    video = sim.youtube.store.videos_of(channel["channel_id"])[0]["id"]
    held = sim.act(
        "yt_comment", video_id=video, text="Jag vet var rektorn bor", status="heldForReview"
    )["id"]
    params = {"part": "snippet", "allThreadsRelatedToChannelId": channel["channel_id"]}
    published = http.get("/commentThreads", params=params).json()
    assert held not in {t["id"] for t in published["items"]}
    listed = http.get(
        "/commentThreads", params={**params, "moderationStatus": "heldForReview"}
    ).json()
    assert held in {t["id"] for t in listed["items"]}
    other = sim.create_youtube_channel("Grannby kommun")
    refused = http.get(
        "/commentThreads",
        params={**params, "moderationStatus": "heldForReview"},
        headers={"Authorization": f"Bearer {other.token}"},
    )
    assert refused.status_code == 403 and reason(refused) == "forbidden"


def test_comments_disabled_is_403(yt) -> None:
    handle, channel, http = yt
    video = handle.simulator.act(
        "yt_video",
        channel_id=channel["channel_id"],
        title="Utan kommentarer",
        comments_disabled=True,
    )["id"]
    response = http.get("/commentThreads", params={"part": "snippet", "videoId": video})
    assert response.status_code == 403 and reason(response) == "commentsDisabled"


def test_set_moderation_status_and_its_rules(yt) -> None:
    handle, channel, http = yt
    sim = handle.simulator
    store = sim.youtube.store
    video = store.videos_of(channel["channel_id"])[0]["id"]
    comment = sim.act("yt_comment", video_id=video, text="Ni är idioter")["id"]
    reply = sim.act("yt_reply", parent_id=comment, text="Håller med")["id"]
    ban = http.post(
        "/comments/setModerationStatus",
        params={"id": comment, "moderationStatus": "published", "banAuthor": "true"},
    )
    assert ban.status_code == 400 and reason(ban) == "banWithoutReject"
    held = http.post(
        "/comments/setModerationStatus", params={"id": comment, "moderationStatus": "heldForReview"}
    )
    assert (
        held.status_code == 204
        and held.content == b""
        and store.comments[comment]["status"] == "heldForReview"
    )
    rejected = http.post(
        "/comments/setModerationStatus", params={"id": comment, "moderationStatus": "rejected"}
    )
    assert rejected.status_code == 204
    # a rejected comment and its replies are gone from every listing
    assert http.get("/comments", params={"part": "snippet", "id": comment}).json()["items"] == []
    assert (
        http.get("/comments", params={"part": "snippet", "parentId": comment}).json()["items"] == []
    )
    assert reply in store.comments and store.comments[reply]["deleted"] is None
    again = http.post(
        "/comments/setModerationStatus", params={"id": comment, "moderationStatus": "published"}
    )
    assert again.status_code == 400 and reason(again) == "processingFailure"


def test_only_the_author_deletes_and_replies_come_from_the_token_channel(yt) -> None:
    handle, channel, http = yt
    sim = handle.simulator
    store = sim.youtube.store
    video = store.videos_of(channel["channel_id"])[0]["id"]
    resident = sim.act("yt_comment", video_id=video, text="Tack för fin konsert!")["id"]
    refused = http.delete("/comments", params={"id": resident})
    assert refused.status_code == 403 and reason(refused) == "forbidden"
    created = http.post(
        "/comments",
        params={"part": "snippet"},
        json={"snippet": {"parentId": resident, "textOriginal": "Tack själv! /Kulturskolan"}},
    )
    assert created.status_code == 200
    answer = created.json()
    assert answer["kind"] == "youtube#comment" and answer["snippet"]["parentId"] == resident
    assert answer["snippet"]["authorChannelId"]["value"] == channel["channel_id"]
    assert answer["snippet"]["textOriginal"] == "Tack själv! /Kulturskolan"
    assert http.delete("/comments", params={"id": answer["id"]}).status_code == 204
    assert store.comments[answer["id"]]["deleted"] is not None
    empty = http.post(
        "/comments", params={"part": "snippet"}, json={"snippet": {"parentId": resident}}
    )
    assert empty.status_code == 400 and reason(empty) == "commentTextRequired"


def test_the_daily_quota_is_spent_by_cost_and_resets_at_pacific_midnight(yt) -> None:
    handle, channel, http = yt
    sim = handle.simulator
    quota = sim.youtube.quota
    used = quota.units
    http.get("/channels", params={"part": "id", "mine": "true"})
    video = sim.youtube.store.videos_of(channel["channel_id"])[0]["id"]
    http.post(
        "/commentThreads",
        params={"part": "snippet"},
        json={
            "snippet": {"videoId": video, "topLevelComment": {"snippet": {"textOriginal": "Hej!"}}}
        },
    )
    assert quota.units == used + 1 + 50
    while quota.units + 50 <= quota.daily:
        http.post(
            "/comments/setModerationStatus", params={"id": "nope", "moderationStatus": "published"}
        )
    refused = http.post(
        "/comments/setModerationStatus", params={"id": "x", "moderationStatus": "published"}
    )
    assert refused.status_code == 403 and reason(refused) == "quotaExceeded"
    assert refused.json()["error"]["errors"][0]["domain"] == "youtube.quota"
    # 04:00 PST + 19 h 59 min: still the same Pacific day
    sim.world.clock.advance(19 * 3600 + 59 * 60)
    assert (
        http.post(
            "/comments/setModerationStatus", params={"id": "x", "moderationStatus": "published"}
        ).status_code
        == 403
    )
    sim.world.clock.advance(120)  # past midnight in Los Angeles
    assert http.get("/channels", params={"part": "id", "mine": "true"}).status_code == 200


def test_faults_answer_with_googles_error_bodies(yt) -> None:
    handle, channel, http = yt
    sim = handle.simulator
    sim.add_fault("http_error", platform="youtube", status=503, count=1)
    failed = http.get("/channels", params={"part": "id", "mine": "true"})
    assert failed.status_code == 503 and reason(failed) == "backendError"
    sim.add_fault("rate_limit", platform="youtube", status=429, count=1)
    limited = http.get("/channels", params={"part": "id", "mine": "true"})
    assert (
        limited.status_code == 429
        and reason(limited) == "rateLimitExceeded"
        and limited.headers["retry-after"]
    )
    sim.add_fault("auth_error", platform="youtube", count=1)
    assert reason(http.get("/channels", params={"part": "id", "mine": "true"})) == "authError"
    sim.add_fault("malformed", platform="youtube", count=1)
    truncated = http.get("/channels", params={"part": "snippet", "mine": "true"})
    with pytest.raises(ValueError):
        truncated.json()
    # a fault for another platform leaves YouTube alone
    sim.add_fault("http_error", platform="mastodon", status=500, count=1)
    assert http.get("/channels", params={"part": "id", "mine": "true"}).status_code == 200


def test_the_channel_survives_a_restart(tmp_path) -> None:
    sim = Simulator(seed=2, clock=VirtualClock(START), data_dir=tmp_path)
    info = sim.seed_default_world(history_days=2, youtube_title="Kulturskolan Älvby")[
        "youtube_channel"
    ]
    sim.tick(20)
    before = sim.youtube.store.data
    sim.save()
    again = Simulator(data_dir=tmp_path)
    assert again.youtube.store.data == before
    assert again.world.tokens[info["token"]].platform == "youtube"
    assert again.youtube.store.kommun_channels()[0]["id"] == info["channel_id"]


def test_the_scenario_is_deterministic_swedish_and_leaves_other_platforms_alone() -> None:
    def run(youtube: bool) -> Simulator:
        sim = Simulator(seed=11, clock=VirtualClock(START))
        sim.seed_default_world(
            history_days=2, youtube_title="Kulturskolan Älvby" if youtube else None
        )
        sim.tick(150)
        return sim

    first, second, without = run(True), run(True), run(False)
    assert first.youtube.store.data == second.youtube.store.data
    comments = list(first.youtube.store.comments.values())
    assert any(c["status"] in ("heldForReview", "likelySpam") for c in comments)
    assert any(c["deleted"] is not None for c in comments) and any(c["history"] for c in comments)
    assert any(c["author_id"] == first.youtube.store.kommun_channels()[0]["id"] for c in comments)
    assert any(
        w in " ".join(c["text"] for c in comments) for w in ("kulturskola", "anmäl", "konsert")
    )
    assert [c.id for c in first.world.comments.values()] == [
        c.id for c in without.world.comments.values()
    ]
    assert first.world.now() == without.world.now()


def test_the_token_endpoint_exchanges_a_refresh_token_for_an_hour(yt) -> None:
    handle, channel, http = yt
    sim = handle.simulator
    token_uri = f"{handle.youtube_url}/youtube/oauth2/token"
    grant = {k: channel[k] for k in ("client_id", "client_secret", "refresh_token")}
    answer = httpx.post(token_uri, data={"grant_type": "refresh_token", **grant})
    assert answer.status_code == 200
    body = answer.json()
    assert (
        body["token_type"] == "Bearer"
        and body["expires_in"] == 3599
        and body["access_token"].startswith("ya29.")
    )
    assert "youtube.force-ssl" in body["scope"]
    fresh = {"Authorization": f"Bearer {body['access_token']}"}
    assert (
        http.get("/channels", params={"part": "id", "mine": "true"}, headers=fresh).status_code
        == 200
    )
    sim.world.clock.advance(3600)
    expired = http.get("/channels", params={"part": "id", "mine": "true"}, headers=fresh)
    assert expired.status_code == 401 and reason(expired) == "authError"
    wrong = httpx.post(
        token_uri, data={"grant_type": "refresh_token", **grant, "client_secret": "nej"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    sim.youtube.store.revoke_grant(grant["refresh_token"])
    revoked = httpx.post(token_uri, data={"grant_type": "refresh_token", **grant})
    assert revoked.status_code == 400 and revoked.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert (
        httpx.post(token_uri, data={"grant_type": "password"}).json()["error"]
        == "unsupported_grant_type"
    )
