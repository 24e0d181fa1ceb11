"""The archive out: one record per item with its versions (``insyn export``).

Fields (docs/export.md): id, account, platform, platform_id, kind, direction,
parent_platform_id, thread_platform_id, author {id, name}, text, created_at, captured_at,
state, record_type, versions [{text, captured_at, sha256}].
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime

from django.db.models import Prefetch

from insyn.lib.tabular import neutralise

from .models import ItemVersion

CSV_COLUMNS = ["id", "account", "platform", "platform_id", "kind", "direction", "parent_platform_id",
               "thread_platform_id", "author_id", "author_name", "text", "created_at", "captured_at", "state",
               "record_type", "versions"]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_records(items) -> Iterator[dict]:
    items = items.select_related("account").prefetch_related(
        Prefetch("versions", queryset=ItemVersion.objects.order_by("number").only("item_id", "text", "captured_at", "sha256", "number"))
    ).order_by("id")
    for item in items.iterator(chunk_size=2000):
        yield {
            "id": item.pk,
            "account": item.account.handle,
            "platform": item.account.platform,
            "platform_id": item.platform_id,
            "kind": item.kind,
            "direction": item.direction,
            "parent_platform_id": item.parent_platform_id or None,
            "thread_platform_id": item.thread_platform_id or None,
            "author": {"id": item.author_id, "name": item.author_name},
            "text": item.text,
            "created_at": _iso(item.created_at),
            "captured_at": _iso(item.inkommen_at),
            "state": item.state,
            "record_type": item.record_type,
            "versions": [{"text": v.text, "captured_at": _iso(v.captured_at), "sha256": v.sha256} for v in item.versions.all()],
        }


def write_jsonl(items, out) -> int:
    count = 0
    for record in export_records(items):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(items, out) -> int:
    """CSV for spreadsheets: cells starting with = + - @ are neutralised (CSV injection)."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for r in export_records(items):
        row = [r["id"], r["account"], r["platform"], r["platform_id"], r["kind"], r["direction"],
               r["parent_platform_id"] or "", r["thread_platform_id"] or "", r["author"]["id"], r["author"]["name"],
               r["text"], r["created_at"] or "", r["captured_at"] or "", r["state"], r["record_type"],
               json.dumps(r["versions"], ensure_ascii=False)]
        writer.writerow([neutralise(v) for v in row])
        count += 1
    return count
