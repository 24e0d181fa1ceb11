"""The YouTube client against the simulator's stand-in, over real HTTP.

The stand-in is written from the same documentation but separately (it imports nothing from
capture), so a misreading in either shows up here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from insyn.capture.platforms.base import (
    Connection,
    NotFound,
    PlatformError,
    RateLimited,
    TokenInvalid,
)
from insyn.capture.platforms.youtube import Refused, YouTube, next_quota_reset
from insyn.lib.http import HttpSeam
from insyn.simulator import VirtualClock, start_in_thread

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim():
    handle = start_in_thread(seed=5, port=0, mastodon_port=0, clock=VirtualClock(NOW.timestamp()))
    info = handle.simulator.seed_default_world(history_days=3, youtube_title="Kulturskolan Älvby")
    handle.simulator.tick(
        80
    )  # comments, replies, held and spam comments, edits, deletions, uploads
    yield handle, info["youtube_channel"]
    handle.stop()


def yt_client(handle, channel: dict, **seam: Any) -> YouTube:
    connection = Connection(
        platform="youtube",
        external_id=channel["channel_id"],
        handle=channel["handle"],
        base_url=handle.youtube_url,
        token=channel["token"],
    )
    return YouTube(connection, HttpSeam(sleep=lambda s: None, **seam), now=lambda: NOW)


def archived(pages, channel_id: str) -> dict:
    items = {}
    for page in pages:
        for item in YouTube.normalise(
            page.body, {**page.context, "account_external_id": channel_id}
        ).items:
            items[item.platform_id] = item
    return items


def live(store, channel_id: str) -> dict[str, dict]:
    """Ground truth: the channel's live videos and its comments that are not rejected or deleted."""
    videos = {v["id"]: v for v in store.videos_of(channel_id)}
    comments = {
        c["id"]: c
        for c in store.comments.values()
        if c["channel_id"] == channel_id
        and c["deleted"] is None
        and c["status"] != "rejected"
        and c["video_id"] in videos
        and (c["parent_id"] is None or store.comments[c["parent_id"]]["status"] != "rejected")
    }
    return {**videos, **comments}


def test_full_poll_finds_every_video_and_comment_on_the_channel(sim) -> None:
    handle, channel = sim
    store = handle.simulator.youtube.store
    yt = yt_client(handle, channel)
    assert yt.verify_credentials()["id"] == channel["channel_id"]
    state: dict = {}
    before = handle.simulator.youtube.quota.units
    items = archived(yt.poll(state, full=True), channel["channel_id"])
    truth = live(store, channel["channel_id"])
    assert set(items) == set(truth)
    held = {k for k, c in truth.items() if c.get("status") in ("heldForReview", "likelySpam")}
    assert held and {k for k, i in items.items() if i.state == "hidden"} == held
    for key, comment in truth.items():
        if "text" in comment:
            assert items[key].text == comment["text"]
            assert items[key].direction == (
                "upprattad" if comment["author_id"] == channel["channel_id"] else "inkommen"
            )
            assert items[key].thread_platform_id == comment["video_id"]
    assert any(i.edited_at for i in items.values())  # the scenario edits comments
    assert 0 < state["quota"]["units"] == handle.simulator.youtube.quota.units - before


def test_long_lists_are_walked_whole_page_by_page(sim) -> None:
    handle, channel = sim
    sim_ = handle.simulator
    video = sim_.act("yt_video", channel_id=channel["channel_id"], title="Terminsavslutning")["id"]
    threads = [
        sim_.act("yt_comment", video_id=video, text=f"Kommentar nummer {n}")["id"]
        for n in range(130)
    ]
    replies = [
        sim_.act("yt_reply", parent_id=threads[0], text=f"Svar {n}")["id"] for n in range(107)
    ]
    items = archived(yt_client(handle, channel).poll({}, full=True), channel["channel_id"])
    assert set(threads) | set(replies) <= set(items)
    assert items[replies[-1]].parent_platform_id == threads[0]


def test_incremental_poll_reads_less_and_finds_what_is_new(sim) -> None:
    handle, channel = sim
    sim_ = handle.simulator
    yt = yt_client(handle, channel)
    state: dict = {}
    list(yt.poll(state, full=True))
    full_units = state["quota"]["units"]
    video = sim_.youtube.store.videos_of(channel["channel_id"])[0]["id"]
    new = sim_.act("yt_comment", video_id=video, text="Hur anmäler man sig till sommarkursen?")[
        "id"
    ]
    held = sim_.act(
        "yt_comment",
        video_id=video,
        text="Köp billiga klockor här http://spam.example",
        status="likelySpam",
    )["id"]
    old_thread = next(
        c
        for c in sim_.youtube.store.threads_of(channel["channel_id"])
        if c["id"] not in (new, held) and sim_.youtube.store.replies_of(c["id"])
    )
    reply = sim_.act("yt_reply", parent_id=old_thread["id"], text="Samma fråga här!")["id"]
    items = archived(yt.poll(state), channel["channel_id"])
    assert {new, held, reply} <= set(items)
    assert items[held].state == "hidden"
    assert state["quota"]["units"] - full_units < full_units


