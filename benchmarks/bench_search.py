"""Archive search: p50/p95 latency of two-word Swedish queries with a date filter.

Builds N synthetic items (default 1,000,000) straight into the archive tables and the
search index, then runs 200 queries of two random words, each limited to a random 90-day
window, through ``insyn.archive.search.search_ids`` (the function the search page uses).

    python benchmarks/bench_search.py [N_ITEMS]
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_capture import NAMES, comment_text, query_words  # noqa: E402


def build(n: int, rng: random.Random) -> tuple[int, datetime]:
    from django.db import transaction

    from benchmarks._django import make_account
    from insyn.archive import search
    from insyn.archive.models import Item
    from insyn.lib.hashing import sha256_hex

    account = make_account()
    t0 = datetime(2023, 1, 1, tzinfo=UTC)
    span = timedelta(days=3 * 365).total_seconds()
    batch = 5000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            text = comment_text(rng)
            when = t0 + timedelta(seconds=rng.random() * span)
            rows.append(Item(account=account, platform_id=f"p{i}", kind="comment", direction="inkommen",
                             record_type="public_comment", author_name=rng.choice(NAMES), created_at=when,
                             inkommen_at=when, text=text, text_sha256=sha256_hex(text), version_count=1))
        with transaction.atomic():
            created = Item.objects.bulk_create(rows)
            if created[0].pk is None:
                ids = Item.objects.filter(account=account).order_by("-id").values_list("id", flat=True)[: len(rows)]
                for item, pk in zip(created, reversed(list(ids)), strict=True):
                    item.pk = pk
            search.index_items((item.pk, f"{item.text} {item.author_name}", item.created_at) for item in created)
        if start and start % 100_000 == 0:
            print(f"  … {start:,} items", flush=True)
    return account.pk, t0


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 1_000_000
    from benchmarks._django import setup

    setup()
    from insyn.archive.search import search_ids

    rng = random.Random(11)
    started = time.perf_counter()
    account_id, t0 = build(n, rng)
    print(f"built {n:,} items in {time.perf_counter() - started:.0f} s")
    timings, hits = [], []
    for _ in range(200):
        query = query_words(rng)
        since = t0 + timedelta(days=rng.randint(0, 3 * 365 - 90))
        q0 = time.perf_counter()
        result = search_ids(query, account_ids=[account_id], since=since, until=since + timedelta(days=90), limit=50)
        timings.append((time.perf_counter() - q0) * 1000)
        hits.append(len(result))
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95) - 1]
    print(f"search over {n:,} items, two words + 90-day window: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
          f"(target p95 ≤ 100 ms); mean hits {statistics.mean(hits):.0f}")
    return {"items": n, "p50_ms": p50, "p95_ms": p95}


if __name__ == "__main__":
    main()
