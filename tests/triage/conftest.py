"""Triage is a pure Python package: its tests need no database and no Django settings.

When the suite runs with ``-p no:django`` (before the project's settings existed), the root
conftest's autouse fixture still asks for pytest-django's ``settings``; a stand-in keeps
these tests independent of Django.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

if not any(name.startswith("pytest_django") for name in sys.modules):

    @pytest.fixture
    def settings() -> SimpleNamespace:
        return SimpleNamespace()
