"""The policy in force: loading versions from the file and reading the current one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from insyn.lib.policy import Policy, PolicyError, parse_policy

from .models import PolicyVersion


def current_policy_version() -> PolicyVersion | None:
    return PolicyVersion.objects.filter(is_current=True).first()


@lru_cache(maxsize=8)
def _parse_cached(sha: str, source: str) -> Policy:
    return parse_policy(source)


def current_policy() -> Policy:
    """The parsed policy in force; the shipped file if none has been loaded yet."""
    version = current_policy_version()
    if version is None:
        source = Path(settings.POLICY_FILE).read_text(encoding="utf-8")
        return _parse_cached("file", source)
    return _parse_cached(version.sha256, version.source)


__all__ = ["current_policy", "current_policy_version", "PolicyError"]
