"""Forwarding (R18): the routing table, the e-mail to the handläggare, the draft, and the
kommunikatör publishing it; the trail on the case."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from insyn.inbox import actions
from insyn.inbox.models import CaseEvent, CaseState, Route
from tests.conftest import login
from tests.inbox.conftest import open_case


def test_routing_table_is_the_samordnares(world, inbox):
    client = login(Client(), world.samordnare)
    assert client.get("/inkorg/routning/").status_code == 200
    response = client.post("/inkorg/routning/", {"unit_kultur_fritid": world.unit_a1.pk,
                                                 "handler_kultur_fritid": world.handlaggare.pk})
    assert response.status_code == 302
    route = Route.objects.get(topic="kultur_fritid")
    assert route.unit == world.unit_a1 and route.handler == world.handlaggare
    assert login(Client(), world.kom_a).get("/inkorg/routning/").status_code == 403
    with pytest.raises(PermissionDenied):
        actions.set_route(world.kom_a, topic="ovrigt", unit=world.unit_a)


def test_forward_draft_publish(world, inbox, django_capture_on_commit_callbacks):
    actions.set_route(world.samordnare, topic="kultur_fritid", unit=world.unit_a1, handler=world.handlaggare)
    case = open_case(inbox.a, "När öppnar simskolan?")
    kom = login(Client(), world.kom_a)
    form = kom.get(f"/inkorg/{case.pk}/vidarebefordra/").content.decode()
    assert f'value="{world.unit_a1.pk}" selected' in form  # from the routing table
    with django_capture_on_commit_callbacks(execute=True):
        response = kom.post(f"/inkorg/{case.pk}/vidarebefordra/", {
            "unit": world.unit_a1.pk, "handler": world.handlaggare.pk, "topic": "kultur_fritid",
            "note": "Kan du svara om höstterminen?"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.VIDAREBEFORDRAD and case.assignee == world.handlaggare
    [message] = mail.outbox
    assert message.to == ["handlaggare@test.example"] and f"/inkorg/{case.pk}/" in message.body
    assert "simskolan" not in message.body  # the resident's text stays in Insyn

    handler = login(Client(), world.handlaggare)
    assert "Kan du svara om höstterminen?" in handler.get(f"/inkorg/{case.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        handler.post(f"/inkorg/{case.pk}/utkast/", {"text": "Simskolan börjar vecka 35."})
    case.refresh_from_db()
    assert case.draft_text == "Simskolan börjar vecka 35." and case.draft_by == world.handlaggare
    assert mail.outbox[-1].to == ["kom_a@test.example"]
    assert handler.get(f"/inkorg/{case.pk}/svara/").status_code == 403  # the kommunikatör publishes

    answer = kom.get(f"/inkorg/{case.pk}/svara/").content.decode()
    assert "Simskolan börjar vecka 35." in answer
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [CaseEvent.Kind.OPENED, CaseEvent.Kind.FORWARDED, CaseEvent.Kind.DRAFTED]


def test_forward_to_a_unit_mails_its_handlaggare(world, inbox, django_capture_on_commit_callbacks):
    case = open_case(inbox.a)
    with django_capture_on_commit_callbacks(execute=True):
        actions.forward_case(world.kom_a, case, unit=world.unit_a1, note="")
    assert mail.outbox[0].to == ["handlaggare@test.example"]


def test_handler_must_work_in_the_unit(world, inbox):
    case = open_case(inbox.a)
    with pytest.raises(ValidationError):
        actions.forward_case(world.kom_a, case, unit=world.unit_b, handler=world.handlaggare)


def test_an_outsider_cannot_draft(world, inbox):
    case = open_case(inbox.a)
    actions.forward_case(world.kom_a, case, unit=world.unit_a1, handler=world.handlaggare)
    assert login(Client(), world.kom_b).post(f"/inkorg/{case.pk}/utkast/", {"text": "x"}).status_code == 404
