"""The blog module against the simulated WordPress site over real HTTP, and end to end through
capture/actions.py into the archive: polling, pagination, full-pass deletion detection,
moderation, an expired application password and a rate limit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from insyn.archive.models import Item, RawCapture
from insyn.capture import actions
from insyn.capture.models import Connection
from insyn.capture.platforms.base import Connection as PlatformConnection
from insyn.capture.platforms.base import NotFound, RateLimited, TokenInvalid
from insyn.capture.platforms.blog import Blog
from insyn.eventlog import log
from insyn.lib.http import HttpSeam
from insyn.simulator import start_in_thread


@pytest.fixture
def sim():
    handle = start_in_thread(seed=7, port=0, mastodon_port=0)
    info = handle.simulator.seed_default_world(history_days=3)["blog"]
    handle.simulator.tick(40)
    yield handle, info
    handle.stop()


def blog_client(handle, token: str, *, feed: bool = False, **seam: Any) -> Blog:
    base = f"{handle.blog_url}/feed/" if feed else f"{handle.blog_url}/wp-json"
    return Blog(
        PlatformConnection(
            platform="blog", external_id="", handle="blogg", base_url=base, token=token
        ),
        HttpSeam(sleep=lambda s: None, **seam),
    )


def items_of(pages) -> dict:
    out: dict = {}
    for page in pages:
        for item in Blog.normalise(page.body, page.context).items:
            out[item.platform_id] = item
    return out


def test_full_poll_finds_every_post_and_comment_with_its_state(sim) -> None:
    handle, info = sim
    store = handle.simulator.blog.store
    items = items_of(blog_client(handle, info["token"]).poll({}, full=True))
    with store.lock:
        posts = {
            f"post-{p.id}" for p in store.posts.values() if not p.deleted and p.status == "publish"
        }
        comments = {
            f"comment-{c.id}": c
            for c in store.comments.values()
            if not c.deleted and c.status != "trash" and store.posts[c.post].status == "publish"
        }
    assert set(items) == posts | set(comments)
    for pid, comment in comments.items():
        item = items[pid]
        assert (
            item.state
            == {"approved": "visible", "hold": "hidden", "spam": "hidden"}[comment.status]
        )
        assert item.direction == ("upprattad" if comment.author else "inkommen")
        assert item.parent_platform_id == (
            f"comment-{comment.parent}" if comment.parent else f"post-{comment.post}"
        )
        assert item.author_name == comment.author_name
        # the text a reader sees: WordPress escaped it and wrapped it in <p>; we get it back
        assert item.text == "\n\n".join(
            p.strip() for p in comment.content.strip().split("\n\n") if p.strip()
        )
    public = items_of(blog_client(handle, "-").poll({}, full=True))
    assert set(public) == posts | {pid for pid, c in comments.items() if c.status == "approved"}


def test_lists_longer_than_a_page_are_walked_whole_and_incremental_reads_only_the_new(sim) -> None:
    handle, info = sim
    store = handle.simulator.blog.store
    post = max(store.posts.values(), key=lambda p: p.id)
    for i in range(230):
        store.add_comment(
            post.id, f"Fråga nummer {i}: när töms kärlen?", author_name=f"Invånare {i}"
        )
    client = blog_client(handle, info["token"])
    state: dict = {}
    pages = list(client.poll(state, full=True))
    approve_pages = [p for p in pages if p.context.get("status") == "approve"]
    assert len(approve_pages) == 3  # 100 + 100 + the rest, by Link rel="next"
    assert approve_pages[0].headers["x-wp-totalpages"] == "3"
    newest = store.add_comment(post.id, "Och glasåtervinningen?", author_name="Sist")
    pages = list(client.poll(state))
    assert len([p for p in pages if p.context.get("status") == "approve"]) == 1
    assert f"comment-{newest.id}" in items_of(pages)
    assert state["comments_max_id"] == newest.id


def test_moderation_reply_hold_approve_and_trash(sim) -> None:
    handle, info = sim
    store = handle.simulator.blog.store
    question = next(
        c
        for c in sorted(store.comments.values(), key=lambda c: -c.id)
        if c.author == 0 and c.status == "approved" and not c.deleted
    )
    client = blog_client(handle, info["token"])
    first = client.reply(f"comment-{question.id}", "Hej! Vi svarar här.", idempotency_key="case-7")
    again = client.reply(f"comment-{question.id}", "Hej! Vi svarar här.", idempotency_key="case-7")
    assert first == again  # WordPress refuses the duplicate; the first is returned
    created = store.comments[int(first.removeprefix("comment-"))]
    assert (created.post, created.parent, created.author) == (
        question.post,
        question.id,
        info["user_id"],
    )
    client.set_hidden(f"comment-{question.id}", True)
    assert store.comments[question.id].status == "hold"
    client.set_hidden(f"comment-{question.id}", False)
    assert store.comments[question.id].status == "approved"
    client.delete(f"comment-{question.id}")
    assert store.comments[question.id].status == "trash"
    page = client.refetch(f"comment-{question.id}")
    assert Blog.normalise(page.body, page.context).items[0].state == "deleted_on_platform"
    store.delete_comment(question.id)
    with pytest.raises(NotFound):
        client.refetch(f"comment-{question.id}")


def test_a_revoked_application_password_is_token_invalid(sim) -> None:
    handle, info = sim
    handle.simulator.set_token_state(info["token"], "revoked")
    with pytest.raises(TokenInvalid) as err:
        blog_client(handle, info["token"]).verify_credentials()
    assert err.value.code == "incorrect_password"


def test_a_rate_limit_beyond_patience_carries_retry_at(sim) -> None:
    handle, info = sim
    handle.simulator.add_fault("rate_limit", platform="blog", code=900, count=1)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as err:
        list(blog_client(handle, info["token"]).poll({}, full=True))
    assert 890 <= (err.value.retry_at - before).total_seconds() <= 910
    handle.simulator.add_fault("rate_limit", platform="blog", code=2, count=1)
    handle.simulator.add_fault("http_error", platform="blog", status=502, count=1)
    assert list(
        blog_client(handle, info["token"], backoff_base=0.0).poll({}, full=True)
    )  # retried, then fine


def test_feed_poll_is_conditional_and_finds_new_comments(sim) -> None:
    handle, info = sim
    store = handle.simulator.blog.store
    client = blog_client(handle, "-", feed=True)
    state: dict = {}
    first = list(client.poll(state, full=True))
    assert first[0].context["endpoint"] == "feed" and len(first) > 1
    assert list(client.poll(state)) == []  # every feed answered 304
    post = max((p for p in store.posts.values() if p.status == "publish"), key=lambda p: p.date)
    # a few seconds later: feed validators have a resolution of one second
    comment = store.add_comment(
        post.id, "Tack för informationen!", author_name="Karin K", at=store.now() + 5
    )
    pages = list(client.poll(state))
    assert [p.context["endpoint"] for p in pages] == ["comment_feed"]
    assert any(pid.endswith(f"#comment-{comment.id}") for pid in items_of(pages))


# --- end to end: capture/actions.py into the archive ------------------------------------------


@pytest.fixture
def connected(sim, world, make_account):
    handle, info = sim
    account = make_account(
        status="aktivt",
        platform="blog",
        name="Bloggen",
        handle="",
        url=handle.blog_url + "/",
        external_id=str(info["user_id"]),
    )
    connection = actions.connect_account(
        account, token=info["token"], base_url=handle.blog_url + "/wp-json"
    )
    return handle, info, connection


def test_capture_archives_the_blog_and_a_full_pass_records_deletions(connected) -> None:
    handle, info, connection = connected
    store = handle.simulator.blog.store
    report = actions.poll(connection, full=True)
    assert not report.error and report.pages >= 4
    archived = {i.platform_id: i for i in Item.objects.filter(account=connection.account)}
    live = {
        f"comment-{c.id}" for c in store.comments.values() if not c.deleted and c.status != "trash"
    }
    assert live <= set(archived)
    assert all(
        archived[pid].direction == "upprattad" for pid in archived if pid.startswith("post-")
    )
    assert RawCapture.objects.filter(account=connection.account, status="quarantined").count() == 0

    visible = sorted(
        (
            c
            for c in store.comments.values()
            if not c.deleted and c.status == "approved" and c.author == 0
        ),
        key=lambda c: c.id,
    )
    gone, trashed, held = visible[0], visible[1], visible[2]
    store.delete_comment(gone.id)  # deleted for good: 404 on the re-read
    store.set_comment_status(trashed.id, "trash")  # trashed: the re-read says so
    store.set_comment_status(held.id, "hold")  # held: listed with status hold
    connection.refresh_from_db()
    assert not actions.poll(connection, full=True).error
    states = dict(
        Item.objects.filter(
            account=connection.account,
            platform_id__in=[f"comment-{gone.id}", f"comment-{trashed.id}", f"comment-{held.id}"],
        ).values_list("platform_id", "state")
    )
    assert states == {
        f"comment-{gone.id}": "deleted_on_platform",
        f"comment-{trashed.id}": "deleted_on_platform",
        f"comment-{held.id}": "hidden",
    }
    kept = Item.objects.get(account=connection.account, platform_id=f"comment-{gone.id}")
    assert kept.text and kept.versions.count() == 1  # the record stays
    before, after = actions.reprocess(connection.account)
    assert before == after
    assert log.verify().ok


def test_an_expired_application_password_stops_the_account(
    connected, django_capture_on_commit_callbacks
) -> None:
    handle, info, connection = connected
    handle.simulator.set_token_state(info["token"], "revoked")
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.poll(connection, full=True)
    assert report.error
    connection.refresh_from_db()
    assert connection.status == Connection.Status.TOKEN_INVALID


def test_a_rate_limit_reschedules_the_poll_at_retry_after(connected) -> None:
    handle, info, connection = connected
    handle.simulator.add_fault("rate_limit", platform="blog", code=1800, count=1)
    report = actions.poll(connection, full=True)
    assert "429" in report.error
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE
    wait = (connection.next_poll_at - datetime.now(UTC)).total_seconds()
    assert 1700 < wait <= 1800


def test_a_truncated_page_is_quarantined_and_the_worker_goes_on(connected) -> None:
    handle, info, connection = connected
    handle.simulator.add_fault("malformed", platform="blog", count=1, path="/wp-json/wp/v2/posts")
    report = actions.poll(connection, full=True)
    assert report.error
    assert RawCapture.objects.filter(account=connection.account, status="quarantined").count() == 1
    connection.refresh_from_db()
    assert not actions.poll(connection, full=True).error
    assert Item.objects.filter(account=connection.account, kind="post").exists()


def test_a_feed_only_blog_is_captured_and_a_removed_post_is_detected(
    sim, world, make_account
) -> None:
    handle, info = sim
    store = handle.simulator.blog.store
    account = make_account(
        status="aktivt", platform="blog", name="Bloggflödet", handle="", url=handle.blog_url + "/"
    )
    connection = actions.connect_account(account, token="-", base_url=handle.blog_url + "/feed/")
    assert not actions.poll(connection, full=True).error
    posts = Item.objects.filter(account=account, kind="post")
    assert posts.count() == len([p for p in store.posts.values() if p.status == "publish"][:10])
    assert Item.objects.filter(account=account, kind="comment", direction="inkommen").exists()
    victim = max((p for p in store.posts.values() if p.status == "publish"), key=lambda p: p.date)
    store.set_post_status(victim.id, "trash")
    connection.refresh_from_db()
    assert not actions.poll(connection, full=True).error
    item = Item.objects.get(account=account, platform_id=f"{handle.blog_url}/?p={victim.id}")
    assert item.state == "deleted_on_platform" and item.text
    # the others were asked by their pages and are still there
    assert posts.exclude(pk=item.pk).filter(state="visible").count() == posts.count() - 1


def test_the_demo_connects_its_blog_to_the_simulator_and_captures_it(db, tmp_path) -> None:
    """`insyn demo`'s path: the simulator process prints its JSON line, the demo organisation
    is loaded and attached, and the worker's poll captures the blog."""
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
            "1",
            "--kommun",
            "Älvby kommun",
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
        connection = Connection.objects.get(account__platform=Platform.BLOG)
        assert connection.base_url == info["blog_url"] + "/wp-json"
        report = actions.poll(connection, full=True)
        assert not report.error, report.error
        assert Item.objects.filter(
            account=connection.account, kind="post", direction="upprattad"
        ).exists()
        assert Item.objects.filter(account=connection.account, direction="inkommen").exists()
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.mark.django_db(transaction=True)
def test_the_inbox_answers_hides_and_removes_a_blog_comment(connected, world, monkeypatch) -> None:
    """Through the inbox's actions: the answer is published and archived as the authority's
    own, a removal archives the comment's current text first and keeps the record."""
    from insyn.inbox import actions as inbox_actions
    from insyn.inbox import platform as inbox_platform
    from insyn.inbox.models import Case
    from insyn.inbox.sweeps import open_cases_pending
    from tests.inbox.conftest import triage

    monkeypatch.setattr(
        inbox_platform, "http", lambda: HttpSeam(sleep=lambda s: None, backoff_base=0.0)
    )
    handle, info, connection = connected
    store = handle.simulator.blog.store
    post = max((p for p in store.posts.values() if p.status == "publish"), key=lambda p: p.date)
    question = store.add_comment(
        post.id, "Hej! När töms glasigloon på Storgatan?", author_name="Anna Ek"
    )
    attack = store.add_comment(post.id, "Ni på tekniska är idioter allihop.", author_name="Okänd")
    assert not actions.poll(connection, full=True).error

    def case_for(comment, **labels):
        item = Item.objects.get(account=connection.account, platform_id=f"comment-{comment.id}")
        triage(item, **labels)
        open_cases_pending()
        return Case.objects.get(item=item)

    asked = case_for(question, needs_answer=True, topic="avfall_atervinning")
    inbox_actions.answer_case(
        world.kom_a, asked, "Hej Anna! Den töms på tisdagar.", key="a1", confirm=True
    )
    answer = next(c for c in store.comments.values() if c.parent == question.id)
    assert answer.author == info["user_id"] and answer.content == "Hej Anna! Den töms på tisdagar."
    archived = Item.objects.get(account=connection.account, platform_id=f"comment-{answer.id}")
    assert (archived.direction, archived.record_type, archived.parent_platform_id) == (
        "upprattad",
        "own_post",
        f"comment-{question.id}",
    )

    store.edit_comment(attack.id, "Ni på tekniska är idioter allihop. Jag vet var ni bor.")
    rude = case_for(attack, moderation=["olaga_hot"])
    inbox_actions.moderate_case(
        world.kom_a,
        rude,
        how="delete",
        legal_basis="olaga_hot",
        reason="Hot mot tjänstepersoner",
        key="m1",
    )
    assert store.comments[attack.id].status == "trash"
    item = Item.objects.get(pk=rude.item_id)
    assert item.state == "removed_by_us"
    assert (
        item.text == "Ni på tekniska är idioter allihop. Jag vet var ni bor."
    )  # archived before removal
    assert [v.text for v in item.versions.order_by("number")] == [
        "Ni på tekniska är idioter allihop.",
        "Ni på tekniska är idioter allihop. Jag vet var ni bor.",
    ]


def test_a_blog_connected_without_an_address_is_read_by_its_feed(sim, world, make_account) -> None:
    handle, _ = sim
    account = make_account(
        status="aktivt", platform="blog", name="Bloggen", handle="", url=handle.blog_url + "/"
    )
    connection = actions.connect_account(account, token="-")
    assert connection.base_url == handle.blog_url + "/feed/"
    assert not actions.poll(connection, full=True).error
    assert Item.objects.filter(account=account, kind="post").exists()