def test_moderation_verbs_change_the_channel(sim) -> None:
    handle, channel = sim
    sim_ = handle.simulator
    store = sim_.youtube.store
    yt = yt_client(handle, channel)
    video = store.videos_of(channel["channel_id"])[0]["id"]
    question = sim_.act("yt_comment", video_id=video, text="När är nästa konsert?")["id"]
    answer = yt.reply(question, "Hej! Nästa konsert är i maj. /Kulturskolan", idempotency_key="k")
    assert (
        store.comments[answer]["parent_id"] == question
        and store.comments[answer]["author_id"] == channel["channel_id"]
    )
    threaded = yt.reply(
        answer, "Välkommen!", idempotency_key="k2"
    )  # a reply to a reply joins the thread
    assert store.comments[threaded]["parent_id"] == question
    top = yt.reply(video, "Tack alla som tittar!", idempotency_key="k3")
    assert store.comments[top]["parent_id"] is None and store.comments[top]["video_id"] == video

    yt.set_hidden(question, True)
    assert store.comments[question]["status"] == "heldForReview"
    yt.set_hidden(question, False)
    assert store.comments[question]["status"] == "published"

    abusive = sim_.act("yt_comment", video_id=video, text="Ni är idioter allihop")["id"]
    yt.delete(abusive)  # someone else's: rejected
    assert (
        store.comments[abusive]["status"] == "rejected"
        and store.comments[abusive]["deleted"] is None
    )
    with pytest.raises(NotFound):
        yt.refetch(abusive)  # a rejected comment cannot be listed again
    yt.delete(top)  # our own: deleted
    assert store.comments[top]["deleted"] is not None
    with pytest.raises(NotFound):
        yt.delete(top)

    troll = sim_.act("yt_comment", video_id=video, text="Spam spam")
    yt.reject(troll["id"], ban_author=True)
    assert troll["author_id"] in store.channels[channel["channel_id"]]["banned"]
    with pytest.raises(Refused):
        yt.delete(video)


def test_moderating_a_comment_on_another_channel_is_refused(sim) -> None:
    handle, channel = sim
    sim_ = handle.simulator
    other = sim_.create_youtube_channel("Grannby kommun")
    video = sim_.act("yt_video", channel_id=other.channel_id, title="Grannbys film")["id"]
    comment = sim_.act("yt_comment", video_id=video, text="Hej Grannby")["id"]
    with pytest.raises(Refused) as caught:
        yt_client(handle, channel).set_hidden(comment, True)
    assert caught.value.code == "forbidden"


def test_faults_are_retried_and_a_truncated_page_stops_the_poll(sim) -> None:
    handle, channel = sim
    sim_ = handle.simulator
    sim_.add_fault("http_error", platform="youtube", status=503, count=2)
    assert list(yt_client(handle, channel).poll({}, full=True))
    sim_.add_fault("malformed", platform="youtube", path="commentThreads", count=1)
    pages = []
    with pytest.raises(PlatformError, match="unreadable"):
        for page in yt_client(handle, channel).poll({}, full=True):
            pages.append(page)
    assert pages[-1].context["endpoint"] == "commentThreads"
    sim_.clear_faults()


def test_rate_limit_faults_map_to_rate_limited(sim) -> None:
    handle, channel = sim
    sim_ = handle.simulator
    sim_.add_fault("rate_limit", platform="youtube", status=429, count=5)
    with pytest.raises(RateLimited) as caught:
        list(yt_client(handle, channel, max_attempts=2).poll({}, full=True))
    assert caught.value.code == "rateLimitExceeded"
    sim_.clear_faults()


def test_auth_fault_and_an_expired_token_are_token_invalid(sim) -> None:
    handle, channel = sim
    sim_ = handle.simulator
    sim_.add_fault("auth_error", platform="youtube", count=1)
    with pytest.raises(TokenInvalid):
        list(yt_client(handle, channel).poll({}, full=True))
    extra = sim_.world.create_token("youtube", channel["channel_id"], "ya29.short-lived")
    sim_.set_token_state(extra.token, "expired")
    expired = yt_client(handle, {**channel, "token": extra.token})
    with pytest.raises(TokenInvalid) as caught:
        expired.verify_credentials()
    assert caught.value.code == "authError" and caught.value.status == 401


def test_an_exhausted_daily_quota_waits_for_pacific_midnight() -> None:
    handle = start_in_thread(
        seed=9, port=0, mastodon_port=0, clock=VirtualClock(NOW.timestamp()), youtube_daily_quota=3
    )
    try:
        info = handle.simulator.seed_default_world(history_days=1, youtube_title="Kulturskolan")
        yt = yt_client(handle, info["youtube_channel"])
        pages = []
        with pytest.raises(RateLimited) as caught:
            for page in yt.poll({}, full=True):
                pages.append(page)
        assert len(pages) == 3
        assert caught.value.code == "quotaExceeded" and caught.value.retry_at == next_quota_reset(
            NOW
        )
        # the simulator's own day rolls over at Pacific midnight
        handle.simulator.world.clock.set(next_quota_reset(NOW).timestamp() + 1)
        assert yt.verify_credentials()
    finally:
        handle.stop()


def test_refresh_credentials_outlive_the_hour_long_access_tokens(sim) -> None:
    import json

    handle, channel = sim
    sim_ = handle.simulator
    credentials = sim_.youtube.credentials(channel["channel_id"], handle.youtube_url)

    def issued() -> int:
        return sum(1 for t in sim_.world.tokens.values() if t.subject_id == channel["channel_id"])

    before = issued()
    yt = yt_client(handle, {**channel, "token": json.dumps(credentials)})
    assert yt.verify_credentials()["id"] == channel["channel_id"]
    assert issued() == before + 1  # one access token from the token endpoint
    sim_.world.clock.advance(3600)  # it has expired: the next call is refused, then refreshed
    assert list(yt.poll({}, full=True))
    assert issued() == before + 2
    sim_.youtube.store.revoke_grant(credentials["refresh_token"])
    sim_.world.clock.advance(3600)
    with pytest.raises(TokenInvalid) as caught:
        list(yt.poll({}, full=True))
    assert caught.value.code == "invalid_grant"
