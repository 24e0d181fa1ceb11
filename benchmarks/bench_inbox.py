"""The inbox page: p50/p95 server time with many open cases over a large archive.

Builds N archived items (default 1,000,000) over 20 accounts in 5 units, and 10,000 open
cases on the newest of them with random labels and deadlines, then requests the inbox as a
kommunikatör whose unit covers every account (the unit filter is applied) and as a
samordnare: the full page, the 10-second live partial, filtered by a label, and page 50.
Times are measured around Django's test client in-process: view, ORM, template rendering
and middleware, no network.

    python benchmarks/bench_inbox.py [N_ITEMS] [N_CASES]
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

REQUESTS = int(os.environ.get("INSYN_BENCH_REQUESTS", "200"))
ACCOUNTS = 20
UNITS = 5
WORDS = ("snöröjning", "simhallen", "bygglov", "sophämtning", "vägarbete", "skolval", "biblioteket", "parkering",
         "vattenläcka", "förskolan", "budget", "cykelbanan", "badplatsen", "hemtjänsten", "återvinning")
NAMES = ("Anna Andersson", "Per Persson", "Maja Ek", "Olle Berg", "Karin Lund", "Ali Hassan", "Eva Nilsson")
LABELS = (["svar"], ["svar"], ["svar"], ["spam"], ["personangrepp_fortal"], ["telefon"], ["fel_myndighet"],
          ["meddelande"], ["svar", "adress"])


def build(n_items: int, n_cases: int, rng: random.Random):
    from django.db import transaction

    from benchmarks._django import make_account
    from insyn.archive.models import Item, ItemVersion, VersionTriage
    from insyn.inbox.models import Case, labels_text
    from insyn.lib.hashing import sha256_hex
    from insyn.registry import actions
    from insyn.registry.models import Account, Role, Unit

    first = make_account()
    authority, top = first.authority, first.unit
    units = [top] + [actions.create_unit(authority, f"Enhet {i}", Unit.Kind.ENHET, parent=top) for i in range(1, UNITS)]
    accounts = [first]
    for i in range(1, ACCOUNTS):
        accounts.append(Account.objects.create(
            organisation=first.organisation, authority=authority, unit=units[i % UNITS], platform="facebook_page",
            name=f"Konto {i}", handle=f"bench{i}", url=f"https://www.facebook.com/bench{i}", external_id=str(9000 + i),
            purpose="x", target_group="x", message="x", responsible=first.responsible, status="aktivt", is_draft=False))
    kom = actions.create_person("bench_kom", email="kom@bench.example")
    actions.grant_role(kom, top, Role.KOMMUNIKATOR)
    boss = actions.create_person("bench_samordnare", email="s@bench.example")
    actions.grant_role(boss, top, Role.SAMORDNARE)
    for user in (kom, boss):
        try:
            actions.acknowledge_policy(user)
        except Exception:  # no policy loaded: nothing to acknowledge
            pass

    t0 = datetime.now(UTC) - timedelta(days=3 * 365)
    span = (datetime.now(UTC) - t0).total_seconds()
    batch = 5000
    for start in range(0, n_items, batch):
        rows = []
        for i in range(start, min(n_items, start + batch)):
            text = f"{rng.choice(WORDS)} {rng.choice(WORDS)}? {i}"
            when = t0 + timedelta(seconds=span * i / n_items)
            rows.append(Item(account=accounts[i % ACCOUNTS], platform_id=f"i{i}", kind="comment",
                             direction="inkommen", record_type="public_comment", author_name=rng.choice(NAMES),
                             created_at=when, inkommen_at=when, text=text, text_sha256=sha256_hex(text),
                             version_count=1, thread_platform_id=f"post{i // 20}"))
        with transaction.atomic():
            Item.objects.bulk_create(rows)
        if start and start % 200_000 == 0:
            print(f"  … {start:,} items", flush=True)

    # Cases on the newest items: a version, a triage result and an open case each.
    newest = list(Item.objects.order_by("-id").values_list("id", "text", "created_at", "account_id")[:n_cases])
    now = datetime.now(UTC)
    for start in range(0, len(newest), batch):
        chunk = newest[start:start + batch]
        with transaction.atomic():
            ItemVersion.objects.bulk_create([
                ItemVersion(item_id=pk, number=1, text=text, sha256=sha256_hex(text), captured_at=when)
                for pk, text, when, _ in chunk])
            versions = dict(ItemVersion.objects.filter(item_id__in=[c[0] for c in chunk]).values_list("item_id", "id"))
            VersionTriage.objects.bulk_create([
                VersionTriage(version_id=versions[pk], model_version="bench", needs_answer=True, topic="ovrigt")
                for pk, *_ in chunk])
            triages = dict(VersionTriage.objects.filter(version_id__in=versions.values()).values_list("version_id", "id"))
            cases = []
            for pk, _text, when, account_id in chunk:
                labels = rng.choice(LABELS)
                due = now + timedelta(hours=rng.uniform(-48, 72))
                cases.append(Case(
                    item_id=pk, account_id=account_id, version_id=versions[pk], triage_id=triages[versions[pk]],
                    state=rng.choice(["ny", "ny", "tilldelad", "vidarebefordrad"]), needs_answer="svar" in labels,
                    topic="ovrigt", moderation=[m for m in labels if m in ("spam", "personangrepp_fortal")],
                    sensitive=[s for s in labels if s in ("telefon", "adress")], is_message="meddelande" in labels,
                    wrong_authority="Polisen" if "fel_myndighet" in labels else "",
                    labels=labels_text(needs_answer="svar" in labels,
                                       moderation=[m for m in labels if m in ("spam", "personangrepp_fortal")],
                                       sensitive=[s for s in labels if s in ("telefon", "adress")],
                                       wrong_authority="Polisen" if "fel_myndighet" in labels else "",
                                       is_message="meddelande" in labels),
                    received_at=when, response_rule="next_working_day_end", due_at=due,
                    reminder_at=due - timedelta(hours=2)))
            Case.objects.bulk_create(cases)
    return kom, boss, accounts


def measure(client, url: str, headers: dict | None = None) -> dict[str, float]:
    """Wall time and CPU time per request, p50 and p95. The database (SQLite) runs in this
    process, so CPU time is the server's work without waiting for other load on the machine;
    on PostgreSQL it leaves out the database server's share, so both are printed."""
    client.get(url, headers=headers or {})  # warm up
    wall, cpu = [], []
    for _ in range(REQUESTS):
        w, c = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers or {})
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    wall.sort(), cpu.sort()
    p95 = int(len(wall) * 0.95) - 1
    return {"p50": statistics.median(wall), "p95": wall[p95], "cpu_p50": statistics.median(cpu), "cpu_p95": cpu[p95]}


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    n_items = int(argv[0]) if argv else 1_000_000
    n_cases = int(argv[1]) if len(argv) > 1 else 10_000
    os.environ.setdefault("INSYN_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("INSYN_REQUIRE_TWO_FACTOR", "false")
    from benchmarks._django import setup

    setup()
    from django.db import connection
    from django.test import Client

    rng = random.Random(5)
    started = time.perf_counter()
    kom, boss, accounts = build(n_items, n_cases, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"built {n_items:,} items and {n_cases:,} open cases in {time.perf_counter() - started:.0f} s "
          f"({connection.vendor})")
    results = {}
    for who, user in (("kommunikatör (unit filter)", kom), ("samordnare", boss)):
        client = Client()
        client.force_login(user)
        for name, url, headers in (
            ("page", "/inkorg/", None),
            ("live partial", "/inkorg/", {"HX-Request": "true"}),
            ("label filter", "/inkorg/?etikett=telefon", None),
            ("account filter", f"/inkorg/?konto={accounts[3].pk}", None),
            ("page 50", "/inkorg/?sida=50", None),
        ):
            m = measure(client, url, headers)
            results[f"{who}: {name}"] = m
            print(f"inbox {who}, {name}: wall p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms; "
                  f"cpu p50 {m['cpu_p50']:.1f} ms, p95 {m['cpu_p95']:.1f} ms (target p95 ≤ 150 ms)", flush=True)
    return {"items": n_items, "cases": n_cases, "results": results}


if __name__ == "__main__":
    main()
