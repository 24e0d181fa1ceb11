"""A newcomer's path through the register in a real browser, with axe-core on every page."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_open_an_account_through_the_whole_workflow(page, axe, world, pass_two_factor):
    from insyn.registry.models import Account

    page.goto("/konton/")
    assert_accessible(axe, page)
    log_in(page, "kom_a")
    assert_accessible(axe, page)
    page.get_by_role("link", name="Förteckning", exact=True).click()
    assert_accessible(axe, page)
    page.get_by_role("link", name="Anmäl ett nytt konto").first.click()
    assert_accessible(axe, page)

    # A first try with the wrong address shows the errors in Swedish, accessibly.
    page.get_by_label("Ansvarig enhet", exact=True).select_option(label="Kommunstyrelsen › Kommunikation")
    page.get_by_label("Plattform", exact=True).select_option("instagram")
    page.get_by_label("Namn på kontot", exact=True).fill("Kommunen på Instagram")
    page.get_by_label("Användarnamn/handle", exact=True).fill("kommunen")
    page.get_by_label("Adress (URL)", exact=True).fill("https://www.facebook.com/kommunen")
    page.get_by_label("Syfte", exact=True).fill("Visa vardagen i kommunen")
    page.get_by_label("Målgrupp", exact=True).fill("Unga vuxna")
    page.get_by_label("Budskap", exact=True).fill("Här händer det")
    page.get_by_label("Ansvarig person", exact=True).select_option(label="Kom_A Test (kom_a)")
    page.get_by_label("Kom_A Test (kom_a)").last.check()
    page.get_by_label("Kom_A2 Test (kom_a2)").check()
    page.get_by_role("button", name="Spara").click()
    assert page.get_by_text("Kontot sparades inte").is_visible()
    assert page.get_by_text("Adressen hör inte till Instagram").first.is_visible()
    assert_accessible(axe, page)

    page.get_by_label("Adress (URL)", exact=True).fill("https://www.instagram.com/kommunen")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url(re.compile(r"/register/\d+/$"))
    assert page.get_by_text("anmält till förteckningen").is_visible()
    assert_accessible(axe, page)
    account_url = page.url

    # The manager records the decisions: beslutat, then aktivt.
    page.get_by_role("button", name="Logga ut").click()
    log_in(page, "chef_a")
    for status in ("Beslutat", "Aktivt"):
        page.goto(account_url + "beslut/")
        assert_accessible(axe, page)
        page.get_by_label("Ny status", exact=True).select_option(label=status)
        page.get_by_label("Beslut fattat av (chef)", exact=True).select_option(label="Chef_A Test")
        page.get_by_label("Beslutsdatum", exact=True).fill("2026-01-15")
        page.get_by_label("Chefens uppdrag", exact=True).fill("Kom_A får uppdraget av enhetschefen")
        page.get_by_label("Förankring i ledningen", exact=True).fill("Förvaltningsledningen 2026-01-14 § 3")
        page.get_by_role("button", name="Registrera beslutet").click()
        page.wait_for_url(account_url)
    assert Account.objects.get().status == "aktivt"

    page.goto("/konton/")
    assert page.get_by_role("link", name="Kommunen på Instagram").is_visible()


def test_pages_for_every_role_pass_axe(page, axe, world, make_account, pass_two_factor):
    account = make_account(status="avvecklas")
    for who, paths in {
        "kom_a": ["/", "/register/", f"/register/{account.pk}/", f"/register/{account.pk}/andra/",
                  f"/register/{account.pk}/avsked/", "/riktlinjer/"],
        "chef_a": [f"/register/{account.pk}/beslut/"],
        "granskare": ["/handelselogg/"],
    }.items():
        log_in(page, who)
        for path in paths:
            page.goto(path)
            assert page.locator("h1").count() == 1, path
            assert_accessible(axe, page)
        page.get_by_role("button", name="Logga ut").click()
    log_in(page, "samordnare")
    assert "/konto/tvafaktor/" in page.url
    assert_accessible(axe, page)
    pass_two_factor(page, world.samordnare)
    page.goto("/register/")
    assert page.get_by_role("heading", name="Förteckning över konton").is_visible()
    for path in ("/konto/logga-in/", "/finns-inte/"):
        page.goto(path)
        assert_accessible(axe, page)


def test_keyboard_only_use(page, world, make_account):
    make_account(status="aktivt", name="Tangentbordskontot")
    page.goto("/konto/logga-in/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.locator("#id_username").focus()
    page.keyboard.type("kom_a")
    page.keyboard.press("Tab")
    page.keyboard.type("korrekt-hast-batteri")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/konto/logga-in/" not in url)
    page.wait_for_load_state()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    assert page.evaluate("document.activeElement.id") == "main"
    # Tab through the page until the account link has focus, then follow it with Enter.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Tangentbordskontot":
            break
    else:
        pytest.fail("the account link was never reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/register/\d+/$"))


def test_user_text_is_shown_as_text(page, world, make_account):
    account = make_account(purpose='<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>')
    log_in(page, "kom_a")
    page.goto(f"/register/{account.pk}/")
    assert page.get_by_text("<script>window.__pwned=2</script>", exact=False).is_visible()
    assert page.evaluate("window.__pwned === undefined")
