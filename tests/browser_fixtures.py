"""Browser fixtures, registered once for the whole suite (tests/conftest.py) so every browser
test shares one Playwright session. Browser tests: Debian's Chromium driven by Playwright against the live test server.

They are marked `browser` and run by `make test-browser` (and .ci/run). A missing Chromium
is a failure, not a skip: CI must prove the pages work in a real browser.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("INSYN_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the browser
    # tests make here are still synchronous and safe. Only browser runs turn the check off.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def pass_two_factor():
    def run(page, user):
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user).first()
        page.get_by_label("Engångskod").fill(f"{totp(device.bin_key):06d}")
        page.get_by_role("button", name="Verifiera").click()
        page.wait_for_load_state()

    return run
