"""The archive's own pages respect a move to the diarium (R26)."""

from __future__ import annotations

import pytest
from django.test import Client

from insyn.eventlog.models import Event
from insyn.inbox.models import Restriction
from tests.conftest import login
from tests.inbox.conftest import open_case

SECRET = "Mitt personnummer är 811218-9876, hjälp mig med mitt ärende"


@pytest.fixture
def restricted(world, inbox):
    case = open_case(inbox.a, SECRET, labels={"sensitive": ["personnummer"]})
    open_case(inbox.a, "En vanlig fråga i samma tråd?", pid="c2")
    Restriction.objects.create(item=case.item, case=case, diarienummer="KS 2026/1", sekretess=True,
                               handler=world.handlaggare, created_by=world.kom_a)
    return case.item


def test_item_page_and_raw_payload(world, restricted):
    kom = login(Client(), world.kom_a)
    assert kom.get(f"/arkiv/{restricted.pk}/").status_code == 403
    assert kom.get(f"/arkiv/radata/{restricted.first_raw_id}/").status_code == 403
    sibling = restricted.account.items.get(platform_id="c2")
    page = kom.get(f"/arkiv/{sibling.pk}/").content.decode()
    assert "En vanlig fråga" in page and "811218-9876" not in page
    registrator = login(Client(), world.registrator)
    assert "811218-9876" in registrator.get(f"/arkiv/{restricted.pk}/").content.decode()
    assert Event.objects.filter(kind="inbox.restricted_read", actor=world.registrator).exists()


def test_search_does_not_reveal_it(world, restricted):
    from insyn.archive import apply

    apply._reindex([restricted])
    assert "811218" not in login(Client(), world.kom_a).get("/arkiv/?q=personnummer").content.decode()
    assert "811218" in login(Client(), world.registrator).get("/arkiv/?q=personnummer").content.decode()
