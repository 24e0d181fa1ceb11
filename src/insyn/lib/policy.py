"""The policy file: the guidelines as data (docs/policy-format.md).

Parsing and validation only; storing versions and acknowledgements is the registry's job.
A policy that fails validation raises ``PolicyError`` naming the key, so a broken file is
never put in force.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insyn.lib.hashing import sha256_hex

PLATFORMS = {
    "facebook_page", "facebook_group", "instagram", "youtube", "mastodon", "bluesky", "x",
    "linkedin", "blog",
}
RETENTION_ACTIONS = {"bevaras", "gallras"}


# The guidelines shipped with Insyn (Ånge kommun's); INSYN_POLICY_FILE points elsewhere.
DEFAULT_POLICY_FILE = Path(__file__).resolve().parent.parent / "policy" / "ange.toml"


def policy_file_path() -> Path:
    """The policy file in force; read here so Django-free commands and settings agree."""
    return Path(os.environ.get("INSYN_POLICY_FILE") or DEFAULT_POLICY_FILE)


# Whole years, months, weeks and days: what a gallring decision states.
_PERIOD = re.compile(r"^P(?=\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")


class PolicyError(ValueError):
    """The policy file is malformed; the message names the offending key."""


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    text: str

    def render(self, **values: str) -> str:
        return render_template(self.text, values)


@dataclass(frozen=True)
class Policy:
    id: str
    version: str
    title: str
    organisation: str
    sha256: str
    source: str
    recommended_channels: tuple[str, ...]
    response_rules: dict[str, dict[str, Any]]
    default_rule: str
    crisis_rule: str | None
    supervision_interval_days: int
    info_text: str
    farewell_text: str
    templates: dict[str, Template]
    authorities: dict[str, dict[str, str]]
    legal_bases: dict[str, dict[str, str]]
    retention: dict[str, dict[str, str]]
    snapshot_interval_months: int
    direct_messages: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def rule_description(self, name: str) -> str:
        rule = self.response_rules.get(name) or self.response_rules[self.default_rule]
        return rule.get("description", "")


class _Keep(dict):
    # Unknown placeholders stay visible as {name} instead of raising: a template with a
    # missing value is shown to a person before it is published, never sent blind.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_template(text: str, values: dict[str, str]) -> str:
    return string.Formatter().vformat(text.strip(), (), _Keep(values))


def _require(table: dict, key: str, where: str, kind: type = str):
    if key not in table:
        raise PolicyError(f"{where}.{key} saknas")
    value = table[key]
    if not isinstance(value, kind):
        raise PolicyError(f"{where}.{key} har fel typ ({type(value).__name__})")
    return value


def parse_policy(source: str) -> Policy:
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"ogiltig TOML: {exc}") from exc
    meta = _require(data, "policy", "", dict)
    rules = _require(data, "response_rules", "", dict)
    if not rules:
        raise PolicyError("response_rules måste ha minst en regel")
    for name, rule in rules.items():
        if not isinstance(rule, dict):
            raise PolicyError(f"response_rules.{name} måste vara en tabell")
        _require(rule, "kind", f"response_rules.{name}")
        _require(rule, "description", f"response_rules.{name}")
    from insyn.lib.deadlines import rules_from_policy

    try:
        rules_from_policy(rules)
    except ValueError as exc:
        raise PolicyError(f"response_rules: {exc}") from exc
    response = data.get("response", {})
    default_rule = response.get("default_rule", "next_working_day_end")
    if default_rule not in rules:
        raise PolicyError(f"response.default_rule {default_rule!r} finns inte i response_rules")
    crisis_rule = response.get("crisis_rule")
    if crisis_rule is not None and crisis_rule not in rules:
        raise PolicyError(f"response.crisis_rule {crisis_rule!r} finns inte i response_rules")
    channels = data.get("channels", {}).get("recommended", [])
    unknown = set(channels) - PLATFORMS
    if unknown:
        raise PolicyError(f"channels.recommended har okända plattformar: {sorted(unknown)}")
    templates = {}
    for key, tpl in data.get("templates", {}).items():
        templates[key] = Template(key, _require(tpl, "title", f"templates.{key}"), _require(tpl, "text", f"templates.{key}"))
    for key, basis in data.get("legal_bases", {}).items():
        _require(basis, "label", f"legal_bases.{key}")
        _require(basis, "reference", f"legal_bases.{key}")
    for key, cls in data.get("retention", {}).items():
        action = _require(cls, "action", f"retention.{key}")
        if action not in RETENTION_ACTIONS:
            raise PolicyError(f"retention.{key}.action måste vara bevaras eller gallras")
        if action == "gallras":
            period = _require(cls, "period", f"retention.{key}")
            if not _PERIOD.match(period):
                raise PolicyError(f"retention.{key}.period {period!r} är ingen ISO 8601-period (t.ex. P2Y, P6M)")
        _require(cls, "decision", f"retention.{key}")
    return Policy(
        id=_require(meta, "id", "policy"),
        version=_require(meta, "version", "policy"),
        title=_require(meta, "title", "policy"),
        organisation=meta.get("organisation", ""),
        sha256=sha256_hex(source),
        source=source,
        recommended_channels=tuple(channels),
        response_rules=rules,
        default_rule=default_rule,
        crisis_rule=crisis_rule,
        supervision_interval_days=int(data.get("supervision", {}).get("interval_days", 7)),
        info_text=_require(_require(data, "info_text", "", dict), "template", "info_text"),
        farewell_text=_require(_require(data, "farewell", "", dict), "template", "farewell"),
        templates=templates,
        authorities=data.get("authorities", {}),
        legal_bases=data.get("legal_bases", {}),
        retention=data.get("retention", {}),
        snapshot_interval_months=int(data.get("snapshots", {}).get("interval_months", 6)),
        direct_messages=data.get("registration", {}).get("direct_messages", "halls_ordnade"),
        raw=data,
    )
