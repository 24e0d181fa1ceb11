"""The imports page: who may see it, what it shows, escaped."""

from __future__ import annotations

import pytest

from insyn.capture.imports.actions import run_import
from tests.conftest import login

from .conftest import FIXTURES


@pytest.mark.django_db
def test_samordnare_sees_runs_with_status_and_errors(client, world, x_account):
    run_import("x-archive", str(FIXTURES / "x_archive" / "malformed"), x_account)
    response = login(client, world.samordnare).get("/arkiv/importer/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ånge kommun" in html and "x-archive" in html and "Klar" in html
    assert "X-arkiv" in html  # the kind's name for people, besides its command-line name
    assert "data/tweets.js, post 3" in html and "2 fel" in html


@pytest.mark.django_db
def test_only_samordnare_and_granskare_may_see_it(client, world, x_account):
    assert client.get("/arkiv/importer/").status_code == 302  # to the login page
    assert login(client, world.kom_a).get("/arkiv/importer/").status_code == 403
    client.logout()
    assert login(client, world.granskare).get("/arkiv/importer/").status_code == 200


@pytest.mark.django_db
def test_a_granskare_sees_only_runs_of_accounts_in_their_units(client, world, make_account, tmp_path):
    from .test_resume import write_archive

    other = make_account(actor=world.kom_b, platform="x", handle="ifo", url="https://x.com/ifo", unit=world.unit_b,
                         responsible=world.kom_b, administrators=[world.kom_b, world.chef_b], status="aktivt",
                         confidential_justification="Beslut om information om öppettider")
    run_import("x-archive", str(write_archive(tmp_path / "x", 3)), other)
    html = login(client, world.granskare).get("/arkiv/importer/").content.decode()
    assert "Inga importer ännu." in html


@pytest.mark.django_db
def test_error_messages_are_escaped(client, world, x_account, tmp_path):
    from .test_resume import write_archive

    folder = write_archive(tmp_path / "x", 2)
    tweets = folder / "data" / "tweets.js"
    tweets.write_text(tweets.read_text().replace('"Mon Mar 03 07:00:01 +0000 2025"', '"<script>alert(1)</script>"'))
    run_import("x-archive", str(folder), x_account)
    html = login(client, world.samordnare).get("/arkiv/importer/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
