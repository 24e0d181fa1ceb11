from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from insyn.registry.demo import DEMO_PASSWORD, PEOPLE, demo_totp_secret, load_demo
from insyn.server import demo_records
from insyn.server.demo_capture import DEMO_APP_SECRET, DEMO_VERIFY_TOKEN, attach_simulator


class Command(BaseCommand):
    help = ("Run Insyn on 127.0.0.1 with SQLite, a fictional demo organisation, the platform simulator "
            "and the background worker, until Ctrl-C.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--simulator-port", type=int, default=8765)
        parser.add_argument("--tick-seconds", type=float, default=6.0, help="how often simulated residents write")
        parser.add_argument("--no-serve", action="store_true", help="only prepare the database")

    def handle(self, *args, port, simulator_port, tick_seconds, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        created = load_demo()
        demo_records.prepare()
        self.stdout.write(self.style.SUCCESS(
            "Demo-organisationen Älvby kommun är " + ("skapad." if created else "redan inläst.")))
        if no_serve:
            self._print_logins(port)
            return
        env = {
            **os.environ,
            "INSYN_DATA_DIR": str(settings.DATA_DIR),
            "INSYN_FACEBOOK_APP_SECRET": DEMO_APP_SECRET,
            "INSYN_FACEBOOK_VERIFY_TOKEN": DEMO_VERIFY_TOKEN,
            "INSYN_FACEBOOK_GRAPH_URL": f"http://127.0.0.1:{simulator_port}",
        }
        children: list[subprocess.Popen] = []
        stop = {"now": False}

        def on_signal(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            simulator = subprocess.Popen(
                [sys.executable, "-m", "insyn.simulator", "--port", str(simulator_port),
                 "--webhook-url", f"http://127.0.0.1:{port}/webhooks/facebook", "--app-secret", DEMO_APP_SECRET,
                 "--verify-token", DEMO_VERIFY_TOKEN, "--tick-seconds", str(tick_seconds),
                 "--data-dir", str(settings.DATA_DIR / "simulator"), "--kommun", "Älvby kommun",
                 "--mastodon-username", "alvby", "--history-days", "2",
                 "--bluesky-handle", "alvbykommun.bsky.social",
                 "--instagram-username", "alvbykommun", "--youtube-title", "Kulturskolan Älvby",
                 "--instagram-webhook-url", f"http://127.0.0.1:{port}/webhooks/instagram"],
                env=env, stdout=subprocess.PIPE, text=True,
            )
            children.append(simulator)
            line = simulator.stdout.readline()
            if not line:
                raise CommandError(f"Plattformssimulatorn startade inte (är porten {simulator_port} upptagen?)")
            attach_simulator(json.loads(line))
            children.append(subprocess.Popen([sys.executable, "-m", "insyn.cli", "serve", "--port", str(port)], env=env))
            children.append(subprocess.Popen([sys.executable, "-m", "insyn.cli", "worker"], env=env))
            self._print_logins(port)
            records_done, next_records_step = False, 0.0
            while not stop["now"] and all(c.poll() is None for c in children):
                if not records_done and time.monotonic() >= next_records_step:
                    # The records examples that need archive items wait for capture (demo_records.py).
                    next_records_step = time.monotonic() + 5
                    try:
                        records_done = demo_records.advance()
                    except Exception as exc:  # the demo goes on without them
                        records_done = True
                        self.stderr.write(f"Demodata för diarium och arkiv kunde inte skapas: {exc!r}")
                time.sleep(0.3)
        finally:
            for child in reversed(children):
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
        w("  Simulerade invånare skriver på Facebooksidan, Instagram, Mastodon, Bluesky, bloggen och")
        w("  Kulturskolans YouTube-kanal; se Arkiv och Inkorg i menyn.")
        data_dir = f"INSYN_DATA_DIR={settings.DATA_DIR} " if "INSYN_DATA_DIR" in os.environ else ""
        w("  Prova en import av ett X-arkiv och en Facebookexport (samordnaren ser dem under Importer):")
        w(f"    {data_dir}.venv/bin/insyn import x-archive tests/fixtures/x_archive/archive --account alvbykommun")
        w(f"    {data_dir}.venv/bin/insyn import facebook-dyi tests/fixtures/facebook_dyi/export --account alvbykommun")
        w(f"  Alla demokonton har lösenordet: {DEMO_PASSWORD}")
        for p in PEOPLE:
            w(f"    {p.username:<22} {p.role:<14} {p.unit}")
        w(f"    {'admin':<22} {'superuser':<14} /admin/")
        w("  Arkivfunktionerna: arkivarie ser Gallring (ett beslut finns), E-arkiv (en leverans byggs) och")
        w("  Ögonblicksbilder (Mastodonkontots är försenad); registrator har en begäran om allmän handling")
        w("  under Utlämnande; granskare söker i loggen under Utlämnande → GDPR.")
        w(f"  Samordnaren loggar in med tvåfaktor: lägg in nyckeln {demo_totp_secret()} i en")
        w("  autentiseringsapp, eller visa aktuell kod med:  .venv/bin/insyn demo_code samordnare")
        w("  Avsluta med Ctrl-C.")
        w("")
