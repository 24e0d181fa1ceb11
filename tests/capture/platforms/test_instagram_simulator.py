"""Instagram end to end against the simulator's stand-in over real HTTP: capture through
capture/actions.py into the archive, full passes that notice deletions, moderation, an
expired token that stops the account, rate limits, and the signed webhooks (comments,
direct messages and their deletion notices) through the webhook view."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.core import mail
from django.test import Client

from insyn.archive.models import Item, RawCapture
from insyn.capture import actions
from insyn.capture.models import Connection
from insyn.capture.platforms.base import NotFound, PlatformError, RateLimited
from insyn.eventlog import log
from insyn.lib.http import HttpSeam
from insyn.simulator import VirtualClock, WebhookConfig, start_in_thread

SECRET = "ig-test-app-secret"


@pytest.fixture
def sim():
    handle = start_in_thread(seed=5, port=0, mastodon_port=0, clock=VirtualClock(1_764_000_000.0))
    info = handle.simulator.seed_default_world(history_days=3, instagram_username="testkommunen")
    handle.simulator.tick(25)
    yield handle, info["instagram_account"]
    handle.stop()


@pytest.fixture
def connected(sim, make_account):
    handle, ig = sim
    account = make_account(status="aktivt", platform="instagram", handle="testkommunen",
                           url="https://www.instagram.com/testkommunen", external_id=ig["ig_user_id"])
    connection = actions.connect_account(account, token=ig["token"], base_url=handle.url)
    return handle, connection


def _fast() -> HttpSeam:
    return HttpSeam(sleep=lambda s: None, backoff_base=0.0)


def _live_ids(world, owner_id: str) -> set[str]:
    media = {m.id for m in world.media_of(owner_id) if m.deleted_at is None}
    comments = set()
    for comment in world.ig_comments.values():
        try:
            world.live_ig_comment(comment.id)
        except Exception:  # noqa: BLE001 - gone on the platform
            continue
        if comment.media_id in media:
            comments.add(comment.id)
    return media | comments


def _archived(account) -> set[str]:
    return set(Item.objects.filter(account=account).values_list("platform_id", flat=True))


def test_full_pass_archives_everything_then_notices_a_deleted_comment(connected):
    handle, connection = connected
    world = handle.simulator.world
    report = actions.poll(connection, full=True)
    assert not report.error and report.pages > 0
    owner = connection.account.external_id
    assert _live_ids(world, owner) <= _archived(connection.account)
    own = Item.objects.filter(account=connection.account, kind="post")
    assert own.exists() and set(own.values_list("direction", flat=True)) == {"upprattad"}
    assert Item.objects.filter(account=connection.account, kind="comment", direction="inkommen").exists()

    # A resident deletes a comment with replies: Instagram says nothing, the next full pass
    # notices both, and the archived text stays.
    parent = next(c for c in world.ig_comments.values()
                  if c.parent_id is None and c.deleted_at is None and world.ig_replies_of(c.id))
    reply_ids = [r.id for r in world.ig_replies_of(parent.id) if r.deleted_at is None]
    handle.simulator.act("ig_delete_comment", comment_id=parent.id)
    connection.refresh_from_db()
    assert not actions.poll(connection, full=True).error
    for platform_id in [parent.id, *reply_ids]:
        item = Item.objects.get(account=connection.account, platform_id=platform_id)
        assert item.state == "deleted_on_platform" and item.text
    assert not Item.objects.filter(account=connection.account, state="deleted_on_platform").exclude(
        platform_id__in=[parent.id, *reply_ids]).exists()
    assert log.verify().ok


def test_incremental_poll_picks_up_new_comments_and_a_new_caption(connected):
    handle, connection = connected
    actions.poll(connection, full=True)
    world = handle.simulator.world
    owner = connection.account.external_id
    newest = max(world.media_of(owner), key=lambda m: m.timestamp)
    added = handle.simulator.act("ig_comment", object_id=newest.id, username="ny.invanare",
                                 text="Hur söker man bygglov för altan?")
    handle.simulator.act("ig_edit_caption", media_id=newest.id, caption="Ny bildtext: öppet till 21.00")
    handle.simulator.tick(10)
    connection.refresh_from_db()
    assert not actions.poll(connection, full=False).error
    comment = Item.objects.get(account=connection.account, platform_id=added["id"])
    assert comment.text == "Hur söker man bygglov för altan?" and comment.direction == "inkommen"
    post = Item.objects.get(account=connection.account, platform_id=newest.id)
    assert post.text == "Ny bildtext: öppet till 21.00" and post.versions.count() == 2
    assert _live_ids(world, owner) <= _archived(connection.account)


def test_reprocessing_the_raw_log_gives_the_same_archive(connected):
    handle, connection = connected
    actions.poll(connection, full=True)
    before, after = actions.reprocess(connection.account)
    assert before == after


def test_moderation_verbs_against_the_stand_in(connected):
    handle, connection = connected
    actions.poll(connection, full=True)
    world = handle.simulator.world
    client = actions._client(connection, _fast())
    target = next(c for c in world.ig_comments.values()
                  if c.parent_id is None and c.deleted_at is None and not c.hidden
                  and c.from_id != connection.account.external_id)
    reply_id = client.reply(target.id, "Hej! Vi återkommer i morgon.", idempotency_key="k1")
    assert world.ig_comments[reply_id].parent_id == target.id
    page = client.refetch(reply_id)  # how the inbox archives what it published
    (item,) = client.normalise(page.body, {**page.context, "account_external_id": connection.account.external_id}).items
    assert (item.kind, item.direction, item.parent_platform_id) == ("reply", "upprattad", target.id)

    with pytest.raises(PlatformError, match="top-level"):
        client.reply(reply_id, "Svar på svar", idempotency_key="k2")
    media = world.ig_media[target.media_id]
    comment_id = client.reply(media.id, "Välkomna!", idempotency_key="k3")  # a media: a new comment
    assert world.ig_comments[comment_id].parent_id is None

    client.set_hidden(target.id, True)
    assert world.ig_comments[target.id].hidden
    with pytest.raises(PlatformError, match="hidden"):
        client.reply(target.id, "Hej", idempotency_key="k4")
    client.set_hidden(target.id, False)
    client.delete(target.id)
    assert world.ig_comments[target.id].deleted_at is not None
    with pytest.raises(NotFound):
        client.delete(target.id)
    with pytest.raises(NotFound):
        client.refetch(target.id)


def test_expired_token_stops_the_account_and_alerts(connected, django_capture_on_commit_callbacks):
    handle, connection = connected
    handle.simulator.set_token_state(connection.get_token(), "expired")
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.poll(connection, full=False)
    assert "190" in report.error
    connection.refresh_from_db()
    assert connection.status == Connection.Status.TOKEN_INVALID
    assert any("åtkomsten" in m.subject for m in mail.outbox)


def test_rate_limit_reschedules_at_the_platforms_retry_time(connected):
    handle, connection = connected
    Connection.objects.filter(pk=connection.pk).update(poll_interval=1)  # a plain backoff would be 2 s
    connection.refresh_from_db()
    handle.simulator.add_fault("rate_limit", platform="graph", code=80002, count=1, path="/media")
    report = actions.poll(connection, full=False, http=_fast())
    assert "80002" in report.error
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE and connection.consecutive_failures == 1
    # The stand-in says when access is regained (X-Business-Use-Case-Usage, in minutes).
    assert connection.next_poll_at >= connection.last_poll_at + timedelta(seconds=55)
    handle.simulator.clear_faults()


def test_the_stand_ins_own_meter_answers_80002_for_instagram(sim):
    from insyn.capture.platforms.base import Connection as PlatformConnection
    from insyn.capture.platforms.instagram import Instagram

    handle, ig = sim
    handle.simulator.graph_meter.limit = 3
    client = Instagram(PlatformConnection("instagram", ig["ig_user_id"], "testkommunen", handle.url, ig["token"]),
                       _fast())
    with pytest.raises(RateLimited) as caught:
        for _ in range(5):
            client.verify_credentials()
    # Usage reported at 100 % blocks the next call before it is made, until the window ends.
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(seconds=30)


def test_server_errors_are_retried(connected):
    handle, connection = connected
    handle.simulator.add_fault("http_error", platform="graph", status=503, count=2)
    assert not actions.poll(connection, full=False, http=_fast()).error
    assert Item.objects.filter(account=connection.account).exists()


def test_a_truncated_page_is_quarantined_and_nothing_is_concluded(connected):
    handle, connection = connected
    actions.poll(connection, full=True)
    handle.simulator.add_fault("malformed", platform="graph", count=1, path="/comments")
    connection.refresh_from_db()
    report = actions.poll(connection, full=True, http=_fast())
    assert report.error
    assert RawCapture.objects.filter(account=connection.account, status="quarantined").exists()
    assert not Item.objects.filter(account=connection.account, state="deleted_on_platform").exists()


# --- webhooks through the view ------------------------------------------------------------------


def _django_transport(path: str):
    """Deliver the simulator's signed POSTs to Insyn's view through Django's test client."""
    django = Client()

    def handler(request: httpx.Request) -> httpx.Response:
        response = django.post(path, request.content, content_type="application/json",
                               HTTP_X_HUB_SIGNATURE_256=request.headers["X-Hub-Signature-256"])
        return httpx.Response(response.status_code, content=response.content)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_signed_instagram_webhooks_reach_the_archive(connected, settings, django_capture_on_commit_callbacks):
    settings.FACEBOOK_APP_SECRET = SECRET
    handle, connection = connected
    simulator, owner = handle.simulator, connection.account.external_id
    simulator.webhooks._client = _django_transport("/webhooks/instagram")
    simulator.configure_webhook(WebhookConfig("http://insyn.test/webhooks/facebook", SECRET, retry_base=0.0,
                                              instagram_url="http://insyn.test/webhooks/instagram"))
    world = simulator.world
    media = max(world.media_of(owner), key=lambda m: m.timestamp)
    comment = simulator.act("ig_comment", object_id=media.id, username="maja.k", text="Finns det parkering?")
    sent = simulator.act("ig_message", ig_user_id=owner, username="karin.b",
                         text="Hej, mitt personnummer är 19850315-1238, kan ni hjälpa mig?")
    simulator.act("ig_unsend", mid=sent["id"])
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = simulator.deliver_webhooks()
    simulator.configure_webhook(None)
    assert deliveries and all(d.status == 200 and d.kind == "instagram" for d in deliveries)
    raws = RawCapture.objects.filter(account=connection.account, source="webhook")
    assert raws.exists() and all(r.platform == "instagram" for r in raws)
    actions.process_pending()
    item = Item.objects.get(account=connection.account, platform_id=comment["id"])
    assert (item.kind, item.text, item.parent_platform_id) == ("comment", "Finns det parkering?", media.id)
    message = Item.objects.get(account=connection.account, platform_id=sent["id"])
    # The unsend notice is a state change; the received message (an allmän handling) stays.
    assert message.record_type == "direct_message" and message.state == "deleted_on_platform"
    assert "19850315-1238" in message.text
    assert message.state_changes.get().state == "deleted_on_platform"


