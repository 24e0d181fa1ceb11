"""YouTube end to end on the real database: the simulator's channel polled through
capture/actions.py into the archive, deletions found by the full pass, an expired token and
an exhausted quota, and moderation from the inbox that archives before it rejects."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from insyn.archive.models import Item, RawCapture
from insyn.capture import actions
from insyn.capture.models import Connection
from insyn.capture.platforms.youtube import next_quota_reset
from insyn.eventlog import log
from insyn.inbox import actions as inbox_actions
from insyn.inbox.models import Case, PlatformAction
from insyn.inbox.platform import ActionFailed, archive_before_moderating, client_for
from insyn.inbox.sweeps import open_cases_pending
from insyn.simulator import start_in_thread
from tests.inbox.conftest import triage


@pytest.fixture
def sim():
    handle = start_in_thread(seed=13, port=0, mastodon_port=0)
    yield handle
    handle.stop()


@pytest.fixture
def channel(sim, world, make_account):
    info = sim.simulator.seed_default_world(history_days=2, youtube_title="Kulturskolan Älvby")[
        "youtube_channel"
    ]
    account = make_account(
        status="aktivt",
        platform="youtube",
        handle=info["handle"],
        name="Kulturskolan Älvby",
        url=f"https://www.youtube.com/{info['handle']}",
        external_id=info["channel_id"],
    )
    connection = actions.connect_account(account, token=info["token"], base_url=sim.youtube_url)
    return sim, connection, info


@pytest.fixture
def fast_http(monkeypatch):
    from insyn.inbox import platform
    from insyn.lib.http import HttpSeam

    monkeypatch.setattr(
        platform,
        "http",
        lambda: HttpSeam(
            timeout=5.0, max_attempts=2, sleep=lambda s: None, backoff_base=0.0, max_wait=1.0
        ),
    )


def live_ids(store, channel_id: str) -> set[str]:
    videos = {v["id"] for v in store.videos_of(channel_id)}
    return videos | {
        c["id"]
        for c in store.comments.values()
        if c["channel_id"] == channel_id
        and c["deleted"] is None
        and c["status"] != "rejected"
        and c["video_id"] in videos
    }


def test_capture_puts_the_channel_into_the_archive(channel) -> None:
    sim, connection, info = channel
    store = sim.simulator.youtube.store
    video = store.videos_of(info["channel_id"])[0]["id"]
    sim.simulator.act(
        "yt_comment",
        video_id=video,
        text="Tjäna 5000 kr om dagen http://spam.example",
        status="likelySpam",
    )
    report = actions.poll(connection, full=True)
    assert not report.error and report.pages > 0
    archived = Item.objects.filter(account=connection.account)
    assert set(archived.values_list("platform_id", flat=True)) == live_ids(
        store, info["channel_id"]
    )
    held = {
        c["id"]
        for c in store.comments.values()
        if c["status"] in ("heldForReview", "likelySpam") and c["deleted"] is None
    }
    assert (
        held and set(archived.filter(state="hidden").values_list("platform_id", flat=True)) == held
    )
    video = archived.get(kind="post", platform_id=store.videos_of(info["channel_id"])[0]["id"])
    assert (video.direction, video.record_type) == ("upprattad", "own_post")
    comment = archived.filter(kind="comment").first()
    assert comment.parent.kind == "post" and comment.direction == "inkommen"
    connection.refresh_from_db()
    assert connection.cursor["quota"]["units"] == report.pages  # every page a one-unit list call
    before, after = actions.reprocess(connection.account)
    assert before == after
    assert log.verify().ok


def test_an_incremental_poll_picks_up_new_comments_and_edits_become_versions(channel) -> None:
    sim, connection, info = channel
    actions.poll(connection, full=True)
    video = sim.simulator.youtube.store.videos_of(info["channel_id"])[0]["id"]
    new = sim.simulator.act(
        "yt_comment", video_id=video, text="När är nästa konsert? Vill ta med mormor"
    )
    connection.refresh_from_db()
    assert not actions.poll(connection, full=False).error
    item = Item.objects.get(account=connection.account, platform_id=new["id"])
    assert (
        item.text == "När är nästa konsert? Vill ta med mormor" and item.parent.platform_id == video
    )
    sim.simulator.act(
        "yt_edit", comment_id=new["id"], text="När är nästa konsert? (hittade svaret, tack)"
    )
    connection.refresh_from_db()
    actions.poll(connection, full=True)
    item.refresh_from_db()
    assert item.version_count == 2 and item.text.endswith("tack)")


def test_a_full_pass_finds_what_the_author_deleted_and_keeps_the_text(channel) -> None:
    sim, connection, info = channel
    actions.poll(connection, full=True)
    store = sim.simulator.youtube.store
    victim = next(
        c for c in store.threads_of(info["channel_id"]) if c["author_id"] != info["channel_id"]
    )
    sim.simulator.act("yt_delete", comment_id=victim["id"])
    connection.refresh_from_db()
    actions.poll(connection, full=True)
    item = Item.objects.get(account=connection.account, platform_id=victim["id"])
    assert item.state == "deleted_on_platform" and item.text == victim["text"]
    assert item.state_changes.get().raw.source == RawCapture.Source.FULL_PASS


def test_an_expired_token_stops_the_account_and_alerts(
    channel, django_capture_on_commit_callbacks
) -> None:
    sim, connection, info = channel
    sim.simulator.set_token_state(info["token"], "expired")
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.poll(connection, full=True)
    assert "authError" in report.error
    connection.refresh_from_db()
    assert connection.status == Connection.Status.TOKEN_INVALID
    assert len(mail.outbox) == 1 and "Kulturskolan Älvby" in mail.outbox[0].subject


def test_an_exhausted_quota_waits_for_pacific_midnight(channel) -> None:
    sim, connection, info = channel
    sim.simulator.add_fault("rate_limit", platform="youtube", count=1)  # 403 quotaExceeded
    report = actions.poll(connection, full=True)
    assert "quotaExceeded" in report.error
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE
    assert connection.next_poll_at == next_quota_reset(timezone.now())


# --- archive before moderating ---------------------------------------------------------------


def _case(sim, connection, info, text: str) -> tuple[Case, dict]:
    video = sim.simulator.youtube.store.videos_of(info["channel_id"])[0]["id"]
    comment = sim.simulator.act("yt_comment", video_id=video, text=text)
    connection.refresh_from_db()
    assert not actions.poll(connection, full=True).error
    item = Item.objects.get(account=connection.account, platform_id=comment["id"])
    triage(item, moderation=["personangrepp_fortal"], topic="kultur_fritid")
    open_cases_pending()
    return Case.objects.get(item=item), comment


def test_rejecting_archives_the_current_text_and_the_replies_first(
    channel, world, fast_http
) -> None:
    sim, connection, info = channel
    case, comment = _case(sim, connection, info, "Läraren i fiol är en idiot")
    # After our last poll the author edits the comment and others pile on with replies.
    sim.simulator.act(
        "yt_edit", comment_id=comment["id"], text="Läraren i fiol är en idiot och borde sparkas"
    )
    replies = [
        sim.simulator.act("yt_reply", parent_id=comment["id"], text=f"Håller med {n}")["id"]
        for n in range(7)
    ]
    inbox_actions.moderate_case(
        world.kom_a, case, how="delete", legal_basis="personangrepp_fortal", key="k1"
    )

    store = sim.simulator.youtube.store
    assert store.comments[comment["id"]]["status"] == "rejected"  # rejected, not deleted: not ours
    item = Item.objects.get(pk=case.item_id)
    assert item.state == "removed_by_us"
    assert item.version_count == 2 and item.text.endswith("borde sparkas")
    assert set(replies) <= set(
        Item.objects.filter(account=connection.account).values_list("platform_id", flat=True)
    )
    lookup = RawCapture.objects.filter(
        account=connection.account, context__ids=[comment["id"]]
    ).latest("id")
    action = PlatformAction.objects.get(key="k1:remove")
    assert lookup.received_at <= action.finished_at
    # once rejected, YouTube will not list it again: the archive is all there is
    connection.refresh_from_db()
    actions.poll(connection, full=True)
    assert Item.objects.get(pk=case.item_id).text.endswith("borde sparkas")


def test_hiding_holds_the_comment_for_review_after_archiving_it(channel, world, fast_http) -> None:
    sim, connection, info = channel
    case, comment = _case(sim, connection, info, "Ni är värdelösa allihop")
    inbox_actions.moderate_case(
        world.kom_a, case, how="hide", legal_basis="personangrepp_fortal", key="k2"
    )
    assert sim.simulator.youtube.store.comments[comment["id"]]["status"] == "heldForReview"
    assert Item.objects.get(pk=case.item_id).state == "hidden"


def test_nothing_is_moderated_when_the_comment_cannot_be_archived_first(
    channel, world, fast_http
) -> None:
    sim, connection, info = channel
    case, comment = _case(sim, connection, info, "Rektorn borde skämmas")
    sim.simulator.add_fault("malformed", platform="youtube", path="comments", method="GET", count=1)
    with pytest.raises(ActionFailed, match="kunde inte arkiveras"):
        inbox_actions.moderate_case(
            world.kom_a, case, how="delete", legal_basis="personangrepp_fortal", key="k3"
        )
    assert sim.simulator.youtube.store.comments[comment["id"]]["status"] == "published"
    assert PlatformAction.objects.get(key="k3:remove").status == PlatformAction.Status.FAILED
    assert Item.objects.get(pk=case.item_id).state == "visible"


def test_a_comment_not_yet_archived_is_captured_before_moderation(channel) -> None:
    sim, connection, info = channel
    actions.poll(connection, full=True)
    top = next(c for c in sim.simulator.youtube.store.threads_of(info["channel_id"]))
    reply = sim.simulator.act("yt_reply", parent_id=top["id"], text="Hets som ingen har sett än")[
        "id"
    ]
    assert not Item.objects.filter(platform_id=reply).exists()
    client = client_for(connection)
    try:
        archive_before_moderating(connection.account, client, reply)
    finally:
        client.http.close()
    item = Item.objects.get(account=connection.account, platform_id=reply)
    assert item.text == "Hets som ingen har sett än" and item.parent_platform_id == top["id"]


def test_a_comment_already_gone_is_recorded_as_gone_and_the_removal_stands(
    channel, world, fast_http
) -> None:
    sim, connection, info = channel
    case, comment = _case(sim, connection, info, "Dumma lärare")
    sim.simulator.act("yt_delete", comment_id=comment["id"])
    inbox_actions.moderate_case(
        world.kom_a, case, how="delete", legal_basis="personangrepp_fortal", key="k4"
    )
    item = Item.objects.get(pk=case.item_id)
    assert item.state == "removed_by_us" and item.text == "Dumma lärare"
    assert item.state_changes.filter(state="deleted_on_platform").exists()


def test_the_demo_connects_its_youtube_channel_and_captures_it(db, tmp_path) -> None:
    """`insyn demo`'s path: the simulator process prints its JSON line, the demo organisation
    is loaded and attached, and a poll captures Kulturskolan's channel."""
    import json
    import subprocess
    import sys

    from insyn.registry.demo import load_demo
    from insyn.registry.models import Platform
    from insyn.server.demo_capture import attach_simulator

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "insyn.simulator",
            "--port",
            "0",
            "--tick-seconds",
            "0",
            "--history-days",
            "2",
            "--kommun",
            "Älvby kommun",
            "--youtube-title",
            "Kulturskolan Älvby",
            "--data-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(process.stdout.readline())
        load_demo()
        attach_simulator(info)
        connection = Connection.objects.get(account__platform=Platform.YOUTUBE)
        assert (
            connection.account.handle
            == info["youtube_channels"][0]["handle"]
            == "@kulturskolanalvby"
        )
        assert connection.account.external_id == info["youtube_channels"][0]["id"]
        assert connection.base_url == info["youtube_url"] and connection.poll_interval == 60
        assert json.loads(connection.get_token())["refresh_token"]  # refreshes its access tokens
        report = actions.poll(connection, full=True)
        assert not report.error, report.error
        items = Item.objects.filter(account=connection.account)
        assert items.filter(kind="post", direction="upprattad").exists()
        assert items.filter(kind="comment", direction="inkommen").exists()
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_answering_a_comment_publishes_a_reply_and_archives_it(channel, world, fast_http) -> None:
    sim, connection, info = channel
    video = sim.simulator.youtube.store.videos_of(info["channel_id"])[0]["id"]
    question = sim.simulator.act(
        "yt_comment", video_id=video, text="Hur anmäler man sig till dansen?"
    )
    connection.refresh_from_db()
    actions.poll(connection, full=True)
    item = Item.objects.get(account=connection.account, platform_id=question["id"])
    triage(item, needs_answer=True, topic="kultur_fritid")
    open_cases_pending()
    case = Case.objects.get(item=item)
    inbox_actions.answer_case(
        world.kom_a, case, "Hej! Anmälan görs i e-tjänsten. /Kulturskolan", key="a1"
    )
    store = sim.simulator.youtube.store
    answer = next(c for c in store.comments.values() if c["parent_id"] == question["id"])
    assert answer["author_id"] == info["channel_id"] and answer["text"].startswith("Hej! Anmälan")
    published = Item.objects.get(account=connection.account, platform_id=answer["id"])
    assert (published.direction, published.kind, published.parent_platform_id) == (
        "upprattad",
        "reply",
        question["id"],
    )
    assert published.thread_platform_id == video and published.version_count == 1
