"""The utlämnande and GDPR pages in Chromium: every page passes axe-core, and the main flow
works from registering a request to handing out (run by `make test-browser`)."""

from __future__ import annotations

import pytest

from insyn.records.utlamnande.models import Delivery, Request, RequestItem
from tests.browser.conftest import assert_accessible, log_in
from tests.records.utlamnande.conftest import PNR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_registrator_handles_a_request_from_registration_to_delivery(page, axe, world, items):
    log_in(page, "registrator")
    page.get_by_role("link", name="Utlämnande").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Registrera en begäran").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Registrera").click()          # nothing filled in
    page.locator(".error-summary").wait_for()
    assert page.get_by_text("Beskriv vilka handlingar som begärs.").first.is_visible()
    assert_accessible(axe, page)
    page.get_by_label("Vilka handlingar som begärs").fill("Kommentarer om snöröjning")
    page.get_by_label("Den som begär är anonym").check()
    page.get_by_role("button", name="Registrera").click()
    page.wait_for_load_state()
    req = Request.objects.get()
    assert_accessible(axe, page)

    page.get_by_role("link", name="Sök och välj poster").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.get_by_label("Sökord").fill("diabetes")
    page.get_by_role("button", name="Sök").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.locator(f"#item-{items['c1'].pk}").check()
    page.get_by_role("button", name="Lägg till valda poster").click()
    page.wait_for_load_state()
    assert req.items.count() == 1

    page.get_by_role("link", name=f"Pröva post #{items['c1'].pk}").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.get_by_label("Lämnas inte ut").check()
    page.get_by_role("button", name="Spara beslut för posten").click()
    page.locator(".error-summary").wait_for()
    assert_accessible(axe, page)
    page.get_by_label("Lämnas ut med maskering").check()
    page.get_by_role("button", name="Spara beslut för posten").click()
    page.wait_for_load_state()
    assert RequestItem.objects.get().decision == "lamnas_ut_maskerad"
    assert page.get_by_text("Så lämnas texten ut").is_visible()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Tillbaka till begäran").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Fatta beslut om begäran").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Ta fram och expediera").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    delivery = Delivery.objects.get()
    assert PNR not in bytes(delivery.documents_csv).decode("utf-8-sig")
    assert page.get_by_role("link", name="Handlingar (CSV)").is_visible()
    page.goto("/utlamnande/?visa=alla")
    assert_accessible(axe, page)


def test_gdpr_pages(page, axe, world, items, fb_account):
    log_in(page, "registrator")
    page.goto("/gdpr/")
    assert_accessible(axe, page)
    page.goto(f"/gdpr/registerforteckning/{fb_account.pk}/")
    assert_accessible(axe, page)
    page.goto("/gdpr/registerutdrag/")
    assert_accessible(axe, page)
    page.get_by_role("button", name="Ta fram utdrag").click()
    page.locator(".error-summary").wait_for()
    assert_accessible(axe, page)

    page.context.clear_cookies()
    log_in(page, "granskare")
    page.goto("/gdpr/loggsok/")
    assert_accessible(axe, page)
    page.get_by_label("Händelse (början av namnet, t.ex. records.)").fill("registry.")
    page.get_by_role("button", name="Sök").click()
    page.wait_for_load_state()
    page.get_by_text("(sökningen är loggad)").wait_for()
    assert_accessible(axe, page)