def test_an_instagram_webhook_for_no_account_of_ours_is_quarantined(world, settings):
    settings.FACEBOOK_APP_SECRET = SECRET
    import hashlib
    import hmac

    body = json.dumps({"object": "instagram", "entry": [{"id": "17841499999999999", "time": 1, "changes": []}]}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = Client().post("/webhooks/instagram", body, content_type="application/json",
                             HTTP_X_HUB_SIGNATURE_256=signature)
    assert response.status_code == 200
    raw = RawCapture.objects.get()
    assert raw.status == "quarantined" and raw.platform == "instagram" and raw.account is None
    unsigned = Client().post("/webhooks/instagram", body, content_type="application/json")
    assert unsigned.status_code == 403 and RawCapture.objects.count() == 1


def test_the_demo_connects_its_instagram_account_and_captures_it(db, tmp_path) -> None:
    """`insyn demo`'s path: the simulator process prints its JSON line, the demo organisation
    is loaded and attached, and a poll captures the Instagram account."""
    import subprocess
    import sys

    from insyn.registry.demo import load_demo
    from insyn.registry.models import Platform
    from insyn.server.demo_capture import attach_simulator

    process = subprocess.Popen(
        [sys.executable, "-m", "insyn.simulator", "--port", "0", "--tick-seconds", "0", "--history-days", "1",
         "--kommun", "Älvby kommun", "--instagram-username", "alvbykommun", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        info = json.loads(process.stdout.readline())
        load_demo()
        attach_simulator(info)
        connection = Connection.objects.get(account__platform=Platform.INSTAGRAM, account__handle="alvbykommun")
        assert connection.account.external_id == info["instagram_accounts"][0]["id"]
        assert connection.base_url == info["graph_url"]
        report = actions.poll(connection, full=True)
        assert not report.error, report.error
        items = Item.objects.filter(account=connection.account)
        assert items.filter(kind="post", direction="upprattad").exists()
        assert items.filter(kind="comment", direction="inkommen").exists()
        assert items.filter(kind="reply", parent_platform_id__isnull=False).exists()
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_full_pass_does_not_judge_direct_messages_it_cannot_list(connected, settings,
                                                                   django_capture_on_commit_callbacks):
    """Instagram direct messages arrive only by webhook; a full pass (which lists media and
    comments) proves nothing about them, so they stay visible."""
    settings.FACEBOOK_APP_SECRET = SECRET
    handle, connection = connected
    simulator, owner = handle.simulator, connection.account.external_id
    simulator.webhooks._client = _django_transport("/webhooks/instagram")
    simulator.configure_webhook(WebhookConfig("http://insyn.test/webhooks/instagram", SECRET, retry_base=0.0))
    sent = simulator.act("ig_message", ig_user_id=owner, username="olle.p", text="Hej, när töms soporna?")
    with django_capture_on_commit_callbacks(execute=True):
        simulator.deliver_webhooks()
    simulator.configure_webhook(None)
    actions.process_pending()
    assert Item.objects.get(account=connection.account, platform_id=sent["id"]).state == "visible"
    connection.refresh_from_db()
    assert not actions.poll(connection, full=True).error
    assert Item.objects.get(account=connection.account, platform_id=sent["id"]).state == "visible"


def _case_for(item: Item):
    from insyn.archive.models import VersionTriage
    from insyn.inbox.models import Case
    from insyn.inbox.sweeps import open_cases_pending

    VersionTriage.objects.create(
        version=item.versions.order_by("-number").first(), model_version="test-1", needs_answer=True,
        topic="bygglov_plan", moderation=[], sensitive=[], wrong_authority="", spans=[], scores={},
        evidence=[{"field": "needs_answer", "label": True, "source": "rule", "detail": "question_mark", "start": 0,
                   "end": 3, "quote": item.text[:3], "score": None}])
    open_cases_pending()
    return Case.objects.get(item=item)


def test_the_inbox_answers_and_hides_on_instagram(connected, world, monkeypatch):
    """The inbox's doors (answer_case, moderate_case) drive the Instagram client: the answer is
    a reply on Instagram and archived at once as upprättad; a hide keeps the archived text."""
    from insyn.inbox import actions as inbox_actions
    from insyn.inbox import platform as inbox_platform

    monkeypatch.setattr(inbox_platform, "http", _fast)
    handle, connection = connected
    world_ = handle.simulator.world
    world_.clock.set(datetime.now(UTC).timestamp())  # the inbox opens cases for recent items only
    owner = connection.account.external_id
    media = max(world_.media_of(owner), key=lambda m: m.timestamp)
    question = handle.simulator.act("ig_comment", object_id=media.id, username="sara.l",
                                    text="Behöver man bygglov för ett attefallshus?")
    rude = handle.simulator.act("ig_comment", object_id=media.id, username="arg.anders",
                                text="Ni på kommunen är idioter allihop")
    assert not actions.poll(connection, full=True).error

    case = _case_for(Item.objects.get(account=connection.account, platform_id=question["id"]))
    inbox_actions.answer_case(world.kom_a, case, "Hej Sara! Ett attefallshus kräver en anmälan, inte bygglov.",
                              key="ig-answer-1")
    reply = next(c for c in world_.ig_comments.values() if c.parent_id == question["id"] and c.from_id == owner)
    archived = Item.objects.get(account=connection.account, platform_id=reply.id)
    assert (archived.kind, archived.direction, archived.parent_platform_id) == ("reply", "upprattad", question["id"])
    assert archived.versions.count() == 1  # the platform's own version, read back at once

    case = _case_for(Item.objects.get(account=connection.account, platform_id=rude["id"]))
    inbox_actions.moderate_case(world.kom_a, case, how="hide", legal_basis="personangrepp_fortal", key="ig-hide-1")
    assert world_.ig_comments[rude["id"]].hidden
    item = Item.objects.get(account=connection.account, platform_id=rude["id"])
    assert item.text == "Ni på kommunen är idioter allihop"
    assert log.verify().ok
