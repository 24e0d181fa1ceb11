"""The archive in a real browser: a hostile comment is shown as text, pages pass axe-core."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from insyn.archive import apply as archive_apply
from insyn.archive.models import Item
from insyn.capture.actions import record_raw
from insyn.capture.platforms.base import Normalised, NormalizedItem
from tests.browser.conftest import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_script_in_a_comment_is_shown_as_text(page, axe, world, make_account):
    account = make_account(status="aktivt", external_id="77")
    raw = record_raw(account=account, platform="facebook_page", source="poll", body=b"{}",
                     received_at=datetime(2026, 11, 2, tzinfo=UTC))
    t = datetime(2026, 11, 2, tzinfo=UTC)
    archive_apply.apply(raw, Normalised(items=[
        NormalizedItem(platform_id="p", kind="post", direction="upprattad", record_type="own_post",
                       text="Välkommen till julmarknaden!", author_id="k", author_name="Kommunen", created_at=t,
                       thread_platform_id="p"),
        NormalizedItem(platform_id="c", kind="comment", direction="inkommen", record_type="public_comment",
                       text='<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> julmarknad',
                       author_id="x", author_name="<b>Elak</b>", created_at=t, parent_platform_id="p",
                       thread_platform_id="p"),
    ]))
    log_in(page, "kom_a")
    page.goto("/arkiv/?q=julmarknad")
    assert_accessible(axe, page)
    item = Item.objects.get(platform_id="c")
    page.goto(f"/arkiv/{item.pk}/")
    assert_accessible(axe, page)
    assert page.get_by_text("<script>window.__pwned=1</script>", exact=False).first.is_visible()
    assert page.get_by_text("<b>Elak</b>", exact=False).first.is_visible()
    assert page.evaluate("window.__pwned === undefined")
    page.get_by_role("link", name="Visa det mottagna innehållet").click()
    assert_accessible(axe, page)
    assert page.evaluate("window.__pwned === undefined")
