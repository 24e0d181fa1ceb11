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
