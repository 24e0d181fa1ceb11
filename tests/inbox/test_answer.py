"""Answering through the platforms (R15, R16, R28), against the simulator: the reply is published
once, archived as an upprättad handling linked to the case, and a failure leaves the case
unchanged with the reason in Swedish."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from insyn.archive.models import Item
from insyn.capture import actions as capture_actions
from insyn.capture.models import Connection
from insyn.eventlog import log
from insyn.inbox import actions
from insyn.inbox.models import CaseState, PlatformAction
from insyn.inbox.platform import ActionFailed
from tests.conftest import login
from tests.inbox.conftest import fb_case, md_case, open_case

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER = "Hej Anna! Simhallen öppnar igen på måndag kl. 6. Välkommen!"


def test_facebook_reply_is_published_archived_and_not_duplicated_by_the_next_poll(world, sim, fast_http):
    case = fb_case(sim)
    outcome = actions.answer_case(world.kom_a, case, ANSWER, key="k1")
    case.refresh_from_db()
    assert case.state == CaseState.BESVARAD and case.closed_at
    [published] = sim.page_comments(ANSWER)
    assert published.parent_id == case.item.platform_id
    action = outcome.action
    action.refresh_from_db()
    assert action.status == PlatformAction.Status.DONE and action.result_platform_id == published.id
    item = action.published_item
    assert item.direction == "upprattad" and item.platform_id == published.id and item.text == ANSWER
    capture_actions.poll(Connection.objects.get(account=sim.fb), full=True)
    assert Item.objects.filter(account=sim.fb, platform_id=published.id).count() == 1
    item.refresh_from_db()
    assert item.version_count == 1 and item.versions.get().text == ANSWER
    assert item.parent.pk == case.item.pk
    assert case.events.filter(kind="answered").exists() and case.decisions.get().needs_answer
    assert log.verify().ok


def test_a_retry_after_success_publishes_nothing(world, sim, fast_http):
    case = fb_case(sim)
    actions.answer_case(world.kom_a, case, ANSWER, key="k1")
    again = actions.answer_case(world.kom_a, case, ANSWER, key="k1")
    assert again.already_done
    assert len(sim.page_comments(ANSWER)) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_leaves_the_case_unchanged_and_a_retry_publishes_once(world, sim, fast_http, status):
    case = fb_case(sim)
    sim.handle.simulator.add_fault("http_error", platform="graph", status=status, method="POST", path="/comments",
                                   count=1)
    with pytest.raises(ActionFailed) as failure:
        actions.answer_case(world.kom_a, case, ANSWER, key="k1")
    assert "serverfel" in str(failure.value)
    case.refresh_from_db()
    assert case.state == CaseState.NY and case.closed_at is None and not case.events.filter(kind="answered").exists()
    assert PlatformAction.objects.get(key="k1").status == PlatformAction.Status.UNCLEAR
    assert sim.page_comments(ANSWER) == []
    actions.answer_case(world.kom_a, case, ANSWER, key="k1")
    assert len(sim.page_comments(ANSWER)) == 1
    case.refresh_from_db()
    assert case.state == CaseState.BESVARAD


def test_expired_token_leaves_the_case_unchanged(world, sim, fast_http):
    case = fb_case(sim)
    sim.handle.simulator.set_token_state(Connection.objects.get(account=sim.fb).get_token(), "expired")
    with pytest.raises(ActionFailed) as failure:
        actions.answer_case(world.kom_a, case, ANSWER, key="k1")
    assert "åtkomstnyckel" in str(failure.value)
    case.refresh_from_db()
    assert case.state == CaseState.NY
    assert PlatformAction.objects.get(key="k1").status == PlatformAction.Status.FAILED


def test_timeout_after_facebook_took_the_reply_is_not_published_twice(world, sim, fast_http):
    case = fb_case(sim)
    fast_http(timeout=0.4, max_attempts=1)
    sim.handle.simulator.add_fault("delay", platform="graph", method="POST", path="/comments", delay=1.0, count=1)
    with pytest.raises(ActionFailed):
        actions.answer_case(world.kom_a, case, ANSWER, key="k1")
    time.sleep(1.2)  # the simulator finishes the request it had already received
    assert len(sim.page_comments(ANSWER)) == 1
    case.refresh_from_db()
    assert case.state == CaseState.NY
    fast_http()
    actions.answer_case(world.kom_a, case, ANSWER, key="k1")  # finds the first by polling
    assert len(sim.page_comments(ANSWER)) == 1
    case.refresh_from_db()
    assert case.state == CaseState.BESVARAD
    action = PlatformAction.objects.get(key="k1")
    assert action.result_platform_id == sim.page_comments(ANSWER)[0].id


def test_mastodon_retry_with_the_same_key_returns_the_same_status(world, sim, fast_http):
    case = md_case(sim)
    fast_http(timeout=0.4, max_attempts=1)
    sim.handle.simulator.add_fault("delay", platform="mastodon", method="POST", path="/api/v1/statuses$",
                                   delay=1.0, count=1)
    with pytest.raises(ActionFailed):
        actions.answer_case(world.kom_a, case, ANSWER, key="m1")
    time.sleep(1.2)
    assert len(sim.kommun_replies()) == 1
    fast_http()
    outcome = actions.answer_case(world.kom_a, case, ANSWER, key="m1")
    replies = sim.kommun_replies()
    assert len(replies) == 1 and outcome.action.result_platform_id == replies[0].id
    item = Item.objects.get(account=sim.md, platform_id=replies[0].id)
    assert item.direction == "upprattad" and item.version_count == 1  # archived from the platform's answer


def test_answer_over_http_shows_the_error_in_swedish(world, sim, fast_http):
    case = fb_case(sim)
    client = login(Client(), world.kom_a)
    form = client.get(f"/inkorg/{case.pk}/svara/").content.decode()
    assert 'name="key"' in form
    sim.handle.simulator.add_fault("http_error", platform="graph", status=500, method="POST", path="/comments")
    page = client.post(f"/inkorg/{case.pk}/svara/", {"text": ANSWER, "key": "h1", "template": ""})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Svaret kunde inte publiceras" in html and "serverfel" in html and 'value="h1"' in html
    sim.handle.simulator.clear_faults()
    done = client.post(f"/inkorg/{case.pk}/svara/", {"text": ANSWER, "key": "h1", "template": ""})
    assert done.status_code == 302
    assert len(sim.page_comments(ANSWER)) == 1


def test_template_placeholders_must_be_filled(world, inbox):
    case = open_case(inbox.a)
    with pytest.raises(ValidationError) as error:
        actions.answer_case(world.kom_a, case, "Hej {namn}! Svar kommer från {handläggare}.", key="x")
    assert "{handläggare}" in str(error.value)


def test_personal_attacks_are_not_answered_without_confirmation(world, inbox):
    case = open_case(inbox.a, "Du är en idiot", labels={"moderation": ["personangrepp_fortal"]})
    assert case.recommends_no_answer
    with pytest.raises(ValidationError):
        actions.answer_case(world.kom_a, case, "Hej!", key="x")
    page = login(Client(), world.kom_a).get(f"/inkorg/{case.pk}/").content.decode()
    assert "rekommenderar att inte svara" in page


def test_wrong_authority_suggests_the_template_with_the_contact(world, inbox):
    case = open_case(inbox.a, "Hur förnyar jag mitt pass?", labels={"needs_answer": True, "wrong_authority": "Polisen"})
    client = login(Client(), world.kom_a)
    assert "Frågan verkar gälla Polisen" in client.get(f"/inkorg/{case.pk}/").content.decode()
    form = client.get(f"/inkorg/{case.pk}/svara/").content.decode()
    assert "polisen.se eller telefon 114 14" in form and "Hej Maja!" in form


def test_not_connected_account_fails_cleanly(world, inbox):
    case = open_case(inbox.a)
    with pytest.raises(ActionFailed) as failure:
        actions.answer_case(world.kom_a, case, "Hej!", key="x")
    assert "inte anslutet" in str(failure.value)
    case.refresh_from_db()
    assert case.state == CaseState.NY
