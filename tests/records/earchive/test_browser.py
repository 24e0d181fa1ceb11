"""The e-archive pages in Chromium: every page passes axe-core; an arkivarie orders a package,
reads the report, and sees a download only for a valid package (run by `make test-browser`)."""

from __future__ import annotations

import pytest

from insyn.records.earchive import actions
from insyn.records.earchive.models import Delivery
from tests.browser.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_arkivarie_orders_a_delivery_and_reads_the_report(page, axe, world, arkivarie, small_archive):
    log_in(page, "arkivarie")
    page.get_by_role("link", name="E-arkiv").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Beställ en leverans").click()
    assert_accessible(axe, page)
    page.get_by_label("Till och med (valfritt)").fill("2026-03-01")
    page.get_by_label("Från och med (valfritt)").fill("2026-03-31")
    page.get_by_role("button", name="Bygg paketet").click()
    assert page.locator(".error-summary").is_visible()
    assert_accessible(axe, page)
    page.get_by_label("Konto").select_option(str(small_archive["account"].pk))
    page.get_by_label("Från och med (valfritt)").fill("2026-03-01")
    page.get_by_label("Till och med (valfritt)").fill("2026-03-31")
    page.get_by_label("BagIt").check()
    page.get_by_role("button", name="Bygg paketet").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    delivery = Delivery.objects.get()
    assert delivery.format == "bagit"
    actions.build_delivery(delivery)   # what the worker does
    page.reload()
    assert_accessible(axe, page)
    assert page.get_by_role("link", name=f"Hämta {delivery.objid}.zip").is_visible()
    assert page.get_by_text("BagIt (RFC 8493)").first.is_visible()
    page.get_by_role("link", name="Alla leveranser").click()
    assert_accessible(axe, page)
