"""Reminders and escalation (R20) and weekly supervision (R31): worker steps, idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from insyn.eventlog.models import Event
from insyn.inbox import actions
from insyn.inbox.models import Case, CaseEvent, Supervision, SupervisionReminder
from insyn.inbox.sweeps import escalate_overdue, send_reminders, send_supervision_reminders
from tests.conftest import login
from tests.inbox.conftest import capture, comment, open_case, post, triage


def test_reminder_goes_to_the_assignee_once(world, inbox, django_capture_on_commit_callbacks):
    case = open_case(inbox.a)
    actions.assign_case(world.kom_a, case, world.chef_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(now=case.reminder_at - timedelta(minutes=1)) == 0
        assert send_reminders(now=case.reminder_at + timedelta(minutes=1)) == 1
        assert send_reminders(now=case.reminder_at + timedelta(minutes=2)) == 0
    [message] = mail.outbox
    assert message.to == ["chef_a@test.example"] and f"/inkorg/{case.pk}/" in message.body
    assert case.events.filter(kind=CaseEvent.Kind.REMINDED).count() == 1


def test_unassigned_cases_remind_the_accounts_communicators(world, inbox, django_capture_on_commit_callbacks):
    case = open_case(inbox.a)
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(now=case.due_at)
    assert sorted(m.to[0] for m in mail.outbox) == ["kom_a2@test.example", "kom_a@test.example"]


def test_escalation_after_the_deadline_to_the_samordnare(world, inbox, django_capture_on_commit_callbacks):
    first = open_case(inbox.a, pid="c1")
    second = open_case(inbox.a, pid="c2", post_id="p2")
    answered = open_case(inbox.a, pid="c3", post_id="p3")
    actions.close_no_action(world.kom_a, answered)
    later = max(first.due_at, second.due_at) + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue(now=first.due_at - timedelta(minutes=1)) == 0
        assert escalate_overdue(now=later) == 2
        assert escalate_overdue(now=later) == 0
    [message] = mail.outbox  # one mail listing both
    assert message.to == ["samordnare@test.example"] and "2 ärenden" in message.subject
    assert Event.objects.filter(kind="inbox.escalated").count() == 2


def test_possible_child_abuse_material_goes_to_a_person_at_once(world, inbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(inbox.a, "länk", labels={"moderation": ["pornografi", "uppmaning_till_brott"]})
    assert case.escalated_at is not None
    assert any("genast" in m.subject for m in mail.outbox)


def test_supervision_is_recorded_with_its_range(world, inbox):
    start = timezone.now() - timedelta(days=3)
    items = capture(inbox.a, post(author_id="page1"), comment("c1", "Hej"), comment("c2", "Hallå"), at=start)
    triage(items[1])
    client = login(Client(), world.kom_a)
    page = client.get(f"/inkorg/tillsyn/{inbox.a.pk}/").content.decode()
    assert "Hallå" in page
    fmt = "%Y-%m-%dT%H:%M"
    response = client.post(f"/inkorg/tillsyn/{inbox.a.pk}/", {
        "items_from": timezone.localtime(start - timedelta(minutes=1)).strftime(fmt),
        "items_to": timezone.localtime(timezone.now()).strftime(fmt), "note": "Inget olagligt"})
    assert response.status_code == 302
    supervision = Supervision.objects.get()
    assert supervision.reviewer == world.kom_a and supervision.item_count == 2
    assert supervision.first_item.platform_id == "c1" and supervision.last_item.platform_id in ("c1", "c2")
    assert Event.objects.filter(kind="inbox.supervised").exists()
    assert login(Client(), world.kom_b).get(f"/inkorg/tillsyn/{inbox.a.pk}/").status_code == 404


def test_due_supervision_is_shown_and_reminded_once(world, inbox, django_capture_on_commit_callbacks):
    client = login(Client(), world.kom_a)
    assert "Tillsyn att göra" not in client.get("/inkorg/").content.decode()  # a new account has a week
    later = timezone.now() + timedelta(days=8)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_supervision_reminders(now=later) == 2  # both accounts
        assert send_supervision_reminders(now=later) == 0
    assert SupervisionReminder.objects.count() == 2
    assert any("tillsyn" in m.subject for m in mail.outbox)
    from insyn.registry.models import Account

    Account.objects.filter(pk=inbox.a.pk).update(created_at=timezone.now() - timedelta(days=8))
    html = client.get("/inkorg/").content.decode()
    assert "Tillsyn att göra" in html and inbox.a.name in html
    actions.record_supervision(world.kom_a, inbox.a, items_from=timezone.now() - timedelta(days=8),
                               items_to=timezone.now())
    assert "Tillsyn att göra" not in client.get("/inkorg/").content.decode()
    assert client.get("/inkorg/tillsyn/").status_code == 200


def test_the_command_runs_one_round(world, inbox):
    items = capture(inbox.a, post(author_id="page1"), comment("c1", "Fråga?"))
    triage(items[1], needs_answer=True)
    call_command("inbox", "run")
    assert Case.objects.count() == 1


def test_real_triage_then_the_worker_step_opens_cases(world, inbox):
    from insyn.archive.triage_step import triage_pending
    from insyn.inbox.tasks import worker_step

    items = capture(inbox.a, post(author_id="page1"), comment("c1", "När töms soporna i mellandagarna?"))
    triage_pending()  # what the worker loop does before its inbox step
    assert worker_step(force=True) >= 1
    assert Case.objects.filter(item=items[1]).exists()
