"""The snapshot pages through the Django test client: unit-scoped access (404 for accounts one
may not know of, 403 for those one sees but does not work with), ordering, editing, saving,
and logged downloads."""

from __future__ import annotations

import pytest

from insyn.eventlog.models import Event
from insyn.records.snapshots import actions
from insyn.records.snapshots.models import Snapshot
from tests.conftest import login

from .conftest import END, START

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(period_world, world):
    snapshot = actions.start_snapshot(world.kom_a, period_world["account"], period_start=START, period_end=END,
                                      enqueue=False)
    return actions.generate_snapshot(snapshot.pk, steps=("summary", "pdf", "warc"))


def test_overview_and_account_page_show_due_date_and_drafts(client, world, period_world, generated):
    login(client, world.kom_a)
    page = client.get("/ogonblicksbilder/")
    assert page.status_code == 200
    assert period_world["account"].name in page.content.decode()
    assert "Granska utkastet" in page.content.decode()
    assert 'href="/ogonblicksbilder/"' in client.get("/").content.decode()   # in the menu
    page = client.get(f"/ogonblicksbilder/konto/{period_world['account'].pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nästa ögonblicksbild senast" in body and "Ta ögonblicksbild nu" in body
    assert "2026-03-01 – 2026-04-01" in body


def test_the_menu_offers_snapshots_only_to_those_who_work_with_them(client, world, arkivarie):
    for user, shown in ((world.kom_a, True), (arkivarie, True), (world.samordnare, True),
                        (world.granskare, False), (world.registrator, False)):
        page = login(client, user).get("/").content.decode()
        assert ('href="/ogonblicksbilder/"' in page) is shown, user.username


def test_other_units_get_404_and_non_workers_403(client, world, period_world, generated, arkivarie):
    account = period_world["account"]
    urls = [f"/ogonblicksbilder/konto/{account.pk}/", f"/ogonblicksbilder/{generated.pk}/",
            f"/ogonblicksbilder/{generated.pk}/fil/pdf/"]
    login(client, world.kom_b)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/ogonblicksbilder/konto/{account.pk}/ta/").status_code == 404
    assert client.post(f"/ogonblicksbilder/{generated.pk}/spara/").status_code == 404
    assert account.name not in client.get("/ogonblicksbilder/").content.decode()
    login(client, world.granskare)  # sees the account in the register, does not work with snapshots
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/ogonblicksbilder/{generated.pk}/sammanfattning/", {"summary_text": "x"}).status_code == 403
    login(client, arkivarie)
    for url in urls[:2]:
        assert client.get(url).status_code == 200, url
    client.logout()
    assert client.get(urls[1]).status_code == 302  # to the login page
    assert not Event.objects.filter(kind="snapshot.file_read").exists()
    generated.refresh_from_db()
    assert not generated.is_saved and generated.summary_text != "x"


def test_take_now_orders_a_snapshot_and_rejects_a_bad_period(client, world, period_world):
    account = period_world["account"]
    login(client, world.kom_a)
    bad = client.post(f"/ogonblicksbilder/konto/{account.pk}/ta/", {"period_start": "2026-04-01", "period_end": "2026-03-01"})
    assert bad.status_code == 400
    assert "Periodens början måste ligga före dess slut." in bad.content.decode()
    assert not account.snapshots.exists()
    response = client.post(f"/ogonblicksbilder/konto/{account.pk}/ta/", {"period_start": "2026-03-01", "period_end": "2026-03-31"})
    snapshot = account.snapshots.get()
    assert response.status_code == 302 and response["Location"] == f"/ogonblicksbilder/{snapshot.pk}/"
    assert snapshot.trigger == Snapshot.Trigger.MANUAL and snapshot.created_by == world.kom_a
    assert snapshot.period_start.date().isoformat() == "2026-02-28"  # midnight in Stockholm is 23:00 UTC
    again = client.post(f"/ogonblicksbilder/konto/{account.pk}/ta/", {})
    assert again.status_code == 400 and "Granska och spara det först" in again.content.decode()


def test_review_edit_save_then_immutable(client, world, generated):
    login(client, world.kom_a)
    page = client.get(f"/ogonblicksbilder/{generated.pk}/")
    assert page.status_code == 200 and "Spara" in page.content.decode()
    assert "Kultur och fritid" in page.content.decode()
    edited = client.post(f"/ogonblicksbilder/{generated.pk}/sammanfattning/", {"summary_text": "Granskad <script>x</script>"})
    assert edited.status_code == 302
    assert client.post(f"/ogonblicksbilder/{generated.pk}/sammanfattning/", {"summary_text": ""}).status_code == 400
    assert client.post(f"/ogonblicksbilder/{generated.pk}/spara/").status_code == 302
    generated.refresh_from_db()
    assert generated.is_saved and generated.summary_text == "Granskad <script>x</script>"
    page = client.get(f"/ogonblicksbilder/{generated.pk}/").content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    late = client.post(f"/ogonblicksbilder/{generated.pk}/sammanfattning/", {"summary_text": "Ändrat efteråt"}, follow=True)
    assert "Ögonblicksbilden är sparad och kan inte ändras." in late.content.decode()
    generated.refresh_from_db()
    assert generated.summary_text == "Granskad <script>x</script>"


def test_download_serves_the_file_and_logs_the_read(client, world, generated):
    login(client, world.kom_a)
    response = client.get(f"/ogonblicksbilder/{generated.pk}/fil/warc/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == actions.file_path(generated, "warc").read_bytes()
    assert "attachment" in response["Content-Disposition"]
    event = Event.objects.get(kind="snapshot.file_read")
    assert event.actor == world.kom_a and event.data == {"file": "warc", "sha256": generated.warc_sha256}
    assert client.get(f"/ogonblicksbilder/{generated.pk}/fil/screenshot/").status_code == 404  # never taken
    assert client.get(f"/ogonblicksbilder/{generated.pk}/fil/etc/").status_code == 404


def test_pages_have_english_translations(client, world, period_world):
    login(client, world.kom_a)
    client.cookies["django_language"] = "en"
    body = client.get(f"/ogonblicksbilder/konto/{period_world['account'].pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Take snapshot now" in body and "Next snapshot due" in body
