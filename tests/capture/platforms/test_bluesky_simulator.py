"""The Bluesky module against the simulator's stand-in over real HTTP, and capture → archive
through capture/actions.py on the real database."""

from __future__ import annotations

import pytest
from django.core import mail

from insyn.archive.models import Item, RawCapture
from insyn.capture import actions
from insyn.capture.models import Connection
from insyn.capture.platforms.base import Connection as PlatformConnection
from insyn.capture.platforms.base import NotFound
from insyn.capture.platforms.bluesky import Bluesky, Refused, forget_sessions, normalise
from insyn.capture.platforms.bluesky import client as bsky_client
from insyn.eventlog import log
from insyn.lib.http import HttpSeam
from insyn.simulator import start_in_thread
from insyn.simulator.bluesky.ids import split_uri
from insyn.simulator.store import NotFound as SimNotFound

HANDLE = "norrvik.bsky.social"


@pytest.fixture(autouse=True)
def _fresh_sessions():
    forget_sessions()
    yield
    forget_sessions()


@pytest.fixture
def sim():
    handle = start_in_thread(seed=31, port=0, mastodon_port=0)
    info = handle.simulator.seed_default_world(history_days=2, bluesky_handle=HANDLE)
    handle.simulator.tick(40)
    yield handle, info["bluesky_account"]
    handle.stop()


def make_client(handle, account, **seam) -> Bluesky:
    connection = PlatformConnection(
        platform="bluesky",
        external_id=account["did"],
        handle=account["handle"],
        base_url=handle.bluesky_url,
        token=account["app_password"],
    )
    return Bluesky(connection, HttpSeam(sleep=lambda s: None, **seam))


def concerning(store, did: str) -> set[str]:
    """Every live post the account should have: its own, replies in its threads, and posts that
    mention, quote or reply to it."""
    out = set()
    with store.lock:
        for r in store.records.values():
            if r.collection != "app.bsky.feed.post" or r.deleted_at is not None:
                continue
            root = ((r.value.get("reply") or {}).get("root") or {}).get("uri", "")
            parent = ((r.value.get("reply") or {}).get("parent") or {}).get("uri", "")
            mentions = {
                f.get("did")
                for facet in r.value.get("facets") or []
                for f in facet.get("features") or []
            }
            quoted = ((r.value.get("embed") or {}).get("record") or {}).get("uri", "")
            reachable = not root or all(
                (p := store.records.get(u)) is not None and p.deleted_at is None
                for u in _ancestors(store, r)
            )
            if (
                r.did == did
                or (root.startswith(f"at://{did}/") and reachable)
                or did in mentions
                or parent.startswith(f"at://{did}/")
                or quoted.startswith(f"at://{did}/")
            ):
                out.add(r.uri)
    return out


def _ancestors(store, record) -> list[str]:
    chain, current = [], record
    while parent := ((current.value.get("reply") or {}).get("parent") or {}).get("uri"):
        chain.append(parent)
        current = store.records.get(parent)
        if current is None:
            break
    return chain


def pages_items(pages, did: str) -> dict:
    found = {}
    for page in pages:
        for item in normalise(page.body, {**page.context, "account_external_id": did}).items:
            found[item.platform_id] = item
    return found


# --- the client over HTTP --------------------------------------------------------------------


def test_full_poll_finds_every_post_concerning_the_account(sim) -> None:
    handle, account = sim
    pages = list(make_client(handle, account).poll({}, full=True))
    found = pages_items(pages, account["did"])
    assert concerning(handle.simulator.bluesky.store, account["did"]) <= set(found)
    kinds = {(i.kind, i.direction) for i in found.values()}
    assert {("post", "upprattad"), ("comment", "inkommen"), ("post", "inkommen")} <= kinds


def test_lists_longer_than_a_page_are_walked_by_cursor(sim, monkeypatch) -> None:
    handle, account = sim
    monkeypatch.setattr(bsky_client, "PAGE_LIMIT", 4)
    pages = list(make_client(handle, account).poll({}, full=True))
    feed_pages = [p for p in pages if p.context["endpoint"] == "author_feed"]
    assert len(feed_pages) > 3 and "cursor=" in feed_pages[1].url
    own = set(handle.simulator.bluesky.live_posts(account["did"]))
    assert own <= set(pages_items(pages, account["did"]))


