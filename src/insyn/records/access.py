"""Reading the content of registered secret items: the one rule for every page that shows
archive content (the archive's item page, search results, threads, raw payloads, the inbox).

An item registered with sekretess (``Registration.sekretess``) may be read only by the
registratorer of the registration's authority and its handläggare
(``permissions.can_read_protected``); every read is chained (``records.protected_read``).
The handläggare is read from the registration each time, so a change of handläggare takes
effect at once everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from insyn.archive.models import Item, RawCapture
from insyn.registry.models import Role, User

from . import actions, permissions
from .models import Registration


def secret_registration(item: Item | int) -> Registration | None:
    item_id = item if isinstance(item, int) else item.pk
    return Registration.objects.select_related("authority").filter(item_id=item_id, sekretess=True).first()


def secret_item_ids(item_ids: Iterable[int]) -> set[int]:
    """Which of these items are registered as secret (one query, for lists and threads)."""
    ids = list(item_ids)
    if not ids:
        return set()
    return set(Registration.objects.filter(item_id__in=ids, sekretess=True).values_list("item_id", flat=True))


def unreadable_items(user: User):
    """Ids (a subquery) of the secret items whose content ``user`` may not read: exclude them
    from lists and search results, so that not even a match reveals their words."""
    secret = Registration.objects.filter(sekretess=True, item__isnull=False)
    if getattr(user, "is_authenticated", False):
        authorities = [m.unit.authority_id for m in user.memberships_cached() if m.role == Role.REGISTRATOR]
        secret = secret.exclude(authority_id__in=authorities).exclude(handler_id=user.pk)
    return secret.values("item_id")


def can_read_content(user: User, item: Item) -> bool:
    """May ``user`` read ``item``'s content? (No logging: for deciding what to render.)"""
    registration = secret_registration(item)
    return registration is None or permissions.can_read_protected(user, registration)


def content_allowed(user: User, item: Item, *, where: str) -> bool:
    """As ``can_read_content``, and chains the read when the item is secret."""
    registration = secret_registration(item)
    if registration is None:
        return True
    if not permissions.can_read_protected(user, registration):
        return False
    actions.log_protected_read(user, registration, what=f"content:{where}"[:60])
    return True


def raw_secret_registration(raw: RawCapture) -> Registration | None:
    """A raw payload that carries a secret item's content is as secret as the item."""
    return (Registration.objects.select_related("authority").filter(sekretess=True, item__versions__raw=raw).first()
            or Registration.objects.select_related("authority").filter(sekretess=True, item__first_raw=raw).first())
