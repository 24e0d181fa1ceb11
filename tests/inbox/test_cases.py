"""Opening cases after triage: which items, deadlines, edits, idempotency, unit scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from insyn.eventlog import log
from insyn.eventlog.models import Event
from insyn.inbox.models import Case, CaseEvent, CaseState
from insyn.inbox.sweeps import open_cases_pending
from insyn.registry.models import Organisation
from tests.inbox.conftest import capture, comment, message, open_case, post, triage


def test_a_question_opens_one_case_with_a_deadline(inbox):
    case = open_case(inbox.a)
    assert case.state == CaseState.NY and case.needs_answer and case.topic == "kultur_fritid"
    assert case.due_at > case.received_at and case.reminder_at < case.due_at
    assert case.response_rule == "next_working_day_end"
    assert list(case.events.values_list("kind", flat=True)) == [CaseEvent.Kind.OPENED]
    assert Event.objects.filter(kind="inbox.case_opened", object_id=str(case.pk)).exists()
    assert open_cases_pending() == 0  # idempotent
    assert Case.objects.count() == 1
    assert log.verify().ok


def test_what_needs_attention_and_what_does_not(inbox):
    items = capture(inbox.a, post(author_id="page1"),
                    comment("praise", "Så fint!"), comment("spam", "Köp billiga klockor"),
                    comment("pnr", "Mitt nummer 070-123 45 67"), comment("wrong", "Mitt pass?"),
                    message("m1", "Hej, en fråga om bygglov"))
    by_pid = {i.platform_id: i for i in items}
    triage(by_pid["praise"])
    triage(by_pid["spam"], moderation=["spam"])
    triage(by_pid["pnr"], sensitive=["telefon"])
    triage(by_pid["wrong"], wrong_authority="Polisen")
    triage(by_pid["m1"])  # a direct message always opens a case (R17)
    assert open_cases_pending() == 4
    opened = set(Case.objects.values_list("item__platform_id", flat=True))
    assert opened == {"spam", "pnr", "wrong", "m1"}
    labels = {c.item.platform_id: c.labels.split() for c in Case.objects.select_related("item")}
    assert labels["spam"] == ["spam"] and labels["pnr"] == ["telefon"]
    assert labels["wrong"] == ["fel_myndighet"] and labels["m1"] == ["meddelande"]


def test_an_edit_updates_the_case_instead_of_opening_another(inbox):
    case = open_case(inbox.a, "När öppnar simskolan?")
    edited = comment("c1", "När öppnar simskolan? Ring mig på 070-123 45 67",
                     edited_at=timezone.now() + timedelta(minutes=1))
    [item] = capture(inbox.a, edited)
    triage(item, needs_answer=True, topic="kultur_fritid", sensitive=["telefon"])
    assert open_cases_pending() == 1
    assert Case.objects.count() == 1
    case.refresh_from_db()
    assert case.version.number == 2 and "telefon" in case.labels
    assert case.events.filter(kind=CaseEvent.Kind.UPDATED, data__added=["telefon"]).exists()


def test_an_edit_that_adds_a_threat_reopens_a_closed_case(world, inbox):
    from insyn.inbox import actions

    case = open_case(inbox.a, "Bra jobbat")
    actions.close_no_action(world.kom_a, case)
    [item] = capture(inbox.a, comment("c1", "Bra jobbat, jag vet var du bor", edited_at=timezone.now() + timedelta(minutes=1)))
    triage(item, moderation=["olaga_hot"])
    open_cases_pending()
    case.refresh_from_db()
    assert case.state == CaseState.NY and case.closed_at is None
    assert case.events.filter(kind=CaseEvent.Kind.REOPENED).exists()


def test_own_posts_and_old_material_open_no_case(inbox):
    long_ago = timezone.now() - timedelta(days=400)
    items = capture(inbox.a, post(author_id="page1"), comment("old", "Fråga från förr?", when=long_ago))
    triage(items[1], needs_answer=True)
    assert open_cases_pending() == 0


def test_crisis_mode_caps_the_deadline(world, inbox):
    Organisation.objects.filter(pk=world.org.pk).update(crisis_mode=True)
    saturday = datetime(2026, 6, 20, 10, 0, tzinfo=UTC)  # 12:00 in Stockholm
    items = capture(inbox.a, post(author_id="page1", when=saturday), comment("c", "Hjälp?", when=saturday),
                    at=saturday)
    triage(items[1], needs_answer=True)
    open_cases_pending(now=saturday + timedelta(minutes=1))
    case = Case.objects.get()
    assert case.crisis and case.response_rule == "crisis_two_hours"
    assert case.due_at == saturday + timedelta(hours=2)


def test_normal_deadline_is_next_working_day_at_five(inbox):
    friday = datetime(2026, 6, 19, 8, 0, tzinfo=UTC)  # midsommarafton: due the Monday after
    items = capture(inbox.a, post(author_id="page1", when=friday), comment("c", "Öppet?", when=friday), at=friday)
    triage(items[1], needs_answer=True)
    open_cases_pending(now=friday)
    case = Case.objects.get()
    assert timezone.localtime(case.due_at).isoformat() == "2026-06-22T17:00:00+02:00"


def test_visible_to_follows_units_and_forwarding(world, inbox):
    a = open_case(inbox.a)
    b = open_case(inbox.b, pid="s1", post_id="q1")
    assert set(Case.objects.visible_to(world.kom_a)) == {a}
    assert set(Case.objects.visible_to(world.kom_b)) == {b}
    assert set(Case.objects.visible_to(world.samordnare)) == {a, b}
    assert set(Case.objects.visible_to(world.outsider)) == set()
    Case.objects.filter(pk=b.pk).update(forwarded_to_unit=world.unit_a1)
    assert set(Case.objects.visible_to(world.handlaggare)) == {b}  # unit_a1 is below unit_a


def test_turning_crisis_mode_on_and_off_moves_open_deadlines(world, inbox):
    from django.test import Client
    from django.utils import timezone

    from tests.conftest import login

    # Arrived an hour ago: normally due 17:00 on the next working day, in crisis two hours on.
    case = open_case(inbox.a, at=timezone.now() - timedelta(hours=1))
    ordinary = case.due_at
    assert login(Client(), world.kom_a).post("/krislage/", {"on": "1"}).status_code == 403
    response = login(Client(), world.samordnare).post("/krislage/", {"on": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.crisis and case.due_at < ordinary and case.response_rule == "crisis_two_hours"
    assert case.events.filter(kind="note", note__icontains="krisläge").exists()
    login(Client(), world.samordnare).post("/krislage/", {"on": "0"})
    case.refresh_from_db()
    assert not case.crisis and case.due_at == ordinary
