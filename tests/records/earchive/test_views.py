"""The arkivarie's e-archive pages over HTTP: unit-scoped, CSRF-protected, invalid packages
never offered, every download chained."""

from __future__ import annotations

from django.test import Client

from insyn.archive.media import media_path
from insyn.eventlog.models import Event
from insyn.records.earchive import actions
from insyn.records.earchive.models import Delivery
from tests.conftest import login


def _valid_and_invalid(small_archive, arkivarie):
    valid = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"]))
    path = media_path(small_archive["media"].sha256)
    original = path.read_bytes()
    path.write_bytes(original[:-1] + b"X")
    try:
        invalid = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"]))
    finally:
        path.write_bytes(original)
    assert (valid.status, invalid.status) == (Delivery.Status.VALID, Delivery.Status.INVALID)
    return valid, invalid


def test_the_list_offers_only_valid_packages(client, small_archive, arkivarie):
    valid, invalid = _valid_and_invalid(small_archive, arkivarie)
    response = login(client, arkivarie).get("/e-arkiv/")
    assert response.status_code == 200
    html = response.content.decode()
    assert valid.objid in html and invalid.objid in html
    assert f"/e-arkiv/{valid.pk}/hamta/" in html
    assert f"/e-arkiv/{invalid.pk}/hamta/" not in html
    assert "Underkänd vid validering" in html
    assert "Alla poster" in html and "… – …" not in html   # packages without a period


def test_an_invalid_package_shows_its_report_and_cannot_be_downloaded(client, small_archive, arkivarie):
    _valid, invalid = _valid_and_invalid(small_archive, arkivarie)
    login(client, arkivarie)
    detail = client.get(f"/e-arkiv/{invalid.pk}/").content.decode()
    assert "klarade inte valideringen" in detail and "damaged" in detail
    assert f"/e-arkiv/{invalid.pk}/hamta/" not in detail
    assert client.get(f"/e-arkiv/{invalid.pk}/hamta/").status_code == 404
    assert not Event.objects.filter(kind="earchive.downloaded").exists()


def test_a_valid_package_downloads_and_the_download_is_chained(client, small_archive, arkivarie):
    valid = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"]))
    response = login(client, arkivarie).get(f"/e-arkiv/{valid.pk}/hamta/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body == actions.package_path(valid).read_bytes()
    assert response["Content-Disposition"].startswith("attachment")
    event = Event.objects.get(kind="earchive.downloaded")
    assert event.actor == arkivarie and event.data["sha256"] == valid.sha256


def test_other_people_see_nothing(client, small_archive, arkivarie, arkivarie_b, world):
    valid = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"]))
    # An arkivarie of another unit: the list is empty of it, detail and download are 404.
    login(client, arkivarie_b)
    assert valid.objid not in client.get("/e-arkiv/").content.decode()
    assert client.get(f"/e-arkiv/{valid.pk}/").status_code == 404
    assert client.get(f"/e-arkiv/{valid.pk}/hamta/").status_code == 404
    # People without the arkivarie role may not use the pages at all.
    for user in (world.samordnare, world.registrator, world.kom_a, world.outsider):
        other = login(Client(), user)
        assert other.get("/e-arkiv/").status_code == 403
        assert other.get(f"/e-arkiv/{valid.pk}/hamta/").status_code == 404
    assert not Event.objects.filter(kind="earchive.downloaded").exists()
    assert Client().get("/e-arkiv/").status_code == 302   # to the login page


def test_ordering_a_delivery_queues_a_build(client, small_archive, arkivarie, django_capture_on_commit_callbacks):
    login(client, arkivarie)
    page = client.get("/e-arkiv/ny/").content.decode()
    assert small_archive["account"].name in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/e-arkiv/ny/", {"account": small_archive["account"].pk, "format": "csip",
                                                "period_from": "2026-03-01", "period_to": "2026-03-31"})
    delivery = Delivery.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/e-arkiv/{delivery.pk}/"
    assert (delivery.status, str(delivery.period_from), delivery.requested_by) == ("queued", "2026-03-01", arkivarie)
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path__endswith="build_delivery_task").count() == 1


def test_bad_input_is_refused_with_a_swedish_message(client, small_archive, arkivarie):
    login(client, arkivarie)
    response = client.post("/e-arkiv/ny/", {"account": small_archive["account"].pk, "format": "csip",
                                            "period_from": "2026-03-31", "period_to": "2026-03-01"})
    assert response.status_code == 200
    assert "Periodens slut kan inte ligga före dess början." in response.content.decode()
    assert not Delivery.objects.exists()


def test_an_arkivarie_cannot_order_for_another_units_account(client, small_archive, arkivarie_b):
    login(client, arkivarie_b)
    response = client.post("/e-arkiv/ny/", {"account": small_archive["account"].pk, "format": "csip"})
    assert response.status_code == 200 and not Delivery.objects.exists()   # not among the choices


def test_the_form_needs_csrf(small_archive, arkivarie):
    csrf_client = login(Client(enforce_csrf_checks=True), arkivarie)
    response = csrf_client.post("/e-arkiv/ny/", {"account": small_archive["account"].pk, "format": "csip"})
    assert response.status_code == 403 and not Delivery.objects.exists()


def test_the_list_does_not_query_per_delivery(client, small_archive, arkivarie, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actions.request_delivery(arkivarie, account=small_archive["account"])
    login(client, arkivarie)
    with CaptureQueriesContext(connection) as one:
        client.get("/e-arkiv/")
    for _ in range(4):
        actions.request_delivery(arkivarie, account=small_archive["account"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/e-arkiv/").content.decode().count("/e-arkiv/") >= 5


def test_the_pages_are_translated(client, small_archive, arkivarie):
    valid = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"]))
    login(client, arkivarie)
    client.cookies["django_language"] = "en"
    listing = client.get("/e-arkiv/").content.decode()
    detail = client.get(f"/e-arkiv/{valid.pk}/").content.decode()
    assert "E-archive deliveries" in listing and f"Download {valid.objid}" in listing
    assert "Validation report" in detail and "Passed" in detail
