"""What gallring must leave alone: legal holds and items in open requests for records.

Invariants:
- An item is protected while an unreleased ``LegalHold`` covers it (the item itself, its
  thread — the post at the top or the conversation — or its whole account), or while it is in
  an ``OpenRequestItem`` that is not closed.
- Gallring asks ``protected_filter`` when it selects a batch and again inside the batch's
  transaction, after locking the batch's accounts; hold and request actions lock the same
  account row, so a hold placed during a run is either seen or waits for the batch to finish.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from insyn.archive.models import Item

from .models import LegalHold, OpenRequestItem


def protected_filter() -> Q:
    """A filter on ``Item`` matching every protected item."""
    active = LegalHold.objects.active()
    return (
        Exists(active.filter(scope=LegalHold.Scope.ITEM, item=OuterRef("pk")))
        | Exists(active.filter(scope=LegalHold.Scope.ACCOUNT, account=OuterRef("account_id")))
        | Exists(active.filter(scope=LegalHold.Scope.THREAD, account=OuterRef("account_id"),
                               thread_platform_id=OuterRef("thread_platform_id")))
        | Exists(active.filter(scope=LegalHold.Scope.THREAD, account=OuterRef("account_id"),
                               thread_platform_id=OuterRef("platform_id")))
        | Exists(OpenRequestItem.objects.filter(item=OuterRef("pk"), closed_at__isnull=True))
    )


def is_protected(item: Item) -> bool:
    """True while a legal hold or an open request for records covers ``item``."""
    return Item.objects.filter(pk=item.pk).filter(protected_filter()).exists()


def protection_reasons(item: Item) -> list[str]:
    """Why ``item`` is protected, in words for the UI (empty when it is not)."""
    reasons = []
    holds = LegalHold.objects.active().filter(
        Q(scope=LegalHold.Scope.ITEM, item=item) | Q(scope=LegalHold.Scope.ACCOUNT, account_id=item.account_id)
        | Q(scope=LegalHold.Scope.THREAD, account_id=item.account_id,
            thread_platform_id__in=[p for p in (item.thread_platform_id, item.platform_id) if p]))
    for hold in holds:
        reasons.append(f"Bevarandespärr ({hold.get_scope_display().lower()}): {hold.reason}")
    for row in OpenRequestItem.objects.filter(item=item, closed_at__isnull=True):
        reasons.append(f"Ingår i en pågående begäran om allmän handling ({row.request_reference})")
    return reasons
