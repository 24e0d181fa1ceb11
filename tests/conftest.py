"""Shared fixtures: one small organisation and a few named people (STYLE.md §7).

    Kommunen
      Kommunstyrelsen (KS)          unit_a "Kommunikation"  ─ unit_a1 "Webb"
      Socialnämnden (SN)            unit_b "Individ- och familjeomsorg" (handles confidential)

    samordnare  samordnare at unit_a (organisation-wide)
    kom_a       kommunikatör at unit_a (covers unit_a1)
    kom_a2      kommunikatör at unit_a1
    kom_b       kommunikatör at unit_b
    chef_a      chef at unit_a;  chef_b  chef at unit_b
    granskare   granskare at unit_a;  registrator at unit_a;  handlaggare at unit_a1
    outsider    no role at all
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import timedelta

os.environ.setdefault("INSYN_DATA_DIR", tempfile.mkdtemp(prefix="insyn-test-"))
os.environ.setdefault("INSYN_STATIC_FROM_FINDERS", "true")

import pytest  # noqa: E402

# Browser fixtures for every folder (one Playwright session for the whole run).
pytest_plugins = ["tests.browser_fixtures"]


@pytest.fixture(autouse=True)
def _swedish_by_default():
    # A test that switches the UI to English must not leave later tests' messages in English.
    from django.utils import translation

    with translation.override("sv"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; the suite creates many users. Production keeps Argon2
    # (tests/registry/test_auth.py checks the setting itself).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    org: object
    ks: object
    sn: object
    unit_a: object
    unit_a1: object
    unit_b: object
    people: dict

    def __getattr__(self, name):
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def world(db):
    from insyn.registry import actions
    from insyn.registry.models import Authority, Role, Unit

    actions.load_policy_file()
    org = actions.create_organisation("Testkommun", "kansliet@test.example", website="https://test.example")
    ks = actions.create_authority(org, "Kommunstyrelsen", Authority.Kind.STYRELSE, "KS")
    sn = actions.create_authority(org, "Socialnämnden", Authority.Kind.NAMND, "SN")
    unit_a = actions.create_unit(ks, "Kommunikation", Unit.Kind.AVDELNING)
    unit_a1 = actions.create_unit(ks, "Webb", Unit.Kind.ENHET, parent=unit_a)
    unit_b = actions.create_unit(sn, "Individ- och familjeomsorg", Unit.Kind.FORVALTNING, handles_confidential=True)
    specs = {
        "samordnare": (Role.SAMORDNARE, unit_a),
        "kom_a": (Role.KOMMUNIKATOR, unit_a),
        "kom_a2": (Role.KOMMUNIKATOR, unit_a1),
        "kom_b": (Role.KOMMUNIKATOR, unit_b),
        "chef_a": (Role.CHEF, unit_a),
        "chef_b": (Role.CHEF, unit_b),
        "granskare": (Role.GRANSKARE, unit_a),
        "registrator": (Role.REGISTRATOR, unit_a),
        "handlaggare": (Role.HANDLAGGARE, unit_a1),
        "outsider": (None, None),
    }
    people = {}
    for username, (role, unit) in specs.items():
        user = actions.create_person(username, first_name=username.title(), last_name="Test",
                                     email=f"{username}@test.example", password="korrekt-hast-batteri")
        if role:
            actions.grant_role(user, unit, role)
        actions.acknowledge_policy(user)
        people[username] = user
    return World(org, ks, sn, unit_a, unit_a1, unit_b, people)


def account_data(world, **overrides):
    data = {
        "unit": world.unit_a,
        "platform": "facebook_page",
        "name": "Testkommunen",
        "handle": "testkommunen",
        "url": "https://www.facebook.com/testkommunen",
        "purpose": "Nyheter och dialog",
        "target_group": "Invånare",
        "message": "Öppen kommun",
        "responsible": world.kom_a,
        "administrators": [world.kom_a, world.kom_a2],
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_account(world):
    from django.utils import timezone

    from insyn.registry import actions

    def make(actor=None, status="foreslaget", **overrides):
        account = actions.register_account(actor or world.kom_a, **account_data(world, **overrides))
        chef = world.chef_b if account.unit_id == world.unit_b.pk else world.chef_a
        path = ["beslutat", "aktivt", "avvecklas"]
        for step in path[: path.index(status) + 1] if status in path else []:
            actions.decide(world.samordnare, account, step, decided_by=chef,
                           decision_date=timezone.localdate() - timedelta(days=1),
                           mandate="Uppdrag från chefen", anchoring="Ledningsgruppen § 1")
        account.refresh_from_db()
        return account

    return make


def login(client, user):
    """Log in, passing TOTP for samordnare the way the two-factor page would."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    if user.is_samordnare:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
