"""The records pages in a real browser; fixtures come from tests/browser_fixtures.py."""
