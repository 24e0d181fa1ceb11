"""Inbox pages over HTTP: the list with filters and live partial, the case page, unit scoping,
keyboard and bulk actions."""

from __future__ import annotations

from django.test import Client

from insyn.inbox.models import Case, CaseState
from tests.conftest import login
from tests.inbox.conftest import open_case


def test_inbox_lists_open_cases_sorted_by_deadline(world, inbox):
    first = open_case(inbox.a, "Första frågan?", pid="c1")
    second = open_case(inbox.a, "Andra frågan?", pid="c2", post_id="p2")
    Case.objects.filter(pk=second.pk).update(due_at=first.due_at.replace(year=first.due_at.year - 1))
    client = login(Client(), world.kom_a)
    page = client.get("/inkorg/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Andra frågan?") < html.index("Första frågan?")
    assert 'hx-trigger="every 10s"' in html


def test_the_live_partial_is_rows_only(world, inbox):
    open_case(inbox.a, "En fråga om badet?")
    client = login(Client(), world.kom_a)
    partial = client.get("/inkorg/", headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert "En fråga om badet?" in text and "<html" not in text and "rows-meta" in text


def test_filters(world, inbox):
    open_case(inbox.a, "Om simhallen?", pid="c1", labels={"needs_answer": True, "topic": "kultur_fritid"})
    open_case(inbox.a, "Ring 070-123 45 67", pid="c2", post_id="p2",
              labels={"sensitive": ["telefon"], "topic": "ovrigt"})
    client = login(Client(), world.kom_a)
    assert "Om simhallen?" not in client.get("/inkorg/?etikett=telefon").content.decode()
    assert "Ring 070" in client.get("/inkorg/?etikett=telefon").content.decode()
    assert "Ring 070" not in client.get("/inkorg/?amne=kultur_fritid").content.decode()
    assert "Om simhallen?" in client.get(f"/inkorg/?konto={inbox.a.pk}&enhet={world.unit_a.pk}").content.decode()
    assert "Om simhallen?" not in client.get("/inkorg/?status=besvarad").content.decode()


def test_other_units_cases_are_404(world, inbox):
    case = open_case(inbox.b, "Hemlig fråga?", pid="s1", post_id="q1")
    client = login(Client(), world.kom_a)
    assert "Hemlig fråga?" not in client.get("/inkorg/").content.decode()
    for url in ("", "svara/", "moderera/", "vidarebefordra/", "diarium/"):
        assert client.get(f"/inkorg/{case.pk}/{url}").status_code == 404
    assert client.post(f"/inkorg/{case.pk}/ingen-atgard/").status_code == 404
    assert login(Client(), world.kom_b).get(f"/inkorg/{case.pk}/").status_code == 200


def test_case_page_shows_thread_labels_and_evidence(world, inbox):
    case = open_case(inbox.a, "När öppnar simskolan?")
    page = login(Client(), world.kom_a).get(f"/inkorg/{case.pk}/")
    html = page.content.decode()
    assert "Nu öppnar det nya badhuset!" in html and "När öppnar simskolan?" in html
    assert "Behöver svar" in html and "question_mark" in html and 'data-shortcut="a"' in html


def test_a_reader_cannot_act(world, inbox):
    case = open_case(inbox.a)
    client = login(Client(), world.granskare)
    assert client.get(f"/inkorg/{case.pk}/").status_code == 200
    assert client.get(f"/inkorg/{case.pk}/svara/").status_code == 403
    assert client.post(f"/inkorg/{case.pk}/ingen-atgard/").status_code == 403


def test_bulk_assign_and_no_action(world, inbox):
    c1 = open_case(inbox.a, "Ett?", pid="c1")
    c2 = open_case(inbox.a, "Två?", pid="c2", post_id="p2")
    other = open_case(inbox.b, "Tre?", pid="s1", post_id="q1")
    client = login(Client(), world.kom_a)
    response = client.post("/inkorg/massatgard/", {"case": [c1.pk, c2.pk, other.pk], "op": "assign",
                                                   "assignee": world.chef_a.pk})
    assert response.status_code == 302
    c1.refresh_from_db(), c2.refresh_from_db(), other.refresh_from_db()
    assert c1.assignee == world.chef_a and c1.state == CaseState.TILLDELAD and c2.assignee == world.chef_a
    assert other.assignee is None  # not visible to kom_a: silently out of reach
    client.post("/inkorg/massatgard/", {"case": [c1.pk, c2.pk], "op": "no_action"})
    assert set(Case.objects.filter(pk__in=[c1.pk, c2.pk]).values_list("state", flat=True)) == {CaseState.INGEN_ATGARD}


def test_assign_and_no_action_from_the_case_page(world, inbox):
    case = open_case(inbox.a)
    client = login(Client(), world.kom_a)
    client.post(f"/inkorg/{case.pk}/tilldela/", {"assignee": world.kom_a.pk})
    case.refresh_from_db()
    assert case.assignee == world.kom_a
    assert client.post(f"/inkorg/{case.pk}/ingen-atgard/").status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.INGEN_ATGARD and case.closed_at
    assert case.decisions.get().needs_answer is False


def test_list_queries_do_not_grow_with_the_number_of_cases(world, inbox, django_assert_max_num_queries):
    for n in range(12):
        open_case(inbox.a, f"Fråga {n}?", pid=f"c{n}", post_id=f"p{n}")
    client = login(Client(), world.kom_a)
    client.get("/inkorg/")
    with django_assert_max_num_queries(20):
        client.get("/inkorg/", headers={"HX-Request": "true"})


def test_an_unacknowledged_person_is_sent_to_the_guidelines_and_nothing_changes(world, inbox):
    from insyn.registry.models import PolicyAcknowledgement

    case = open_case(inbox.a, "Hur gör jag?")
    PolicyAcknowledgement.objects.filter(user=world.kom_a).delete()
    client = login(Client(), world.kom_a)
    response = client.post(f"/inkorg/{case.pk}/ingen-atgard/", follow=True)
    assert response.redirect_chain[-1][0] == "/riktlinjer/"
    assert "bekräfta att du har läst de gällande riktlinjerna" in response.content.decode()
    case.refresh_from_db()
    assert case.is_open
