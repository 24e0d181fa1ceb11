"""The simulator stands alone: no Django, nothing from insyn.capture (and vice versa)."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import insyn.simulator

PACKAGE = pathlib.Path(insyn.simulator.__file__).parent
SRC = PACKAGE.parent


def imported_modules(path: pathlib.Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_simulator_imports_neither_django_nor_capture() -> None:
    for path in PACKAGE.rglob("*.py"):
        for name in imported_modules(path):
            assert not name.startswith(("django", "insyn.capture")), f"{path.name} imports {name}"
            if name.startswith("insyn"):
                assert name.startswith("insyn.simulator"), f"{path.name} imports {name}"


def test_capture_does_not_import_the_simulator() -> None:
    capture = SRC / "capture"
    for path in capture.rglob("*.py") if capture.exists() else []:
        assert not any(n.startswith("insyn.simulator") for n in imported_modules(path)), path


def test_importing_the_simulator_loads_no_django() -> None:
    code = "import sys, insyn.simulator; print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
