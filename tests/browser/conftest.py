"""Helpers for the browser tests; the fixtures (browser, page, axe, pass_two_factor) live in
tests/browser_fixtures.py and are registered once for the whole suite."""

from __future__ import annotations


def assert_accessible(axe, page):
    results = axe.run(page)
    violations = results.response["violations"]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )
    assert not violations, f"axe-core violations on {page.url}:\n{details}"


def log_in(page, username, password="korrekt-hast-batteri"):
    page.goto("/konto/logga-in/")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