def test_incremental_poll_reads_less_and_finds_the_new(sim) -> None:
    handle, account = sim
    client = make_client(handle, account)
    state: dict = {}
    full = list(client.poll(state, full=True))
    bs = handle.simulator.bluesky
    root = bs.act("post", actor=account["did"], text="Simhallen stänger för underhåll vecka 12.")[
        "uri"
    ]
    resident = bs.act("account", handle="karin.bsky.social", display_name="Karin Karlsson")
    question = bs.act(
        "post", actor=resident["did"], text="Öppnar utebadet istället?", reply_to=root
    )["uri"]
    other = bs.act("account", handle="olle.bsky.social", display_name="Olle O")
    # A reply to a resident in our thread notifies the resident, and us only as the root's author.
    aside = bs.act("post", actor=other["did"], text="Det gjorde det förra året", reply_to=question)[
        "uri"
    ]
    pages = list(client.poll(state))
    assert len(pages) < len(full)
    found = pages_items(pages, account["did"])
    assert {root, question, aside} <= set(found)
    assert found[question].kind == "comment" and found[aside].kind == "reply"
    assert found[aside].thread_platform_id == root


def test_token_expiry_mid_poll_is_renewed_without_losing_a_page(sim) -> None:
    handle, account = sim
    client = make_client(handle, account)
    client.verify_credentials()
    handle.simulator.bluesky.expire_sessions(account["did"])
    handle.simulator.add_fault("auth_error", platform="bluesky", count=1, path="listNotifications")
    pages = list(client.poll({}, full=True))
    assert all(p.status == 200 for p in pages)
    assert {p.context["endpoint"] for p in pages} == {"author_feed", "notifications", "thread"}


def test_refetch_confirms_or_denies(sim) -> None:
    handle, account = sim
    bs = handle.simulator.bluesky
    uri = bs.act("post", actor=account["did"], text="Test")["uri"]
    client = make_client(handle, account)
    assert client.refetch(uri).status == 200
    bs.act("delete", uri=uri)
    with pytest.raises(NotFound):
        client.refetch(uri)


def test_reply_hide_and_delete_through_the_stand_in(sim) -> None:
    handle, account = sim
    bs = handle.simulator.bluesky
    root = bs.act("post", actor=account["did"], text="Vad tycker du om nya busstiderna?")["uri"]
    troll = bs.act("account", handle="troll.bsky.social", display_name="Troll")
    nasty = bs.act(
        "post", actor=troll["did"], text="Ni är idioter och borde skämmas", reply_to=root
    )["uri"]
    polite = bs.act("post", actor=troll["did"], text="När går första bussen?", reply_to=root)["uri"]
    client = make_client(handle, account)

    answer = client.reply(polite, "Hej! Första bussen går 05.40.", idempotency_key="case-1")
    assert client.reply(polite, "Hej! Första bussen går 05.40.", idempotency_key="case-1") == answer
    store = bs.store
    assert store.live(answer).value["reply"]["root"]["uri"] == root
    assert sum(1 for r in store.replies_to(polite) if r.did == account["did"]) == 1

    client.set_hidden(nasty, True)
    gate = store.record_at(account["did"], "app.bsky.feed.threadgate", split_uri(root)[2])
    assert gate.value["hiddenReplies"] == [nasty] and "allow" not in gate.value
    thread = list(
        client.poll(
            {
                "recent_roots": {root: "2099-01-01T00:00:00.000Z"},
                "feed_newest": "9",
                "notif_newest": "9",
            }
        )
    )[-1]
    states = {
        i.platform_id: i.state
        for i in normalise(
            thread.body, {**thread.context, "account_external_id": account["did"]}
        ).items
    }
    assert states[nasty] == "hidden" and states[polite] == "visible"
    client.set_hidden(nasty, False)
    assert (
        store.record_at(account["did"], "app.bsky.feed.threadgate", split_uri(root)[2]).value[
            "hiddenReplies"
        ]
        == []
    )

    with pytest.raises(Refused):
        client.delete(nasty)
    client.delete(answer)
    with pytest.raises(SimNotFound):
        store.live(answer)


