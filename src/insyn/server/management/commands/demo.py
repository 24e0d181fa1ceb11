from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from insyn.registry.demo import DEMO_PASSWORD, PEOPLE, demo_totp_secret, load_demo


class Command(BaseCommand):
    help = "Run Insyn on 127.0.0.1 with SQLite and a fictional demo organisation, until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Only prepare the database.")

    def handle(self, *args, port, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        created = load_demo()
        self.stdout.write(self.style.SUCCESS(
            "Demo-organisationen Älvby kommun är " + ("skapad." if created else "redan inläst.")))
        self._print_logins(port)
        if no_serve:
            return
        env = {**os.environ, "INSYN_DATA_DIR": str(settings.DATA_DIR)}
        children = [
            subprocess.Popen([sys.executable, "-m", "insyn.cli", "serve", "--port", str(port)], env=env),
        ]
        stop = {"now": False}

        def on_signal(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            while not stop["now"] and all(c.poll() is None for c in children):
                time.sleep(0.3)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("Insyn har stoppats.")

    def _print_logins(self, port: int) -> None:
        w = self.stdout.write
        w("")
        w(f"  Öppna http://127.0.0.1:{port}/  (publik lista: http://127.0.0.1:{port}/konton/)")
        w(f"  Alla demokonton har lösenordet: {DEMO_PASSWORD}")
        for p in PEOPLE:
            w(f"    {p.username:<22} {p.role:<14} {p.unit}")
        w(f"    {'admin':<22} {'superuser':<14} /admin/")
        w(f"  Samordnaren loggar in med tvåfaktor: lägg in nyckeln {demo_totp_secret()} i en")
        w("  autentiseringsapp, eller visa aktuell kod med:  .venv/bin/insyn demo_code samordnare")
        w("  Avsluta med Ctrl-C.")
        w("")
