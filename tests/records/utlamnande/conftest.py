"""Fixtures for requests for records: archive items with triage, made through the real
capture path, and a registered request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from insyn.archive.models import Item
from insyn.archive.triage_step import triage_pending
from tests.records.conftest import feed, normalized

PNR = "811228-9874"
SENSITIVE = f"Min son har diabetes och bor på Storgatan 12, ring 070-123 45 67, pnr {PNR}."
WHEN = datetime.now(UTC) - timedelta(days=10)


@pytest.fixture
def items(world, fb_account):
    feed(fb_account, normalized("p1", "Välkommen till vår sida om snöröjning", kind="post", author="Kommunen"),
         normalized("c1", SENSITIVE, author="Maja Ek"),
         normalized("c2", "Snöröjningen på min gata är bra i år", author="Bo Berg"), when=WHEN)
    triage_pending()
    return {i.platform_id: i for i in Item.objects.all()}


@pytest.fixture
def request_ks(world):
    from insyn.records.utlamnande import actions

    return actions.register_request(world.registrator, unit=world.unit_a, received_at=datetime.now(UTC) - timedelta(hours=1),
                                    channel="epost", description="Kommentarer om snöröjning på Facebook",
                                    requester_name="Per Persson", requester_contact="per@example.se")


@pytest.fixture
def sn_account(world, make_account):
    return make_account(actor=world.kom_b, status="aktivt", unit=world.unit_b, handle="ifo", name="IFO",
                        url="https://www.facebook.com/ifo", confidential_justification="Beslut om konto för information",
                        external_id="6001", responsible=world.kom_b, administrators=[world.kom_b, world.chef_b])


@pytest.fixture
def sn_item(world, sn_account):
    feed(sn_account, normalized("s1", "Fråga till socialtjänsten om hemtjänst", author="Maja Ek"), when=WHEN)
    triage_pending()
    return Item.objects.get(platform_id="s1")
