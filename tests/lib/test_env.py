"""Secrets generated into the data dir: created once, private, and safe when several processes
start together on a new data dir."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from insyn.lib.env import env_secret


def test_secret_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("INSYN_X", raising=False)
    first = env_secret("INSYN_X", tmp_path, "x_key", lambda: "abc123")
    again = env_secret("INSYN_X", tmp_path, "x_key", lambda: "other")
    assert first == again == "abc123"
    assert stat.S_IMODE(os.stat(tmp_path / "x_key").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["x_key"]  # no temporary files left


def test_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("INSYN_X", "from-env")
    assert env_secret("INSYN_X", tmp_path, "x_key", lambda: "abc") == "from-env"
    assert not (tmp_path / "x_key").exists()


def test_processes_starting_together_agree_on_one_secret(tmp_path):
    code = ("import sys, secrets; from pathlib import Path; from insyn.lib.env import env_secret; "
            "print(env_secret('INSYN_NONE_SET', Path(sys.argv[1]), 'race_key', lambda: secrets.token_hex(8)))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
             for _ in range(8)]
    results = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(results) == 1 and results == {(tmp_path / "race_key").read_text().strip()}
