"""Moving to the diarium (R26) against the simulator: removed from the platform, registered
with a sekretess marking, the person told the diarienummer; afterwards only registrators and
the assigned handläggare read the content, and each read is logged."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from insyn.archive.models import Item
from insyn.capture import actions as capture_actions
from insyn.capture.models import Connection
from insyn.eventlog import log
from insyn.eventlog.models import Event
from insyn.inbox import access, actions, replies
from insyn.inbox.models import CaseState, Restriction
from insyn.inbox.platform import ActionFailed
from insyn.records.models import Registration
from insyn.registry.policy import current_policy
from tests.conftest import login
from tests.inbox.conftest import fb_case, open_case

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Hej, mitt personnummer är 811218-9876 och min son får inget stöd från socialtjänsten, varför?"
LABELS = {"needs_answer": True, "topic": "socialtjanst", "sensitive": ["personnummer", "socialtjanst_arende"]}


def _move(world, case, **overrides):
    kwargs = {
        "removal": "delete", "subject": "Fråga om eget ärende via Facebook", "key": "d1", "sekretess": True,
        "osl_reference": "OSL 26 kap. 1 §", "handler": world.handlaggare,
        "answer_text": replies.render(current_policy(), "eget_arende", case),
    }
    kwargs.update(overrides)
    return actions.move_to_diarium(world.kom_a, case, **kwargs)


def test_move_removes_registers_and_answers_with_the_diarienummer(world, sim, fast_http):
    case = fb_case(sim, SECRET, labels=LABELS)
    outcome = _move(world, case)
    assert outcome.warnings == []
    assert sim.world.comments[case.item.platform_id].deleted_at is not None
    registration = Registration.objects.get(item=case.item)
    assert registration.sekretess and registration.handler == world.handlaggare
    assert registration.diarienummer == outcome.diarienummer and registration.counterpart == ""  # shielded
    [answer] = [c for c in sim.page_comments() if registration.diarienummer in c.message]
    assert answer.message.startswith("Hej Anna!") and "{" not in answer.message
    case.refresh_from_db()
    assert case.state == CaseState.DIARIEFORD and case.assignee == world.handlaggare
    restriction = Restriction.objects.get(item=case.item)
    assert restriction.diarienummer == registration.diarienummer
    item = Item.objects.get(pk=case.item_id)
    assert item.state == "removed_by_us" and item.text == SECRET  # kept in the archive, restricted
    assert Event.objects.filter(kind="inbox.moved_to_diarium").exists()
    # A retry changes nothing and publishes nothing more.
    again = _move(world, case)
    assert again.already_done and len([c for c in sim.page_comments() if registration.diarienummer in c.message]) == 1
    capture_actions.poll(Connection.objects.get(account=sim.fb), full=True)
    assert Item.objects.get(pk=case.item_id).state == "removed_by_us"
    assert log.verify().ok


def test_only_registrators_and_the_handler_read_restricted_content(world, sim, fast_http):
    case = fb_case(sim, SECRET, labels=LABELS)
    _move(world, case)
    url = f"/inkorg/{case.pk}/"
    for user in (world.kom_a, world.samordnare, world.chef_a):
        html = login(Client(), user).get(url).content.decode()
        assert "811218-9876" not in html and "flyttat till diariet" in html
    assert not Event.objects.filter(kind="inbox.restricted_read").exists()
    for user in (world.registrator, world.handlaggare):
        html = login(Client(), user).get(url).content.decode()
        assert "811218-9876" in html
    reads = Event.objects.filter(kind="inbox.restricted_read").order_by("seq")
    assert [e.actor for e in reads] == [world.registrator, world.handlaggare]
    assert reads[0].data["diarienummer"] == Restriction.objects.get().diarienummer
    # Lists never show it, to anybody.
    assert "811218-9876" not in login(Client(), world.samordnare).get("/inkorg/?status=alla").content.decode()
    restriction = access.restriction_for(case.item)
    assert access.can_read_restricted(world.registrator, restriction)
    assert not access.can_read_restricted(world.kom_a, restriction)


def test_platform_failure_registers_nothing(world, sim, fast_http):
    case = fb_case(sim, SECRET, labels=LABELS)
    sim.handle.simulator.add_fault("http_error", platform="graph", status=503, method="DELETE", count=None)
    with pytest.raises(ActionFailed):
        _move(world, case)
    assert not Registration.objects.exists() and not Restriction.objects.exists()
    case.refresh_from_db()
    assert case.state == CaseState.NY


def test_refused_before_anything_is_removed(world, sim, fast_http):
    case = fb_case(sim, SECRET, labels=LABELS)
    with pytest.raises(ValidationError):
        _move(world, case, osl_reference="")  # sekretess needs its provision
    with pytest.raises(ValidationError):
        _move(world, case, removal="none")  # a public comment must leave the medium
    assert sim.world.comments[case.item.platform_id].deleted_at is None


def test_a_direct_message_is_registered_and_answered_in_messenger(world, sim, fast_http):
    from insyn.inbox.sweeps import open_cases_pending
    from tests.inbox.conftest import triage

    sent = sim.act("message", page_id=sim.page_id, user_name="Olle Berg", text=SECRET)
    capture_actions.poll(Connection.objects.get(account=sim.fb), full=True)
    item = Item.objects.get(account=sim.fb, platform_id=sent["id"])
    triage(item, **LABELS)
    open_cases_pending()
    case = item.case
    outcome = _move(world, case, removal="none")
    assert outcome.warnings == []
    texts = [m.message for m in sim.world.messages.values()
             if m.conversation_id == sent["conversation_id"] and m.from_id == sim.page_id]
    assert len(texts) == 1 and outcome.diarienummer in texts[0]


def test_move_over_http(world, sim, fast_http):
    case = fb_case(sim, SECRET, labels=LABELS)
    client = login(Client(), world.kom_a)
    form = client.get(f"/inkorg/{case.pk}/diarium/").content.decode()
    assert "{diarienummer}" in form
    response = client.post(f"/inkorg/{case.pk}/diarium/", {
        "removal": "delete", "subject": "Fråga via Facebook", "sekretess": "on", "osl_reference": "OSL 26 kap. 1 §",
        "handler": world.handlaggare.pk, "legal_basis": "kanslig_information", "send_answer": "on",
        "answer_text": "Hej! Vi har registrerat det (dnr {diarienummer}).", "key": "h1"})
    assert response.status_code == 302
    assert Registration.objects.filter(item=case.item).exists()


def test_samordnare_cannot_register_and_nothing_is_removed(world, inbox):
    case = open_case(inbox.a, SECRET, labels=LABELS)
    with pytest.raises(ValidationError):
        actions.move_to_diarium(world.samordnare, case, removal="delete", subject="x", key="k",
                                osl_reference="OSL 26 kap. 1 §")
