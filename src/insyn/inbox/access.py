"""Restricted content (R26): an item moved to the diarium is read only by the registrators of
its account's authority and the handläggare assigned to the registration; every read of its
content is logged in the event chain.

These functions are the one place that rule lives. The inbox's views call them, and so should
every other page that shows an item's content (the archive's item page, search results,
threads, raw payloads): ``content_allowed`` before showing, ``record_read`` when shown.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from insyn.archive.models import Item, RawCapture
from insyn.eventlog import log
from insyn.registry.models import Role, User

from .models import Restriction


def restriction_for(item: Item | int) -> Restriction | None:
    item_id = item if isinstance(item, int) else item.pk
    return (Restriction.objects.select_related("item__account__unit", "handler")
            .filter(item_id=item_id).first())


def restricted_ids(item_ids: Iterable[int]) -> set[int]:
    """Which of these items are restricted (one query, for lists and threads)."""
    ids = list(item_ids)
    if not ids:
        return set()
    return set(Restriction.objects.filter(item_id__in=ids).values_list("item_id", flat=True))


def can_read_restricted(user: User, restriction: Restriction) -> bool:
    """The registrators of the account's authority and the handläggare assigned to the
    registration (as ``records.permissions.can_read_protected``). Nobody else: not samordnare,
    not the communicators."""
    if not getattr(user, "is_authenticated", False):
        return False
    if restriction.handler_id is not None and restriction.handler_id == user.pk:
        return True
    authority_id = restriction.item.account.authority_id
    return any(m.role == Role.REGISTRATOR and m.unit.authority_id == authority_id for m in user.memberships_cached())


def record_read(user: User, restriction: Restriction, *, where: str) -> None:
    """Chain one read of restricted content (who, which item, which page)."""
    with transaction.atomic():
        log.append("inbox.restricted_read", actor=user, obj=restriction.item, data={
            "diarienummer": restriction.diarienummer, "where": where, "restriction": restriction.pk,
        })


def content_allowed(user: User, item: Item, *, where: str) -> bool:
    """May ``user`` see ``item``'s content here? Logs the read when the item is restricted."""
    restriction = restriction_for(item)
    if restriction is None:
        return True
    if not can_read_restricted(user, restriction):
        return False
    record_read(user, restriction, where=where)
    return True


def unreadable_items(user: User):
    """Ids (a subquery) of the restricted items whose content ``user`` may not read: exclude
    them from lists and search results, so that not even a match reveals their words."""
    authorities = [m.unit.authority_id for m in user.memberships_cached() if m.role == Role.REGISTRATOR] \
        if getattr(user, "is_authenticated", False) else []
    restrictions = Restriction.objects.exclude(item__account__authority_id__in=authorities)
    if getattr(user, "pk", None):
        restrictions = restrictions.exclude(handler_id=user.pk)
    return restrictions.values("item_id")


def raw_is_restricted(raw: RawCapture) -> Restriction | None:
    """A raw payload holding a restricted item's content is itself restricted."""
    return (Restriction.objects.select_related("item__account__unit")
            .filter(item__versions__raw=raw).first()
            or Restriction.objects.select_related("item__account__unit").filter(item__first_raw=raw).first())
