"""The inbox in a real browser against the simulator: answer (with a template and from the
keyboard), forward and draft, moderate, and move to the diarium; axe-core on every page."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible, log_in
from tests.inbox import conftest as inbox_fixtures
from tests.inbox.conftest import fb_case

# The simulator and the fast platform seam, shared with tests/inbox.
sim = inbox_fixtures.sim
fast_http = inbox_fixtures.fast_http

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Hej, mitt personnummer är 811218-9876 och min son får inget stöd från socialtjänsten?"


@pytest.fixture
def cases(sim, fast_http):
    from insyn.inbox.actions import set_route
    from insyn.registry.models import User

    question = fb_case(sim, "Hej! När öppnar simhallen igen efter renoveringen?")
    forwarded = fb_case(sim, "Hur söker jag bygglov för ett attefallshus?", author="Per Persson",
                        labels={"needs_answer": True, "topic": "bygglov_plan"})
    attack = fb_case(sim, "Kalle på tekniska är en idiot och borde sparkas", author="Arg Person",
                     labels={"moderation": ["personangrepp_fortal"]})
    secret = fb_case(sim, SECRET, author="Olle Berg",
                     labels={"needs_answer": True, "sensitive": ["personnummer", "socialtjanst_arende"]})
    set_route(User.objects.get(username="samordnare"), topic="bygglov_plan",
              unit=forwarded.account.unit.children.get(), handler=User.objects.get(username="handlaggare"))
    return question, forwarded, attack, secret


def test_answer_forward_moderate_and_move_to_the_diarium(page, axe, world, sim, cases):
    from insyn.inbox.models import Case
    from insyn.records.models import Registration

    question, forwarded, attack, secret = cases
    log_in(page, "kom_a")
    page.get_by_role("link", name="Inkorg", exact=True).click()
    page.wait_for_url(re.compile(r"/inkorg/$"))
    assert page.get_by_text("simhallen igen").is_visible()
    assert_accessible(axe, page)

    # Answer from the keyboard: j moves to the first case, a opens its answer form.
    page.locator("body").press("j")
    page.locator("body").press("a")
    page.wait_for_url(re.compile(r"/inkorg/\d+/svara/$"))
    assert_accessible(axe, page)
    answered = Case.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))
    page.get_by_label("Mall", exact=True).select_option(label="Vi återkommer")
    text = page.get_by_label("Svar", exact=True).input_value()
    first_name = answered.item.author_name.split()[0]
    assert text.startswith(f"Hej {first_name}! Tack för din fråga.")
    page.get_by_role("button", name="Publicera svaret").click()
    page.wait_for_url(re.compile(r"/inkorg/$"))
    assert page.get_by_text("Svaret är publicerat").is_visible()
    assert_accessible(axe, page)
    assert len(sim.page_comments(text)) == 1

    # Forward to the handläggare by the routing table; the handläggare drafts, we publish.
    page.goto(f"/inkorg/{forwarded.pk}/")
    assert_accessible(axe, page)
    page.get_by_role("link", name="Vidarebefordra").click()
    assert_accessible(axe, page)
    page.get_by_label("Meddelande till handläggaren").fill("Kan du svara om attefallshus?")
    page.get_by_role("button", name="Vidarebefordra").click()
    page.wait_for_url(re.compile(r"/inkorg/$"))
    assert page.get_by_text("Frågan är vidarebefordrad").is_visible()
    page.get_by_role("button", name="Logga ut").click()
    log_in(page, "handlaggare")
    page.goto(f"/inkorg/{forwarded.pk}/")
    assert_accessible(axe, page)
    page.get_by_role("textbox", name="Utkast till svar").fill("Hej Per! Ett attefallshus kräver en anmälan, inte bygglov.")
    page.get_by_role("button", name="Spara utkastet").click()
    assert page.get_by_text("Utkastet är sparat").is_visible()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Logga ut").click()
    log_in(page, "kom_a")
    page.goto(f"/inkorg/{forwarded.pk}/svara/")
    assert page.get_by_label("Svar", exact=True).input_value().startswith("Hej Per! Ett attefallshus")
    page.get_by_role("button", name="Publicera svaret").click()
    page.wait_for_url(re.compile(r"/inkorg/$"))
    assert len(sim.page_comments("Hej Per! Ett attefallshus kräver en anmälan, inte bygglov.")) == 1

    # Moderate: the recommendation not to answer, then removal with a legal basis.
    page.goto(f"/inkorg/{attack.pk}/")
    assert page.get_by_text("rekommenderar att inte svara").is_visible()
    page.get_by_role("link", name="Dölj eller ta bort").click()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Genomför").click()  # no legal basis: refused
    assert page.get_by_text("Inlägget doldes inte").is_visible()  # hiding is the default choice
    assert_accessible(axe, page)
    page.get_by_label("Ta bort inlägget").check()
    page.get_by_label("Rättslig grund").select_option("personangrepp_fortal")
    page.get_by_role("button", name="Genomför").click()
    page.wait_for_url(re.compile(r"/inkorg/$"))
    assert page.get_by_text("borttaget från plattformen").is_visible()
    assert sim.world.comments[attack.item.platform_id].deleted_at is not None

    # Move to the diarium.
    page.goto(f"/inkorg/{secret.pk}/")
    page.get_by_role("link", name="Flytta till diariet").click()
    assert_accessible(axe, page)
    page.get_by_label("Sekretessbestämmelse (OSL)").fill("OSL 26 kap. 1 §")
    page.get_by_label("Handläggare", exact=True).select_option(label="Handlaggare Test (handlaggare)")
    page.get_by_role("button", name="Flytta till diariet").click()
    page.wait_for_url(re.compile(r"/inkorg/$"))
    registration = Registration.objects.get(item=secret.item)
    assert page.get_by_text(registration.diarienummer).first.is_visible()
    assert sim.world.comments[secret.item.platform_id].deleted_at is not None
    page.goto(f"/inkorg/{secret.pk}/")
    assert page.get_by_text("811218-9876").count() == 0
    assert_accessible(axe, page)

    # The other inbox pages.
    for url in ("/inkorg/tillsyn/", f"/inkorg/tillsyn/{question.account.pk}/", "/inkorg/?status=alla"):
        page.goto(url)
        assert_accessible(axe, page)


def test_the_list_updates_itself(page, axe, world, sim, cases):
    from insyn.capture import actions as capture_actions
    from insyn.capture.models import Connection
    from insyn.inbox.sweeps import open_cases_pending
    from tests.inbox.conftest import triage

    log_in(page, "kom_a")
    page.goto("/inkorg/")
    page.get_by_label("Välj ärende", exact=False).first.check()
    post = sim.act("post", page_id=sim.page_id, message="Nytt inlägg")
    new = sim.act("comment", object_id=post["id"], from_name="Ny Person", message="Helt ny fråga om biblioteket?")
    capture_actions.poll(Connection.objects.get(account=sim.fb), full=False)
    from insyn.archive.models import Item

    triage(Item.objects.get(platform_id=new["id"]), needs_answer=True)
    open_cases_pending()
    page.get_by_text("Helt ny fråga om biblioteket?").wait_for(timeout=15000)
    assert page.get_by_label("Välj ärende", exact=False).first.is_checked()  # kept across the update
    assert "5 ärenden" in page.locator("#case-count").inner_text()
    assert_accessible(axe, page)
