"""Deadlines per second for 100,000 random received times under each default rule.

.venv/bin/python benchmarks/bench_sla.py [--count N] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from insyn.lib.deadlines import DEFAULT_CRISIS_RULE, DEFAULT_RULES, deadline, reminder_at


def received_times(count: int, seed: int) -> list[dt.datetime]:
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    span = int((dt.datetime(2031, 1, 1, tzinfo=dt.UTC) - start).total_seconds())
    return [start + dt.timedelta(seconds=rng.randrange(span)) for _ in range(count)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    times = received_times(args.count, args.seed)
    deadline(times[0], DEFAULT_RULES["next_working_day_end"])  # build the calendar first

    cases = [(name, rule, None) for name, rule in DEFAULT_RULES.items()]
    cases.append(
        (
            "next_working_day_end + crisis",
            DEFAULT_RULES["next_working_day_end"],
            DEFAULT_CRISIS_RULE,
        )
    )
    for name, rule, crisis in cases:
        began = time.perf_counter()
        for received in times:
            deadline(received, rule, crisis=crisis)
        elapsed = time.perf_counter() - began
        print(f"deadline {name:32} {args.count / elapsed:>10,.0f} deadlines/s")

    rule = DEFAULT_RULES["next_working_day_end"]
    dues = [deadline(received, rule) for received in times]
    began = time.perf_counter()
    for received, due in zip(times, dues, strict=True):
        reminder_at(received, due, rule)
    elapsed = time.perf_counter() - began
    print(f"reminder_at {'next_working_day_end':29} {args.count / elapsed:>10,.0f} reminders/s")


if __name__ == "__main__":
    main()
