"""The snapshot pages in Chromium: each passes axe-core; a kommunikatör orders a snapshot,
reviews and edits the summary of a generated one, and saves it."""

from __future__ import annotations

import pytest

from insyn.records.snapshots import actions
from insyn.records.snapshots.models import Snapshot
from tests.browser.conftest import assert_accessible, log_in
from tests.records.snapshots.conftest import END, START

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_kommunikator_orders_reviews_edits_and_saves_a_snapshot(page, axe, world, period_world):
    account = period_world["account"]
    generated = actions.start_snapshot(world.kom_a, account, period_start=START, period_end=END, enqueue=False)
    generated = actions.generate_snapshot(generated.pk, steps=("summary", "pdf", "warc"))
    log_in(page, "kom_a")
    page.get_by_role("link", name="Ögonblicksbilder").first.click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.get_by_role("link", name=account.name).click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    # A draft exists: ordering another is refused with a clear message.
    page.get_by_role("button", name="Ta ögonblicksbild nu").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()
    assert_accessible(axe, page)

    page.goto(f"/ogonblicksbilder/{generated.pk}/")
    assert_accessible(axe, page)
    page.get_by_label("Sammanfattning").fill("Granskad sammanfattning: badhuset öppnade igen.")
    page.get_by_role("button", name="Spara ändringar i sammanfattningen").click()
    page.wait_for_load_state()
    assert page.get_by_text("Sammanfattningen är ändrad.").is_visible()
    page.get_by_role("button", name="Spara", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Ögonblicksbilden är sparad och kan inte längre ändras.").is_visible()
    assert_accessible(axe, page)
    generated.refresh_from_db()
    assert generated.status == Snapshot.Status.SAVED
    assert generated.summary_text == "Granskad sammanfattning: badhuset öppnade igen."