def test_hiding_in_a_residents_thread_is_refused(sim) -> None:
    handle, account = sim
    bs = handle.simulator.bluesky
    resident = bs.act("account", handle="lisa.bsky.social")
    theirs = bs.act("post", actor=resident["did"], text=f"@{HANDLE} varför är vägen inte plogad?")[
        "uri"
    ]
    reply = bs.act("post", actor=resident["did"], text="Hallå?", reply_to=theirs)["uri"]
    with pytest.raises(Refused, match="own threads"):
        make_client(handle, account).set_hidden(reply, True)


# --- capture → archive through capture/actions.py ----------------------------------------------


@pytest.fixture
def connected(sim, world, make_account):
    handle, account = sim
    registered = make_account(
        status="aktivt",
        platform="bluesky",
        handle=HANDLE,
        url=f"https://bsky.app/profile/{HANDLE}",
        external_id=account["did"],
    )
    connection = actions.connect_account(
        registered, token=account["app_password"], base_url=handle.bluesky_url
    )
    return handle, account, connection


def test_capture_archives_every_post_and_detects_deletions(connected) -> None:
    handle, account, connection = connected
    report = actions.poll(connection, full=True)
    assert not report.error and report.pages > 0
    archived = dict(
        Item.objects.filter(account=connection.account).values_list("platform_id", "state")
    )
    assert concerning(handle.simulator.bluesky.store, account["did"]) <= set(archived)
    own = Item.objects.filter(account=connection.account, direction="upprattad").first()
    assert own.record_type == "own_post" and own.url.startswith(
        f"https://bsky.app/profile/{account['did']}/post/"
    )
    inkommen = Item.objects.filter(account=connection.account, kind="comment").first()
    assert (
        inkommen.direction == "inkommen"
        and inkommen.record_type == "public_comment"
        and inkommen.text
    )
    raw = RawCapture.objects.filter(account=connection.account, source="poll").first()
    assert "ratelimit-limit" in raw.headers and "authorization" not in raw.headers

    store = handle.simulator.bluesky.store
    victim = next(
        u
        for u in archived
        if u not in store.meta.get("kommun", [])
        and not u.startswith(f"at://{account['did']}/")
        and store.live(u).value.get("reply")
    )
    handle.simulator.bluesky.act("delete", uri=victim)
    connection.refresh_from_db()
    assert not actions.poll(connection, full=True).error
    item = Item.objects.get(account=connection.account, platform_id=victim)
    assert item.state == "deleted_on_platform" and item.text
    before, after = actions.reprocess(connection.account)
    assert before == after
    assert log.verify().ok


def test_a_revoked_app_password_stops_the_account_and_alerts(
    connected, django_capture_on_commit_callbacks
) -> None:
    handle, account, connection = connected
    assert not actions.poll(connection, full=True).error
    handle.simulator.set_token_state(account["app_password"], "revoked")
    handle.simulator.bluesky.expire_sessions(account["did"])
    connection.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.poll(connection, full=False)
    assert "AuthenticationRequired" in report.error
    connection.refresh_from_db()
    assert connection.status == Connection.Status.TOKEN_INVALID
    assert any("åtkomsten" in m.subject for m in mail.outbox)


def test_a_rate_limit_schedules_the_next_poll_at_the_reset(connected) -> None:
    import math
    import time

    handle, account, connection = connected
    handle.simulator.add_fault("rate_limit", platform="bluesky", count=None, path="getAuthorFeed")
    before = math.floor(time.time() / 300) * 300 + 300  # the stand-in's window end (RateLimit-Reset)
    seam = HttpSeam(max_wait=0.0, max_attempts=2, sleep=lambda s: None)
    report = actions.poll(connection, full=True, http=seam)
    assert "429" in report.error
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE
    # RateLimit-Reset, not the generic back-off (2 x poll_interval = 120 s).
    after = math.floor(time.time() / 300) * 300 + 300
    assert any(abs(connection.next_poll_at.timestamp() - reset) <= 2 for reset in (before, after))
    handle.simulator.clear_faults()


