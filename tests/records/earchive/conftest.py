"""A small archive for e-archive packages: a post, a comment edited twice, a reply deleted on
the platform, a registered (secret) direct message, and a comment with an image — all made
through the real capture path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from insyn.archive.media import store_media
from insyn.archive.models import Item, ItemMedia
from insyn.capture.platforms.base import StateSignal
from tests.records.conftest import feed, normalized

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Enough of a PNG for the media store's signature check.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    # Packages and the media store of each test in its own folder: nothing piles up between
    # runs, and a test that damages a stored file damages only its own copy.
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def small_archive(world, fb_account):
    from insyn.records import actions as records_actions

    feed(fb_account, normalized("p1", "Välkommen till kommunens sida!", kind="post"), when=T0)
    feed(fb_account, normalized("c1", "När öppnar badhuset?"), when=T0 + timedelta(minutes=5))
    feed(fb_account, normalized("c1", "När öppnar badhuset igen?"), when=T0 + timedelta(minutes=10))
    feed(fb_account, normalized("c1", "När öppnar badhuset igen efter renoveringen?"), when=T0 + timedelta(minutes=15))
    feed(fb_account, normalized("r1", "Det vet ingen <script>alert(1)</script>", kind="reply", parent="c1"),
         when=T0 + timedelta(minutes=20))
    feed(fb_account, signals=[StateSignal("r1", "deleted_on_platform", T0 + timedelta(hours=1))],
         when=T0 + timedelta(hours=1), body=b"removal r1")
    feed(fb_account, normalized("m1", "Jag behöver hjälp med min pappas hemtjänst", kind="message", thread="t1"),
         when=T0 + timedelta(hours=2))
    feed(fb_account, normalized("c2", "Titta på den nya lekparken"), when=T0 + timedelta(hours=3))
    media = store_media(PNG)
    ItemMedia.objects.create(item=Item.objects.get(platform_id="c2"), platform_url="https://cdn.example/lek.png",
                             mime_type="image/png", media=media)
    registration = records_actions.register_document(
        world.registrator, authority=world.ks, item=Item.objects.get(platform_id="m1"),
        received_or_drawn_up=date(2026, 3, 2), counterpart="Maja Ek", subject="Hemtjänst för pappa",
        sekretess=True, osl_reference="OSL 26 kap. 1 §")
    return {"account": fb_account, "registration": registration, "media": media}


@pytest.fixture
def arkivarie_b(world):
    from insyn.registry import actions
    from insyn.registry.models import Role

    user = actions.create_person("arkivarie_b", first_name="Arkivarie", last_name="B",
                                 email="arkivarie-b@test.example", password="korrekt-hast-batteri")
    actions.grant_role(user, world.unit_b, Role.ARKIVARIE)
    actions.acknowledge_policy(user)
    return user
