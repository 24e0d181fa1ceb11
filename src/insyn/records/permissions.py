"""Who may do what in the diarium and with gallring. Views and actions ask here.

- The public part of the register: every logged-in person with a role in the organisation.
- Protected fields (sekretess) and the linked archive content: the authority's registratorer
  and the registration's handläggare. Not samordnare or granskare by virtue of their role:
  knowing of a secret document is not the same as needing its content.
- Registering: the authority's registratorer; a kommunikatör or chef may register an item of
  an account in their unit (moving a message to the diarium, R26).
- Gallring decisions and runs, releasing holds: arkivarier. Placing a hold (which can only
  keep things) also samordnare.
"""

from __future__ import annotations

from insyn.archive.models import Item
from insyn.registry.models import EDITOR_ROLES, Authority, Role, User

from .models import Registration


def organisation_ids(user: User) -> set[int]:
    return {m.unit.authority.organisation_id for m in user.memberships_cached()}


def is_registrator_for(user: User, authority: Authority) -> bool:
    return user.is_authenticated and any(
        m.role == Role.REGISTRATOR and m.unit.authority_id == authority.pk for m in user.memberships_cached()
    )


def works_for(user: User, authority: Authority) -> bool:
    return any(m.unit.authority_id == authority.pk for m in user.memberships_cached())


def can_read_register(user: User, authority: Authority) -> bool:
    return user.is_authenticated and (user.is_superuser or authority.organisation_id in organisation_ids(user))


def can_read_protected(user: User, registration: Registration) -> bool:
    return user.is_authenticated and (
        is_registrator_for(user, registration.authority) or registration.handler_id == user.pk
    )


def can_register(user: User, authority: Authority, item: Item | None = None) -> bool:
    if is_registrator_for(user, authority):
        return True
    return item is not None and item.account.authority_id == authority.pk and user.covers_unit(
        item.account.unit, *EDITOR_ROLES)


def can_manage(user: User, registration: Registration) -> bool:
    """Close the registration or change its handläggare."""
    return is_registrator_for(user, registration.authority) or (
        user.is_authenticated and registration.handler_id == user.pk)


def is_arkivarie(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.ARKIVARIE))


def can_place_hold(user: User) -> bool:
    return is_arkivarie(user) or (user.is_authenticated and user.is_samordnare)
