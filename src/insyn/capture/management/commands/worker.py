from __future__ import annotations

import os
import signal
import socket
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from insyn.archive.media import fetch_pending_media
from insyn.archive.triage_step import triage_pending
from insyn.capture import actions
from insyn.inbox.tasks import worker_step as inbox_step
from insyn.records.snapshots.schedule import worker_step as snapshot_step
from insyn.records.tasks import schedule_due_gallring


class Command(BaseCommand):
    help = "Run the background worker: due polls and queued tasks (Django Tasks, database backend)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between rounds when idle")
        parser.add_argument("--once", action="store_true", help="one round, then exit (for cron and tests)")
        parser.add_argument("--worker-id", default=f"{socket.gethostname()}-{os.getpid()}")

    def handle(self, *args, interval, once, worker_id, **options):
        from django_tasks_db.management.commands.db_worker import Worker

        self.running = True

        def stop(signum, frame):
            self.running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        tasks = Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                       max_tasks=None, worker_id=worker_id, excluded_queue_names=[])
        self.stdout.write(f"Insyn worker {worker_id} startar.")
        while self.running:
            close_old_connections()
            claimed = actions.claim_due(worker_id)
            for connection in claimed:
                if not self.running:
                    break
                report = actions.poll(connection)
                self.stdout.write(f"{connection.account.handle}: {report.pages} sidor"
                                  f"{' (fullständig genomgång)' if report.full else ''}"
                                  f"{' – fel: ' + report.error if report.error else ''}")
            tasks.run()
            swept = actions.process_pending(limit=500)
            swept += triage_pending()
            swept += inbox_step()  # cases for what triage found; reminders, escalation
            swept += fetch_pending_media()
            swept += schedule_due_gallring()
            swept += snapshot_step()  # due snapshots (R25): a draft and one reminder each
            if once:
                break
            if not claimed and not swept:
                time.sleep(interval)
        self.stdout.write("Insyn worker stoppad.")
