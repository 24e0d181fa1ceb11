"""Event chain models.

Invariants:
- ``Event.seq`` is gap-free and increasing; entry n carries the hash of entry n-1.
- ``ChainHead`` (one row) holds the last seq and hash, so removing the newest entries is
  detected too, and it serialises appends: each append first updates the head row, which
  takes the write lock on SQLite and a row lock on PostgreSQL.
- Rows are never updated or deleted by the application.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64


class ChainHead(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "kedjans huvud"


class EventQuerySet(models.QuerySet):
    def for_object(self, obj: models.Model) -> EventQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class Event(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who acted, as text kept in the hash: survives renames of the user account.
    actor_label = models.CharField(max_length=200, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = "händelse"
        verbose_name_plural = "händelser"

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"

    def body(self) -> dict:
        """What the hash covers: every field but the hashes themselves."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "kind": self.kind,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
        }
