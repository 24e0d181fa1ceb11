from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from insyn.lib.policy import PolicyError, parse_policy, render_template
from insyn.registry import actions
from insyn.registry.models import PolicyVersion

SOURCE = Path(settings.POLICY_FILE).read_text(encoding="utf-8")


def test_default_policy_is_angekommuns_guidelines():
    policy = parse_policy(SOURCE)
    assert policy.organisation == "Ånge kommun"
    assert policy.default_rule == "next_working_day_end"
    assert {"next_working_day_end", "same_working_day", "four_working_hours"} <= set(policy.response_rules)
    assert "hets_mot_folkgrupp" in policy.legal_bases and "olaga_hot" in policy.legal_bases
    assert policy.supervision_interval_days == 7
    assert policy.snapshot_interval_months == 6
    assert all(c["action"] in ("bevaras", "gallras") for c in policy.retention.values())


@pytest.mark.parametrize("broken,message", [
    ("[policy]\nid='x'", "response_rules"),
    ("not toml at all [", "ogiltig TOML"),
    (SOURCE.replace('default_rule = "next_working_day_end"', 'default_rule = "nope"'), "default_rule"),
    (SOURCE.replace('action = "gallras"\nperiod = "P2Y"', 'action = "gallras"', 1), "period"),
    (SOURCE.replace('period = "P2Y"', 'period = "två år"', 1), "ISO 8601"),
])
def test_malformed_policy_names_the_problem(broken, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(broken)


def test_template_keeps_unknown_placeholders_visible():
    assert render_template("Hej {namn}, {okänd}", {"namn": "Kim"}) == "Hej Kim, {okänd}"


def test_new_policy_version_asks_everyone_again(world):
    assert actions.has_acknowledged(world.kom_a)
    actions.load_policy(SOURCE)  # the same text again changes nothing
    assert PolicyVersion.objects.count() == 1 and actions.has_acknowledged(world.kom_a)
    with pytest.raises(ValidationError, match="nytt versionsnummer"):
        actions.load_policy(SOURCE.replace("Vi svarar senast kl. 17", "Vi svarar senast kl. 16"))
    v2 = SOURCE.replace('version = "ange-2026.1"', 'version = "ange-2026.2"').replace("kl. 17 nästa", "kl. 16 nästa")
    actions.load_policy(v2)
    assert PolicyVersion.objects.get(is_current=True).version == "ange-2026.2"
    assert not actions.has_acknowledged(world.kom_a)
    actions.acknowledge_policy(world.kom_a)
    assert actions.has_acknowledged(world.kom_a)
