"""Who may build and fetch e-archive deliveries: the arkivarier of the account's unit (a role
held at a unit covers the units below it). Superusers may too. Nobody else — not samordnare:
a package holds every item in full, secret ones included."""

from __future__ import annotations

from insyn.registry.models import Account, Role, User


def can_deliver(user: User, account: Account) -> bool:
    return user.is_authenticated and (user.is_superuser or user.covers_unit(account.unit, Role.ARKIVARIE))


def deliverable_accounts(user: User):
    from insyn.registry.models import _path_filter

    accounts = Account.objects.select_related("authority", "unit").order_by("authority__name", "name")
    if not user.is_authenticated:
        return accounts.none()
    if user.is_superuser:
        return accounts
    paths = user.unit_paths(Role.ARKIVARIE)
    return accounts.filter(_path_filter(paths, "unit__path")) if paths else accounts.none()


def is_any_arkivarie(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.ARKIVARIE))
