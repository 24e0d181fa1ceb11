from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def x_account(make_account):
    return make_account(platform="x", name="Ånge kommun", handle="angekommun", url="https://x.com/angekommun",
                        external_id="1234567890", status="aktivt")


@pytest.fixture
def fb_account(make_account):
    return make_account(platform="facebook_page", name="Ånge kommun", handle="angekommun",
                        url="https://www.facebook.com/angekommun", external_id="900100200300", status="aktivt")


@pytest.fixture
def x_export(tmp_path):
    """A private copy of the recorded X archive (tests may change it)."""
    return Path(shutil.copytree(FIXTURES / "x_archive" / "archive", tmp_path / "twitter-2025-03-10"))


def zipped(folder: Path, target: Path) -> Path:
    """The folder as the platform delivers it: one .zip with the folder's content at its root."""
    return Path(shutil.make_archive(str(target), "zip", root_dir=folder))
