"""Moderation (R19, R31) against the simulator: hide or delete with a mandatory legal basis,
the archived copy stays, the decision is logged and feeds triage's learning."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from insyn.archive.models import Item, ItemStateChange
from insyn.capture import actions as capture_actions
from insyn.capture.models import Connection
from insyn.eventlog import log
from insyn.eventlog.models import Event
from insyn.inbox import actions
from insyn.inbox.learning import decisions_as_examples
from insyn.inbox.models import CaseState
from insyn.inbox.platform import ActionFailed
from insyn.triage.dataset import validate
from tests.conftest import login
from tests.inbox.conftest import fb_case, md_case, open_case

pytestmark = pytest.mark.django_db(transaction=True)
ATTACK = "Du är en idiot, Kalle på tekniska"


def test_hide_with_a_legal_basis_keeps_the_archived_copy(world, sim, fast_http):
    case = fb_case(sim, ATTACK, labels={"moderation": ["personangrepp_fortal"]})
    actions.moderate_case(world.kom_a, case, how="hide", legal_basis="personangrepp_fortal",
                          reason="Namngiven tjänsteperson kallas idiot", key="k")
    assert sim.world.comments[case.item.platform_id].is_hidden
    case.refresh_from_db()
    item = Item.objects.get(pk=case.item_id)
    assert case.state == CaseState.BORTTAGEN and item.state == "hidden" and item.text == ATTACK
    change = ItemStateChange.objects.get(item=item, source="insyn")
    assert change.actor == world.kom_a and change.legal_basis == "personangrepp_fortal" and "idiot" in change.reason
    event = Event.objects.get(kind="inbox.hidden")
    assert event.actor == world.kom_a and event.data["legal_basis"] == "personangrepp_fortal"
    assert log.verify().ok


def test_delete_and_tell_the_author(world, sim, fast_http):
    case = fb_case(sim, ATTACK, labels={"moderation": ["personangrepp_fortal"]})
    notice = "Hej {namn}! Vi har tagit bort ditt inlägg ({grund})."
    outcome = actions.moderate_case(world.kom_a, case, how="delete", legal_basis="personangrepp_fortal", key="k",
                                    notify_text=notice.replace("{namn}", "Anna"))
    assert outcome.warnings == []
    assert sim.world.comments[case.item.platform_id].deleted_at is not None
    [told] = sim.page_comments("Hej Anna! Vi har tagit bort ditt inlägg (förtal eller personangrepp).")
    assert told.parent_id is None  # on the post: the comment itself is gone
    item = Item.objects.get(pk=case.item_id)
    assert item.state == "removed_by_us"
    capture_actions.poll(Connection.objects.get(account=sim.fb), full=True)
    item.refresh_from_db()
    assert item.state == "removed_by_us" and item.text == ATTACK  # final, and the copy stays
    assert case.events.filter(kind="author_notified").exists()


def test_legal_basis_is_mandatory(world, inbox):
    case = open_case(inbox.a, ATTACK, labels={"moderation": ["personangrepp_fortal"]})
    with pytest.raises(ValidationError) as error:
        actions.moderate_case(world.kom_a, case, how="delete", legal_basis="", key="k")
    assert "rättslig grund" in str(error.value)
    page = login(Client(), world.kom_a).post(f"/inkorg/{case.pk}/moderera/", {"how": "delete", "key": "k"})
    assert page.status_code == 200 and "Rättslig grund" in page.content.decode()


def test_platform_failure_leaves_the_case_unchanged(world, sim, fast_http):
    case = fb_case(sim, ATTACK, labels={"moderation": ["personangrepp_fortal"]})
    sim.handle.simulator.add_fault("http_error", platform="graph", status=500, method="DELETE", count=None)
    with pytest.raises(ActionFailed):
        actions.moderate_case(world.kom_a, case, how="delete", legal_basis="personangrepp_fortal", key="k")
    case.refresh_from_db()
    assert case.state == CaseState.NY and Item.objects.get(pk=case.item_id).state == "visible"
    assert not ItemStateChange.objects.filter(source="insyn").exists()
    sim.handle.simulator.clear_faults()
    actions.moderate_case(world.kom_a, case, how="delete", legal_basis="personangrepp_fortal", key="k")
    case.refresh_from_db()
    assert case.state == CaseState.BORTTAGEN


def test_mastodon_cannot_remove_others_posts(world, sim, fast_http):
    case = md_case(sim, ATTACK, labels={"moderation": ["personangrepp_fortal"]})
    with pytest.raises(ActionFailed) as failure:
        actions.moderate_case(world.kom_a, case, how="delete", legal_basis="personangrepp_fortal", key="k")
    assert "Mastodon kan inte" in str(failure.value)
    case.refresh_from_db()
    assert case.state == CaseState.NY


def test_moderate_over_http(world, sim, fast_http):
    case = fb_case(sim, ATTACK, labels={"moderation": ["personangrepp_fortal"]})
    client = login(Client(), world.kom_a)
    form = client.get(f"/inkorg/{case.pk}/moderera/").content.decode()
    assert "Förtal eller personangrepp" in form and "{grund}" in form
    response = client.post(f"/inkorg/{case.pk}/moderera/", {
        "how": "hide", "legal_basis": "personangrepp_fortal", "reason": "", "key": "h1"})
    assert response.status_code == 302
    assert sim.world.comments[case.item.platform_id].is_hidden


def test_decisions_become_triage_examples(world, inbox, tmp_path):
    spam = open_case(inbox.a, "Köp billiga klockor", pid="c1", labels={"needs_answer": True})
    question = open_case(inbox.a, "Är det bra?", pid="c2", post_id="p2", labels={"needs_answer": True})
    actions.close_no_action(world.kom_a, question)
    from insyn.inbox.models import Decision

    Decision.objects.create(case=spam, version=spam.version, actor=world.kom_a, outcome="deleted", needs_answer=False,
                            topic="ovrigt", moderation=["spam"], sensitive=[], legal_basis="spam")
    examples = {e["text"]: e for e in decisions_as_examples()}
    assert examples["Köp billiga klockor"]["moderation"] == ["spam"]
    assert examples["Är det bra?"]["needs_answer"] is False
    for example in examples.values():
        validate(example, "test")  # the triage example schema, strictly
    out = tmp_path / "decisions.jsonl"
    call_command("inbox", "decisions", "-o", str(out))
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2


def test_a_refused_hide_is_reported_as_not_hidden_in_swedish(world, sim, fast_http):
    case = md_case(sim, ATTACK, labels={"moderation": ["personangrepp_fortal"]})
    page = login(Client(), world.kom_a).post(f"/inkorg/{case.pk}/moderera/", {
        "how": "hide", "legal_basis": "personangrepp_fortal", "reason": "", "key": "h1"}).content.decode()
    assert "Inlägget kunde inte döljas" in page and "kunde inte tas bort" not in page
    assert "Mastodon kan inte dölja eller ta bort andras inlägg" in page
