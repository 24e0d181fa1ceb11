"""Who may do what with an account. Every view and action asks here.

Roles are held at a unit and cover the units below it. Samordnare act on the whole
organisation; granskare, registratorer, arkivarier and handläggare read; kommunikatörer and
chefer edit their units' accounts; only a chef (or samordnare) records a decision.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import EDITOR_ROLES, Account, Role, Unit, User


def can_view(user: User, account: Account) -> bool:
    return user.is_authenticated and (user.is_samordnare or user.covers_unit(account.unit))


def can_edit(user: User, account: Account) -> bool:
    return user.is_authenticated and (user.is_samordnare or user.covers_unit(account.unit, *EDITOR_ROLES))


def can_decide(user: User, account: Account) -> bool:
    return user.is_authenticated and (user.is_samordnare or user.covers_unit(account.unit, Role.CHEF))


def can_register_in(user: User, unit: Unit) -> bool:
    return user.is_authenticated and (user.is_samordnare or user.covers_unit(unit, *EDITOR_ROLES))


def can_read_eventlog(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.SAMORDNARE, Role.GRANSKARE))


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Du har inte behörighet till det här."))
