"""`insyn triage train` on a database that was never set up: a clear error, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys


def test_train_without_a_database_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSYN_DATABASE")}
    env["INSYN_DATA_DIR"] = str(tmp_path / "fresh")
    out = subprocess.run(
        [sys.executable, "-m", "insyn.cli", "triage", "train", "--out-dir", str(tmp_path / "m")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 2
    assert "insyn migrate" in out.stderr and "--no-decisions" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "m").exists()  # nothing trained, nothing written
