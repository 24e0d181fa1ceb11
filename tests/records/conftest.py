"""Records fixtures: an arkivarie, and archive items made through the real capture path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from insyn.archive import apply as archive_apply
from insyn.capture.actions import record_raw
from insyn.capture.platforms.base import Normalised, NormalizedItem

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def arkivarie(world):
    from insyn.registry import actions
    from insyn.registry.models import Role

    user = actions.create_person("arkivarie", first_name="Arkivarie", last_name="Test",
                                 email="arkivarie@test.example", password="korrekt-hast-batteri")
    actions.grant_role(user, world.unit_a, Role.ARKIVARIE)
    actions.acknowledge_policy(user)
    return user


@pytest.fixture
def registrator_sn(world):
    from insyn.registry import actions
    from insyn.registry.models import Role

    user = actions.create_person("registrator_sn", first_name="Reg", last_name="SN",
                                 email="reg-sn@test.example", password="korrekt-hast-batteri")
    actions.grant_role(user, world.unit_b, Role.REGISTRATOR)
    actions.acknowledge_policy(user)
    return user


def normalized(pid, text, *, kind="comment", record_type=None, direction=None, parent="p1", thread="p1",
               author="Maja Ek", when=T0):
    record_type = record_type or {"post": "own_post", "message": "direct_message"}.get(kind, "public_comment")
    direction = direction or ("upprattad" if record_type == "own_post" else "inkommen")
    return NormalizedItem(platform_id=pid, kind=kind, direction=direction, record_type=record_type, text=text,
                          author_id="id-" + author, author_name=author, created_at=when,
                          parent_platform_id=None if kind in ("post", "message") else parent,
                          thread_platform_id=thread)


def feed(account, *items, when=T0, body=None, signals=()):
    """Store one raw page whose body is the normalised items as JSON, then apply it."""
    raw = record_raw(account=account, platform=account.platform, source="poll",
                     body=body or ("|".join(i.platform_id + ":" + i.text for i in items)).encode(), received_at=when)
    archive_apply.apply(raw, Normalised(items=list(items), signals=list(signals)))
    return raw


@pytest.fixture
def fb_account(world, make_account):
    return make_account(status="aktivt", external_id="5001")
