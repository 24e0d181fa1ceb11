"""Capture → archive throughput, against a raw SQLite insert of the same rows with FTS.

Synthetic Swedish comments arrive as Graph API comment pages (100 per page). For each page
Insyn stores the raw bytes and chains them, normalises, writes items and versions, chains
the processing and indexes the text with Swedish stemming. The baseline inserts the same
rows into a plain table plus an FTS5 table with Python's sqlite3, one transaction per page.

    python benchmarks/bench_capture.py [N_ITEMS]     (default 20000)
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WORDS = ("snöröjning gatan parkering skolan förskolan badhuset biblioteket soptunnan återvinning vattenläcka "
         "kommunen bygglov detaljplan hemtjänsten budget skatten politiker fotbollsplan cykelbana busshållplats "
         "gatlampa trasig varför när hur tack bra dålig fråga svar igen redan aldrig alltid vecka måndag").split()
NAMES = ("Anna Berg", "Erik Lund", "Sara Nilsson", "Mohammed Ali", "Karin Ek", "Johan Sjö", "Leila Haddad", "Per Holm")


_CORPUS: list[str] = []


def corpus() -> list[str]:
    """Real Swedish comment texts: the triage example set written for the project."""
    if not _CORPUS:
        import glob

        root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "insyn", "triage",
                            "data", "examples")
        for path in sorted(glob.glob(os.path.join(root, "*.jsonl"))):
            with open(path, encoding="utf-8") as fh:
                _CORPUS.extend(json.loads(line)["text"] for line in fh if line.strip())
        if not _CORPUS:
            _CORPUS.extend(" ".join(WORDS[i:i + 8]) for i in range(0, len(WORDS), 4))
    return _CORPUS


def comment_text(rng: random.Random) -> str:
    """About 200 characters of realistic Swedish: one or two real comments, joined."""
    texts = corpus()
    text = rng.choice(texts)
    while len(text) < 160:
        text += " " + rng.choice(texts)
    return text[:240]


def query_words(rng: random.Random) -> str:
    """Two words a person might search for: content words from one real comment."""
    import re

    while True:
        words = [w for w in re.findall(r"\w+", rng.choice(corpus()).casefold()) if len(w) >= 4 and not w.isdigit()]
        if len(words) >= 2:
            return " ".join(rng.sample(words, 2))


def graph_page(rng: random.Random, post_id: str, start: int, n: int, t0: datetime) -> bytes:
    data = []
    for i in range(start, start + n):
        name = rng.choice(NAMES)
        data.append({
            "id": f"{post_id}_{i}", "message": comment_text(rng),
            "from": {"id": str(10_000 + hash(name) % 5000), "name": name},
            "created_time": (t0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "is_hidden": False,
        })
    return json.dumps({"data": data, "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}}, ensure_ascii=False).encode()


def _clock() -> float:
    """CPU time of this process: SQLite runs in-process, so this counts all the work, and it is
    not inflated by other jobs on the machine (wall time is printed too)."""
    return time.process_time()


def run_insyn(pages: list[bytes], post_id: str) -> float:
    from benchmarks._django import make_account
    from insyn.capture.actions import capture_page
    from insyn.capture.platforms.base import FetchedPage

    account = make_account()
    started = _clock()
    for body in pages:
        # Exactly what a poll does with each page it fetches.
        capture_page(account, FetchedPage(url=f"/v23.0/{post_id}/comments", status=200,
                                          headers={"content-type": "application/json"}, body=body,
                                          context={"endpoint": "comments", "post_id": post_id}))
    return _clock() - started


def run_baseline(pages: list[bytes], post_id: str) -> float:
    """The same rows (raw page, items, first versions, FTS) into the same schema — tables and
    indexes copied from Insyn's migrated database — with plain sqlite3 executemany, one
    transaction per page. This is the floor: what the database itself costs."""
    import hashlib

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN "
                       "('archive_rawcapture', 'archive_item', 'archive_itemversion') ORDER BY type DESC")
        schema = [row[0] for row in cursor.fetchall()]
    schema = [sql for sql in schema if "REFERENCES" not in sql or sql.startswith("CREATE TABLE")]
    path = os.path.join(tempfile.mkdtemp(prefix="insyn-bench-raw-"), "raw.sqlite3")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for sql in schema:
        db.execute(sql.replace('REFERENCES "registry_account" ("id") DEFERRABLE INITIALLY DEFERRED', "")
                   .replace('REFERENCES "archive_rawcapture" ("id") DEFERRABLE INITIALLY DEFERRED', "")
                   .replace('REFERENCES "archive_item" ("id") DEFERRABLE INITIALLY DEFERRED', ""))
    db.execute("CREATE VIRTUAL TABLE archive_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 0')")
    started = _clock()
    for n, body in enumerate(pages):
        now = datetime.now(UTC).isoformat()
        db.execute("BEGIN")
        raw_id = db.execute(
            "INSERT INTO archive_rawcapture (account_id, platform, source, url, received_at, body, sha256, headers, context,"
            " status, error, processed_at, event_seq) VALUES (1, 'facebook_page', 'poll', '', ?, ?, ?, '{}', '{}',"
            " 'processed', '', ?, ?)", (now, body, hashlib.sha256(body).hexdigest(), now, n)).lastrowid
        rows = json.loads(body)["data"]
        items = [(1, r["id"], "comment", "inkommen", "public_comment", post_id, post_id, r["from"]["id"], r["from"]["name"],
                  "", r["created_time"], now, "visible", r["message"], hashlib.sha256(r["message"].encode()).hexdigest(),
                  1, raw_id) for r in rows]
        ids = [db.execute(
            "INSERT INTO archive_item (account_id, platform_id, kind, direction, record_type, parent_platform_id,"
            " thread_platform_id, author_id, author_name, url, created_at, inkommen_at, state, text, text_sha256,"
            " version_count, first_raw_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", item).lastrowid for item in items]
        db.executemany("INSERT INTO archive_itemversion (item_id, number, text, sha256, captured_at, raw_id)"
                       " VALUES (?, 1, ?, ?, ?, ?)", [(i, it[13], it[14], now, raw_id) for i, it in zip(ids, items, strict=True)])
        db.executemany("INSERT INTO archive_search (rowid, body) VALUES (?, ?)",
                       [(i, it[13] + " " + it[8]) for i, it in zip(ids, items, strict=True)])
        db.execute("COMMIT")
    elapsed = _clock() - started
    db.close()
    return elapsed


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 20_000
    from benchmarks._django import setup

    setup()
    rng = random.Random(7)
    post_id = "900100200300_1"
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    pages = [graph_page(rng, post_id, start, 100, t0) for start in range(0, n, 100)]
    wall = time.perf_counter()
    insyn = run_insyn(pages, post_id)
    wall = time.perf_counter() - wall
    baseline = run_baseline(pages, post_id)
    from insyn.archive.models import Item
    from insyn.eventlog.log import verify

    assert Item.objects.count() == n, Item.objects.count()
    assert verify().ok
    result = {"items": n, "insyn_items_per_s": n / insyn, "baseline_items_per_s": n / baseline, "ratio": baseline / insyn}
    print(f"capture → archive: {n} items in {insyn:.2f} s CPU ({wall:.2f} s wall) = {n / insyn:,.0f} items/s "
          f"(target ≥ 2,000)")
    print(f"raw SQLite insert of the same rows (same schema and indexes) + FTS5: {n / baseline:,.0f} items/s")
    print(f"ratio Insyn / raw insert: {result['ratio']:.1%} (target ≥ 25%)")
    return result


if __name__ == "__main__":
    main()
