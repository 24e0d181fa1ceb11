"""The diarium and gallring pages in Chromium: every page passes axe-core; the main flows work
(run by `make test-browser`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from insyn.archive.models import Item
from insyn.records import actions
from insyn.records.models import GallringRun, Registration
from tests.browser.conftest import assert_accessible, log_in
from tests.records.conftest import feed, normalized

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD = datetime(2023, 1, 10, 9, 0, tzinfo=UTC)


def test_registrator_registers_a_secret_message_and_reads_it(page, axe, world, fb_account):
    feed(fb_account, normalized("m1", "Jag har frågor om min pappas hemtjänst", kind="message", thread="t1",
                                author="Maja Ek"))
    item = Item.objects.get(platform_id="m1")
    actions.register_document(world.registrator, authority=world.ks, received_or_drawn_up=date(2026, 3, 1),
                              counterpart="Bo Berg", subject="Synpunkt på parkering", sekretess=False)
    log_in(page, "registrator")
    page.goto("/diarium/")
    assert_accessible(axe, page)
    page.get_by_role("link", name="Registrera en handling").click()
    assert_accessible(axe, page)
    page.get_by_label("Postens nummer i arkivet").fill(str(item.pk))
    page.get_by_role("button", name="Fortsätt").click()
    assert_accessible(axe, page)
    # Submitting with sekretess but no provision shows the error summary.
    page.get_by_label("Vad handlingen rör (ärendemening)").fill("Frågor om pappans hemtjänst")
    page.get_by_label("Handlingen innehåller uppgifter som omfattas av sekretess").check()
    page.get_by_label("Sekretessbestämmelse").fill("")
    page.get_by_role("button", name="Registrera").click()
    assert page.locator(".error-summary").is_visible()
    assert_accessible(axe, page)
    page.get_by_label("Sekretessbestämmelse").fill("OSL 26 kap. 1 §")
    page.get_by_role("button", name="Registrera").click()
    page.wait_for_load_state()
    reg = Registration.objects.get(item=item)
    assert reg.sekretess and reg.protected_subject == "Frågor om pappans hemtjänst"
    assert_accessible(axe, page)
    assert page.get_by_text("Meddelande via Facebook – sekretess enligt OSL 26 kap. 1 §").first.is_visible()
    page.get_by_role("link", name="Visa skyddade uppgifter och handlingen").click()
    assert_accessible(axe, page)
    assert page.get_by_text("Frågor om pappans hemtjänst").first.is_visible()


def test_arkivarie_records_a_decision_previews_and_runs_gallring(page, axe, world, arkivarie, fb_account):
    feed(fb_account, normalized("c1", "Gammal kommentar om vägarbetet"), when=OLD)
    log_in(page, "arkivarie")
    page.get_by_role("link", name="Gallring").click()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Registrera gallringsbeslut").click()
    assert_accessible(axe, page)
    page.get_by_role("button", name="Registrera beslutet").click()
    assert page.locator(".error-summary").is_visible()
    assert_accessible(axe, page)
    page.get_by_label("Beslutets diarienummer och paragraf").fill("KS 2025/14 § 37")
    page.get_by_label("Beslutat av").fill("Kommunstyrelsen")
    page.get_by_label("Beslutsdatum").fill("2025-02-01")
    page.get_by_label("Kommunstyrelsen").check()
    page.get_by_label("Kommentarer av tillfällig eller ringa betydelse (2 år)").check()
    page.get_by_role("button", name="Registrera beslutet").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Förhandsgranska gallring").click()
    assert_accessible(axe, page)
    assert page.get_by_text("1 post gallras").is_visible()
    page.get_by_label("Jag har granskat förhandsvisningen. Gallringen kan inte ångras.").check()
    page.get_by_role("button", name="Gallra nu").click()
    page.wait_for_load_state()
    assert_accessible(axe, page)
    from insyn.records.tasks import run_gallring_task

    run_gallring_task.call(GallringRun.objects.get().pk)
    page.reload()
    assert_accessible(axe, page)
    page.goto("/gallring/logg/")
    assert_accessible(axe, page)
    page.goto("/gallring/sparr/ny/")
    assert_accessible(axe, page)
    page.goto(f"/diarium/post/{Item.objects.get(platform_id='c1').pk}/")
    assert_accessible(axe, page)
    assert Item.objects.get(platform_id="c1").text == ""
