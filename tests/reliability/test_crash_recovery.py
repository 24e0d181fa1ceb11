"""Kill -9 the web server and the worker at random moments while webhook events and polls
arrive; after a restart every item is in the archive exactly once.

Real processes (`insyn serve`, `insyn worker`) on a database of their own (a SQLite file, or
a fresh PostgreSQL database when INSYN_DATABASE_URL points at PostgreSQL), fed by the
simulator over HTTP with signed webhooks. Nothing here is mocked.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from insyn.simulator import WebhookConfig, start_in_thread

SECRET = "crash-test-app-secret"
EVENTS_TARGET = 2000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(tmp_path: Path) -> tuple[str, callable]:
    url = os.environ.get("INSYN_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'crash.sqlite3'}", lambda: None
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"insyn_crash_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


class Insyn:
    def __init__(self, env: dict, port: int, log_dir: Path):
        self.env, self.port, self.log_dir = env, port, log_dir
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.kills = 0

    def run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "insyn.cli", *args], env=self.env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"insyn {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def _spawn(self, *args: str, name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        return subprocess.Popen([sys.executable, "-m", "insyn.cli", *args], env=self.env, stdout=log, stderr=log)

    def start_web(self):
        self.web = self._spawn("serve", "--port", str(self.port), "--workers", "1", name="web")

    def start_worker(self):
        self.worker = self._spawn("worker", "--interval", "0.2", name="worker")

    def kill(self, which: str):
        proc = getattr(self, which)
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if which == "web":
                # gunicorn's workers are children of the master; make sure none survive.
                subprocess.run(["pkill", "-9", "-f", f"serve --port {self.port}"], check=False)
            self.kills += 1

    def stop(self):
        for proc in (self.web, self.worker):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        subprocess.run(["pkill", "-9", "-f", f"serve --port {self.port}"], check=False)

    def wait_for_web(self, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("web server did not start")


def _fb_ids(world, *, deleted_only: bool = False) -> set[str]:
    records = [*world.posts.values(), *world.comments.values()]
    ids = {r.id for r in records if not deleted_only or r.deleted_at is not None}
    if not deleted_only:
        ids |= {m.id for m in world.messages.values()}
    return ids


def test_kill_9_during_capture_loses_and_duplicates_nothing(tmp_path):
    port = _free_port()
    db_url, drop_db = _database_url(tmp_path)
    env = {**os.environ, "INSYN_DATA_DIR": str(tmp_path), "INSYN_DATABASE_URL": db_url,
           "INSYN_FACEBOOK_APP_SECRET": SECRET, "INSYN_FACEBOOK_VERIFY_TOKEN": "v",
           "INSYN_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
           "INSYN_STATIC_FROM_FINDERS": "true", "INSYN_LOG_LEVEL": "WARNING"}
    sim_handle = start_in_thread(seed=5, port=0, mastodon_port=0)
    sim = sim_handle.simulator
    insyn = Insyn(env, port, tmp_path)
    try:
        world = sim.seed_default_world(history_days=1)
        page, masto = world["page"], world["mastodon_account"]
        # Items created and deleted before Insyn was connected can never be captured.
        gone_before_start = _fb_ids(sim.world, deleted_only=True)
        insyn.run("migrate")
        insyn.run("account", "add", "--platform", "facebook_page", "--external-id", page["page_id"], "--handle",
                  "crashkommun", "--token", page["token"], "--base-url", sim_handle.url, "--organisation", "Krashby kommun")
        host = sim_handle.mastodon_url.split("://", 1)[1]
        insyn.run("account", "add", "--platform", "mastodon", "--external-id", masto["account_id"], "--handle",
                  f"@{masto['username']}@{host}", "--token", masto["token"], "--base-url", sim_handle.mastodon_url)
        sim.configure_webhook(WebhookConfig(f"http://127.0.0.1:{port}/webhooks/facebook", SECRET, timeout=2.0,
                                            max_attempts=1000, retry_base=0.2, retry_cap=2.0))
        sim.webhooks.start()
        insyn.start_web()
        insyn.start_worker()
        insyn.wait_for_web()

        rng = random.Random(3)
        events = 0
        next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
        while events < EVENTS_TARGET or insyn.kills < 8:
            events += len(sim.tick(5))
            if time.monotonic() >= next_kill:
                which = rng.choice(["web", "worker", "web", "worker", "both"])
                for w in (["web", "worker"] if which == "both" else [which]):
                    insyn.kill(w)
                time.sleep(rng.uniform(0.0, 0.5))
                if insyn.web.poll() is not None:
                    insyn.start_web()
                if insyn.worker.poll() is not None:
                    insyn.start_worker()
                next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
            time.sleep(0.05)
        assert insyn.kills >= 8

        # Settle: every webhook delivered, then a full pass of both accounts.
        insyn.wait_for_web()
        deadline = time.monotonic() + 240
        while sim.webhooks.pending_count() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert sim.webhooks.pending_count() == 0, "webhooks still undelivered"
        insyn.stop()
        insyn.run("capture", "crashkommun", "--full")
        insyn.run("capture", f"@{masto['username']}@{host}", "--full")
        insyn.run("worker", "--once")
        records = [json.loads(line) for line in insyn.run("export", "--format", "jsonl").splitlines()]
        by_account: dict[str, list[str]] = {}
        for r in records:
            by_account.setdefault(r["platform"], []).append(r["platform_id"])
        fb_ids = by_account.get("facebook_page", [])
        assert len(fb_ids) == len(set(fb_ids))
        lost = _fb_ids(sim.world) - gone_before_start - set(fb_ids)
        assert not lost, f"{len(lost)} items lost, e.g. {sorted(lost)[:5]}"
        masto_ids = by_account.get("mastodon", [])
        assert len(masto_ids) == len(set(masto_ids)) and masto_ids
        assert "OK" in insyn.run("verify")
    finally:
        insyn.stop()
        sim_handle.stop()
        drop_db()
