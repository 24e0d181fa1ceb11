"""Typed helpers that read settings from the environment.

Only ``insyn.settings`` calls these; the rest of the code reads ``django.conf.settings``.
Every helper accepts a ``NAME_FILE`` variant so secrets can come from mounted files
(systemd credentials, Kubernetes secrets) instead of the process environment.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

_TRUE = {"1", "true", "yes", "on", "ja"}
_FALSE = {"0", "false", "no", "off", "nej", ""}


def env_str(name: str, default: str = "") -> str:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name, "").strip().lower()
    if not raw and name not in os.environ:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name, "").strip()
    if not raw:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_secret(name: str, data_dir: Path, filename: str, generate) -> str:
    """A secret from the environment, else from ``data_dir/filename``, else generated there.

    The generated file is created with mode 0600 so a demo or a first installation is
    secure by default and keeps the same secret across restarts.
    """
    value = env_str(name, "").strip()
    if value:
        return value
    path = data_dir / filename
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = generate()
    # Several processes may start at once on a new data dir (web, worker, simulator): write a
    # private temporary file, then link it into place, which either wins whole or fails —
    # and the loser reads the winner's complete file.
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=f".{filename}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(value + "\n")
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
    finally:
        os.unlink(tmp)
    return value


def random_secret_key() -> str:
    return secrets.token_urlsafe(50)
