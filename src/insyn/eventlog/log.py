"""Appending to and verifying the event chain.

``append`` must be called inside the transaction that makes the change it records, so the
change and its entry commit or roll back together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction

from insyn.lib.hashing import chain_hash

from .models import GENESIS_HASH, ChainHead, Event


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so what is hashed now equals what is read back from the DB.
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def append(
    kind: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one entry to the chain. Requires an open transaction (the caller's)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("eventlog.append must run inside the transaction it records")
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    seq, prev_hash = _advance_head()
    event = Event(
        seq=seq,
        at=datetime.now(UTC),
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_actor_label(actor),
        object_type=object_type,
        object_id=object_id,
        data=_normalise(data or {}),
        prev_hash=prev_hash,
    )
    event.hash = chain_hash(event.prev_hash, event.body())
    event.save(force_insert=True)
    ChainHead.objects.filter(pk=1).update(hash=event.hash)
    return event


def _advance_head() -> tuple[int, str]:
    """Take the next sequence number and the previous hash in one statement.

    The UPDATE takes SQLite's write lock (or PostgreSQL's row lock) before anything is read,
    so two writers can never get the same number or fork the chain.
    """
    table = connection.ops.quote_name(ChainHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        row = cursor.fetchone()
    if row is None:
        ChainHead.objects.get_or_create(pk=1)
        return _advance_head()
    return row[0], row[1]


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username()


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the whole chain and report the first entry that was altered, removed or inserted.

    The walk stops at the head as it was read at the start: a running system keeps appending,
    and those newer entries are checked by the next run rather than mistaken for a mismatch.
    """
    head = _read_head()
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    last_seq = 0
    events = Event.objects.all()
    if head is not None:
        events = events.filter(seq__lte=head.seq)
    while True:
        batch = list(events.filter(seq__gte=expected_seq).order_by("seq")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"entry #{expected_seq} is missing")
            if event.prev_hash != prev_hash:
                return VerifyResult(False, checked, event.seq, "link to the previous entry is broken")
            if chain_hash(prev_hash, event.body()) != event.hash:
                return VerifyResult(False, checked, event.seq, "content does not match its hash")
            prev_hash, expected_seq, last_seq = event.hash, expected_seq + 1, event.seq
            checked += 1
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        return VerifyResult(False, checked, last_seq + 1, f"entries after #{last_seq} are missing")
    if head is not None and Event.objects.filter(seq__gt=head.seq).exists():
        # Newer entries are fine if the head has moved on to cover them (the system is
        # running); entries the head has never seen were written around the chain.
        now = _read_head()
        beyond = Event.objects.filter(seq__gt=now.seq) if now is not None else Event.objects.none()
        if now is None or now.seq == head.seq or beyond.exists():
            return VerifyResult(False, checked, head.seq + 1,
                                f"entries after #{head.seq} are not in the chain head")
    return VerifyResult(True, checked)


def _read_head() -> ChainHead | None:
    return ChainHead.objects.filter(pk=1).first()