def test_the_full_pass_keeps_replies_whose_parent_was_deleted(connected) -> None:
    """A deleted comment takes its subtree out of the thread view. A reply six levels down
    never notified us (Bluesky notifies five ancestors' authors), so after the deletion it is
    seen nowhere; the full pass re-reads it with getPosts, finds it, and keeps it visible."""
    handle, account, connection = connected
    bs = handle.simulator.bluesky
    root = bs.act("post", actor=account["did"], text="Hur vill du att parken ska se ut?")["uri"]
    people = [bs.act("account", handle=f"granne{i}.bsky.social")["did"] for i in range(2)]
    chain = [root]
    for depth in range(6):
        chain.append(
            bs.act("post", actor=people[depth % 2], text=f"Inlägg {depth}", reply_to=chain[-1])[
                "uri"
            ]
        )
    first, leaf = chain[1], chain[-1]
    assert not actions.poll(connection, full=True).error
    assert Item.objects.filter(account=connection.account, platform_id=leaf).exists()
    bs.act("delete", uri=first)
    connection.refresh_from_db()
    assert not actions.poll(connection, full=True).error
    states = dict(Item.objects.filter(platform_id__in=chain).values_list("platform_id", "state"))
    assert states[first] == "deleted_on_platform"
    assert {states[u] for u in chain if u != first} == {"visible"}
    reread = RawCapture.objects.filter(account=connection.account, context__endpoint="posts")
    assert any(leaf in r.context.get("uris", []) for r in reread)


def test_the_demo_connects_its_bluesky_account_to_the_simulator_and_captures_it(
    db, tmp_path
) -> None:
    """`insyn demo`'s path: the simulator process prints its JSON line, the demo organisation
    is loaded and attached, and the worker's poll captures the Bluesky account."""
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
            "--bluesky-handle",
            "alvbykommun.bsky.social",
            "--data-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(process.stdout.readline())
        assert info["bluesky_url"].endswith("/bluesky")
        assert info["bluesky_accounts"][0]["handle"] == "alvbykommun.bsky.social"
        load_demo()
        attach_simulator(info)
        connection = Connection.objects.get(account__platform=Platform.BLUESKY)
        assert connection.base_url == info["bluesky_url"]
        assert connection.account.external_id == info["bluesky_accounts"][0]["did"]
        report = actions.poll(connection, full=True)
        assert not report.error, report.error
        assert Item.objects.filter(
            account=connection.account, kind="post", direction="upprattad"
        ).exists()
        assert Item.objects.filter(account=connection.account, direction="inkommen").exists()
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_inbox_archives_before_moderating_and_explains_refusals_in_swedish(connected) -> None:
    from insyn.inbox.platform import archive_before_moderating, explain

    handle, account, connection = connected
    bs = handle.simulator.bluesky
    resident = bs.act("account", handle="ulla.bsky.social", display_name="Ulla")
    theirs = bs.act("post", actor=resident["did"], text=f"@{HANDLE} ni borde skämmas, era lögnare")[
        "uri"
    ]
    client = make_client(handle, account)
    archive_before_moderating(connection.account, client, theirs)
    item = Item.objects.get(account=connection.account, platform_id=theirs)
    assert item.text.endswith("era lögnare") and item.kind == "post"

    with pytest.raises(Refused) as refused_delete:
        client.delete(theirs)
    message = str(explain(refused_delete.value, connection.account, "delete"))
    assert message.startswith("Bluesky kan inte ta bort andras inlägg")
    with pytest.raises(Refused) as refused_hide:
        client.set_hidden(theirs, True)
    assert str(explain(refused_hide.value, connection.account, "hide")).startswith(
        "Bluesky kan bara dölja svar"
    )

    bs.act("delete", uri=theirs)
    with pytest.raises(NotFound):
        archive_before_moderating(connection.account, client, theirs)
