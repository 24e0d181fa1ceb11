"""Concurrent registrations get consecutive, unique numbers (SQLite and PostgreSQL alike)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from datetime import date

import pytest
from django.db import connection, connections

from insyn.records import actions
from insyn.records.models import DiariumSeries, Registration

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS, EACH = 6, 5


def test_parallel_registrations_are_gap_free_and_unique(world):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads on one in-memory database share its cache, whose locks fail instead of
        # waiting. Production SQLite is a file used by several processes: test that instead.
        return _parallel_processes(world)
    errors: list[BaseException] = []
    barrier = threading.Barrier(WORKERS)

    def work():
        try:
            barrier.wait()
            for _ in range(EACH):
                actions.register_document(world.registrator, authority=world.ks, received_or_drawn_up=date(2026, 3, 2),
                                          counterpart="", subject="Parallell registrering", sekretess=False)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    seqs = sorted(Registration.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, WORKERS * EACH + 1))
    assert DiariumSeries.objects.get().last_seq == WORKERS * EACH
    assert Registration.objects.values("diarienummer").distinct().count() == WORKERS * EACH


SCRIPT = textwrap.dedent("""
    import sys, time, django
    django.setup()
    from datetime import date
    from insyn.records import actions
    from insyn.registry.models import Authority, User
    user, ks = User.objects.get(username="registrator"), Authority.objects.get(diarium_prefix="KS")
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # start together
    for _ in range(int(sys.argv[1])):
        actions.register_document(user, authority=ks, received_or_drawn_up=date(2026, 3, 2), counterpart="",
                                  subject="Parallell registrering", sekretess=False)
""")


def _parallel_processes(world):
    import sqlite3
    import tempfile

    folder = tempfile.mkdtemp(prefix="insyn-seq-")
    path = os.path.join(folder, "db.sqlite3")
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.execute("PRAGMA journal_mode=WAL")
    target.close()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "insyn.settings", "INSYN_DATABASE_URL": f"sqlite:///{path}",
           "INSYN_DATA_DIR": folder}
    import time

    start = str(time.time() + 4)
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT, str(EACH), start], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(WORKERS)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
    db = sqlite3.connect(path)
    seqs = sorted(row[0] for row in db.execute("SELECT seq FROM records_registration"))
    numbers = {row[0] for row in db.execute("SELECT diarienummer FROM records_registration")}
    last = db.execute("SELECT last_seq FROM records_diariumseries").fetchall()
    db.close()
    assert seqs == list(range(1, WORKERS * EACH + 1))
    assert len(numbers) == WORKERS * EACH and last == [(WORKERS * EACH,)]
