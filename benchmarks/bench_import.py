"""Import of a platform export: items/s and peak memory of `insyn import` on a big X archive.

Writes an X account archive with N tweets (default 1,000,000) — ``data/tweets.js`` in the
documented shape, streamed to disk, never built in memory — and imports it with
``insyn import x-archive`` into a fresh SQLite database in a child process. Prints the
child's items/s and its peak resident memory (``ru_maxrss``) against the 300 MB target.

    python benchmarks/bench_import.py [N_ITEMS]      (default 1000000; 20000 for a quick run)
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from benchmarks.bench_capture import comment_text  # noqa: E402

TARGET_MB = 300
ACCOUNT_ID = "1234567890"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def x_time(when: datetime) -> str:
    return f"{DAYS[when.weekday()]} {MONTHS[when.month - 1]} {when:%d %H:%M:%S} +0000 {when.year}"


def write_archive(root: str, n: int, seed: int = 11) -> int:
    """An X archive folder with n tweets; returns the size of tweets.js in bytes."""
    rng = random.Random(seed)
    data = os.path.join(root, "data")
    os.makedirs(data)
    with open(os.path.join(data, "account.js"), "w", encoding="utf-8") as fh:
        fh.write("window.YTD.account.part0 = " + json.dumps([{"account": {
            "username": "benchkommun", "accountId": ACCOUNT_ID, "accountDisplayName": "Benchby kommun",
            "createdAt": "2012-05-02T08:00:00.000Z"}}], indent=2) + "\n")
    t0 = datetime(2015, 1, 1, tzinfo=UTC)
    path = os.path.join(data, "tweets.js")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("window.YTD.tweets.part0 = [")
        for i in range(n):
            tweet_id = str(1_600_000_000_000_000_000 + i)
            text = comment_text(rng)
            tweet = {"edit_info": {"initial": {"editTweetIds": [tweet_id], "editableUntil": "2025-03-01T10:15:02.000Z",
                                               "editsRemaining": "5", "isEditEligible": True}},
                     "retweeted": False, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
                     "display_text_range": ["0", str(len(text))], "favorite_count": str(rng.randrange(20)),
                     "id_str": tweet_id, "truncated": False, "retweet_count": str(rng.randrange(5)), "id": tweet_id,
                     "created_at": x_time(t0 + timedelta(minutes=5 * i)), "favorited": False, "full_text": text,
                     "lang": "sv"}
            if i % 10 == 9:  # every tenth a reply in a thread of the account's own
                tweet["in_reply_to_status_id_str"] = tweet["in_reply_to_status_id"] = str(1_600_000_000_000_000_000 + i - 1)
                tweet["in_reply_to_screen_name"] = "benchkommun"
            fh.write(("" if i == 0 else ",") + "\n  " + json.dumps({"tweet": tweet}, ensure_ascii=False))
        fh.write("\n]\n")
    return os.path.getsize(path)


CHILD = r"""
import io, json, os, sys, time
sys.path.insert(0, {repo!r})
from benchmarks._django import setup, make_account
data_dir = setup("insyn-bench-import-")
make_account(platform="x", external_id={account!r}, handle="benchkommun")
from django.core.management import call_command
out = io.StringIO()
cpu, wall = time.process_time(), time.perf_counter()
call_command("import", "x-archive", {path!r}, "--account", "benchkommun", "--every", "100000", stdout=out)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
from insyn.archive.models import Item
from insyn.eventlog.log import verify
print(json.dumps({{"items": Item.objects.count(), "cpu": cpu, "wall": wall, "summary": out.getvalue().strip(),
                   "chain_ok": verify().ok, "data_dir": data_dir}}))
"""


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else int(os.environ.get("INSYN_BENCH_IMPORT_ITEMS", "1000000"))
    root = tempfile.mkdtemp(prefix="insyn-bench-x-archive-")
    try:
        started = time.perf_counter()
        size = write_archive(root, n)
        print(f"wrote data/tweets.js: {n:,} tweets, {size / 1e6:,.0f} MB in {time.perf_counter() - started:.0f} s",
              flush=True)
        code = CHILD.format(repo=os.path.dirname(HERE), account=ACCOUNT_ID, path=root)
        env = {**os.environ, "INSYN_STATIC_FROM_FINDERS": "true"}
        env.pop("INSYN_DATA_DIR", None)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: kilobytes
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            raise SystemExit(f"import failed with exit code {proc.returncode}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        shutil.rmtree(result["data_dir"], ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert result["items"] == n, result
    assert result["chain_ok"]
    result.update(n=n, peak_rss_mb=peak_mb, items_per_s_cpu=n / result["cpu"], items_per_s_wall=n / result["wall"])
    print(result["summary"])
    print(f"import x-archive: {n:,} items in {result['cpu']:.0f} s CPU ({result['wall']:.0f} s wall) = "
          f"{result['items_per_s_cpu']:,.0f} items/s CPU, {result['items_per_s_wall']:,.0f} items/s wall")
    verdict = "met" if peak_mb < TARGET_MB else "NOT met"
    print(f"peak resident memory of the import process: {peak_mb:,.0f} MB (target < {TARGET_MB} MB: {verdict})")
    return result


if __name__ == "__main__":
    main()
