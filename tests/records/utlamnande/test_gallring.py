"""Gallring never touches an item in an open request for records, and takes it once the
request is closed (records.OpenRequestItem, filled by the utlämnande actions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from insyn.archive.models import Item
from insyn.records import actions as records_actions
from insyn.records import gallring
from insyn.records.utlamnande import actions
from tests.records.conftest import feed, normalized

OLD = datetime(2023, 1, 10, 9, 0, tzinfo=UTC)


def test_gallring_skips_requested_items_until_the_request_is_closed(world, fb_account, arkivarie):
    feed(fb_account, normalized("c1", "Gammal kommentar som begärts ut"),
         normalized("c2", "Gammal kommentar som ingen begärt"), when=OLD)
    c1, c2 = Item.objects.get(platform_id="c1"), Item.objects.get(platform_id="c2")
    records_actions.record_gallring_decision(
        arkivarie, reference="KS 2025/14 § 37", decided_by="Kommunstyrelsen", decision_date=date(2025, 2, 1),
        authorities=[world.ks], classes=["kommentarer"])
    req = actions.register_request(world.registrator, unit=world.unit_a, received_at=datetime.now(UTC),
                                   channel="epost", description="Gamla kommentarer")
    actions.add_items(world.registrator, req, [c1])

    run = gallring.run_gallring(arkivarie)
    c1.refresh_from_db()
    c2.refresh_from_db()
    assert c1.text == "Gammal kommentar som begärts ut" and c2.text == ""
    assert run.totals["held"] == 1

    actions.close_request(world.registrator, req, note="Återkallad")
    gallring.run_gallring(arkivarie)
    c1.refresh_from_db()
    assert c1.text == ""
