"""Who works with an account's snapshots: its unit's kommunikatörer and chefer, arkivarier
whose role covers the unit, and samordnare. Others who may see the account get 403; those
who may not know of it get 404 (views)."""

from __future__ import annotations

from insyn.registry.models import Account, Role, User

SNAPSHOT_ROLES = (Role.KOMMUNIKATOR, Role.CHEF, Role.ARKIVARIE)


def can_work_with(user: User, account: Account) -> bool:
    return bool(user.is_authenticated and (user.is_samordnare or user.covers_unit(account.unit, *SNAPSHOT_ROLES)))


def accounts_for(user: User):
    """The accounts whose snapshots ``user`` works with."""
    from insyn.registry.models import _path_filter

    accounts = Account.objects.all()
    if not user.is_authenticated:
        return accounts.none()
    if user.is_samordnare:
        return accounts
    return accounts.filter(_path_filter(user.unit_paths(*SNAPSHOT_ROLES), "unit__path"))
