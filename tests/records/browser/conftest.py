"""The browser fixtures (Chromium, axe-core) for the records pages; see tests/browser/conftest.py."""

from tests.browser.conftest import axe, browser, page, pass_two_factor  # noqa: F401 (fixtures)
