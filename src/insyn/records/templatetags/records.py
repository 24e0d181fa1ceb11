"""Template filters for the records pages and the menu."""

from __future__ import annotations

from django import template

from .. import permissions

register = template.Library()


@register.filter
def sees_gallring(user) -> bool:
    """The gallring pages: arkivarier act there; samordnare and granskare read."""
    return bool(getattr(user, "is_authenticated", False)) and (
        permissions.is_arkivarie(user) or user.is_samordnare or user.has_role("granskare"))


@register.filter
def sees_earchive(user) -> bool:
    """The e-archive delivery pages: arkivarier (each sees the accounts of their units)."""
    from ..earchive.permissions import is_any_arkivarie

    return is_any_arkivarie(user)


@register.filter
def sees_snapshots(user) -> bool:
    """The snapshot pages: those who work with some account's snapshots (kommunikatörer, chefer,
    arkivarier, samordnare); others would find an empty page there."""
    from ..snapshots.permissions import SNAPSHOT_ROLES

    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_samordnare or user.has_role(*SNAPSHOT_ROLES))


@register.filter
def retention_period(period) -> str:
    """A retention period in words: a ``Period`` or the ISO text a decision stored ("P2Y" → "2 år")."""
    from ..retention import Period

    if not period:
        return ""
    if isinstance(period, Period):
        return period.human
    try:
        return Period.parse(str(period)).human
    except ValueError:
        return str(period)


@register.filter
def retention_label(key: str, labels: dict) -> str:
    """A record class's label from the policy, else its key (a class the policy no longer lists)."""
    return labels.get(key, key)


@register.filter
def event_data(data) -> str:
    """An event's data as JSON rather than as a Python dict."""
    import json

    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
