"""The whole matrix of people × register pages: nothing leaks across units.

Expected statuses are written out by hand (not computed by the code under test):
200 = allowed, 403 = may see the account but not do this, 404 = may not know it exists,
302 = sent to the login page.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import login

PEOPLE = ["samordnare", "kom_a", "kom_a2", "kom_b", "chef_a", "chef_b", "granskare", "registrator",
          "handlaggare", "outsider", "anonymous"]

# account in unit_a (KS), in unit_a1 (KS, below unit_a), in unit_b (SN)
VIEW = {
    "samordnare": (200, 200, 200), "kom_a": (200, 200, 404), "kom_a2": (404, 200, 404),
    "kom_b": (404, 404, 200), "chef_a": (200, 200, 404), "chef_b": (404, 404, 200),
    "granskare": (200, 200, 404), "registrator": (200, 200, 404), "handlaggare": (404, 200, 404),
    "outsider": (404, 404, 404), "anonymous": (302, 302, 302),
}
EDIT = {
    "samordnare": (200, 200, 200), "kom_a": (200, 200, 404), "kom_a2": (404, 200, 404),
    "kom_b": (404, 404, 200), "chef_a": (200, 200, 404), "chef_b": (404, 404, 200),
    "granskare": (403, 403, 404), "registrator": (403, 403, 404), "handlaggare": (404, 403, 404),
    "outsider": (404, 404, 404), "anonymous": (302, 302, 302),
}
DECIDE = {
    "samordnare": (200, 200, 200), "kom_a": (403, 403, 404), "kom_a2": (404, 403, 404),
    "kom_b": (404, 404, 403), "chef_a": (200, 200, 404), "chef_b": (404, 404, 200),
    "granskare": (403, 403, 404), "registrator": (403, 403, 404), "handlaggare": (404, 403, 404),
    "outsider": (404, 404, 404), "anonymous": (302, 302, 302),
}
EVENTLOG = {"samordnare": 200, "granskare": 200, "anonymous": 302}


@pytest.fixture
def accounts(world, make_account):
    a = make_account(name="Konto A", handle="kontoa", url="https://www.facebook.com/kontoa")
    a1 = make_account(actor=world.kom_a2, unit=world.unit_a1, name="Konto A1", handle="kontoa1",
                      url="https://www.facebook.com/kontoa1", responsible=world.kom_a2,
                      administrators=[world.kom_a2, world.handlaggare])
    b = make_account(actor=world.kom_b, unit=world.unit_b, name="Konto B", handle="kontob",
                     url="https://www.facebook.com/kontob", responsible=world.kom_b,
                     administrators=[world.kom_b, world.chef_b], confidential_justification="Motiverat")
    return a, a1, b


def _client(world, who):
    client = Client()
    return client if who == "anonymous" else login(client, world.people[who])


@pytest.mark.parametrize("who", PEOPLE)
def test_account_pages_by_role(world, accounts, who):
    client = _client(world, who)
    for table, suffix in ((VIEW, ""), (EDIT, "andra/"), (DECIDE, "beslut/")):
        got = tuple(client.get(f"/register/{acc.pk}/{suffix}").status_code for acc in accounts)
        assert got == table[who], f"{who} /register/<pk>/{suffix}: {got} != {table[who]}"


@pytest.mark.parametrize("who", PEOPLE)
def test_posting_actions_respects_units(world, accounts, who):
    client = _client(world, who)
    for acc, expected in zip(accounts, EDIT[who], strict=True):
        response = client.post(f"/register/{acc.pk}/avsandare/", {"logo_shown": "on", "unit_shown": "on"})
        want = 302 if expected == 200 else expected
        assert response.status_code == want, (who, acc.name, response.status_code)
        acc.refresh_from_db()
        assert acc.logo_shown == (expected == 200), (who, acc.name)
        acc.logo_shown = False
        acc.save(update_fields=["logo_shown"])


@pytest.mark.parametrize("who", PEOPLE)
def test_register_list_shows_only_visible_accounts(world, accounts, who):
    response = _client(world, who).get("/register/")
    if who == "anonymous":
        assert response.status_code == 302
        return
    content = response.content.decode()
    shown = tuple(f">{acc.name}</a>" in content for acc in accounts)
    assert shown == tuple(code == 200 for code in VIEW[who])


@pytest.mark.parametrize("who", PEOPLE)
def test_eventlog_only_for_samordnare_and_granskare(world, accounts, who):
    assert _client(world, who).get("/handelselogg/").status_code == EVENTLOG.get(who, 403)


@pytest.mark.parametrize("who", PEOPLE)
def test_export_contains_only_visible_accounts(world, accounts, who):
    response = _client(world, who).get(f"/register/export/{world.ks.pk}.csv")
    visible_ks = [acc.name for acc, code in zip(accounts[:2], VIEW[who][:2], strict=True) if code == 200]
    if who == "anonymous":
        assert response.status_code == 302
    elif not visible_ks:
        assert response.status_code == 404
    else:
        body = response.content.decode("utf-8-sig")
        assert response.status_code == 200
        assert all(name in body for name in visible_ks)
        assert "Konto B" not in body
        assert ("Konto A1" in body) == ("Konto A1" in visible_ks) and (",Konto A," in body) == ("Konto A" in visible_ks)


@pytest.mark.parametrize("who", PEOPLE)
def test_admin_is_for_superusers_only(world, who):
    response = _client(world, who).get("/admin/registry/account/")
    assert response.status_code == 302  # to the admin login: nobody here is staff
