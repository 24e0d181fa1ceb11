"""The imports page in Chromium: passes axe-core, the error list opens."""

from __future__ import annotations

import pytest

from insyn.capture.imports.actions import run_import
from tests.browser.conftest import assert_accessible, log_in

from ..conftest import FIXTURES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_granskare_reads_the_imports_and_their_errors(page, axe, world, x_account):
    run_import("x-archive", str(FIXTURES / "x_archive" / "malformed"), x_account)
    log_in(page, "granskare")
    page.goto("/arkiv/importer/")
    assert page.get_by_role("heading", name="Importer").is_visible()
    assert_accessible(axe, page)
    page.get_by_text("2 fel").click()
    assert page.get_by_text("data/tweets.js, post 3").is_visible()
    assert_accessible(axe, page)
