"""`make bench`: every benchmark in turn, each in its own process (fresh data directory)."""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHES = [
    ("Triage", "bench_triage.py", []),
    ("Deadlines", "bench_sla.py", []),
    ("Capture → archive", "bench_capture.py", []),
    ("Inbox", "bench_inbox.py", []),
    ("Search", "bench_search.py", [os.environ.get("INSYN_BENCH_SEARCH_ITEMS", "1000000")]),
    ("Import of an X archive", "bench_import.py", [os.environ.get("INSYN_BENCH_IMPORT_ITEMS", "1000000")]),
]


def main() -> int:
    failed = 0
    for title, script, args in BENCHES:
        path = os.path.join(HERE, script)
        if not os.path.exists(path):
            continue
        print(f"\n== {title}", flush=True)
        failed += subprocess.call([sys.executable, path, *args], cwd=os.path.dirname(HERE)) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
