"""Deliveries through their actions and the command line: events in the chain, an invalid
package is never offered, only arkivarier of the account's unit may build."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from insyn.archive.media import media_path
from insyn.eventlog.log import verify
from insyn.eventlog.models import Event
from insyn.records.earchive import actions
from insyn.records.earchive.models import Delivery


def test_a_build_is_chained_and_offered_when_valid(small_archive, arkivarie):
    delivery = actions.request_delivery(arkivarie, account=small_archive["account"])
    assert delivery.status == Delivery.Status.QUEUED and not delivery.offered
    delivery = actions.build_delivery(delivery)
    assert delivery.status == Delivery.Status.VALID and delivery.offered
    assert delivery.item_count == 5 and delivery.size == actions.package_path(delivery).stat().st_size
    kinds = list(Event.objects.filter(object_id=str(delivery.pk), kind__startswith="earchive.")
                 .order_by("seq").values_list("kind", flat=True))
    assert kinds == ["earchive.requested", "earchive.build_started", "earchive.built"]
    built = Event.objects.get(kind="earchive.built", object_id=str(delivery.pk))
    assert built.data["status"] == "valid" and built.data["sha256"] == delivery.sha256
    assert built.data["secret_registrations"] == 1
    assert "badhuset" not in str(built.data)   # no content in the chain
    assert verify().ok


def test_a_build_runs_once(small_archive, arkivarie):
    delivery = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"]))
    again = actions.build_delivery(delivery)
    assert again.sha256 == delivery.sha256
    assert Event.objects.filter(kind="earchive.build_started", object_id=str(delivery.pk)).count() == 1


def test_a_damaged_media_file_makes_the_package_invalid_and_not_offered(small_archive, arkivarie):
    path = media_path(small_archive["media"].sha256)
    original = path.read_bytes()
    path.write_bytes(original[:-1] + b"X")
    try:
        delivery = actions.build_delivery(actions.request_delivery(arkivarie, account=small_archive["account"]))
    finally:
        path.write_bytes(original)
    assert delivery.status == Delivery.Status.INVALID and not delivery.offered
    build = delivery.report["checks"][0]
    assert build["name"] == "build" and "damaged" in build["errors"][0]
    with pytest.raises(ValidationError):
        actions.log_download(arkivarie, delivery)


def test_only_an_arkivarie_of_the_unit_may_request(small_archive, world, arkivarie_b):
    account = small_archive["account"]   # unit_a
    for user in (arkivarie_b, world.samordnare, world.registrator, world.kom_a, world.outsider):
        with pytest.raises(PermissionDenied):
            actions.request_delivery(user, account=account)
    assert not Delivery.objects.exists()


def test_a_backwards_period_is_refused(small_archive, arkivarie):
    from datetime import date

    with pytest.raises(ValidationError) as exc:
        actions.request_delivery(arkivarie, account=small_archive["account"], period_from=date(2026, 3, 5),
                                 period_to=date(2026, 3, 1))
    assert "period_to" in exc.value.message_dict
    assert not Delivery.objects.exists()


def test_the_command_prints_the_path_and_result(small_archive, arkivarie, capsys):
    call_command("earchive", "build", "--account", small_archive["account"].handle, "--user", "arkivarie")
    out = capsys.readouterr().out
    delivery = Delivery.objects.get()
    assert str(actions.package_path(delivery)) in out
    assert "Godkänd" in out and "valid    eark-validator" in out
    call_command("earchive", "validate", str(actions.package_path(delivery)))


def test_the_command_fails_for_an_invalid_package(small_archive, arkivarie, capsys):
    path = media_path(small_archive["media"].sha256)
    original = path.read_bytes()
    path.write_bytes(b"\x89PNG\r\n\x1a\n-damaged")
    try:
        with pytest.raises(CommandError, match="klarade inte valideringen"):
            call_command("earchive", "build", "--account", str(small_archive["account"].pk), "--format", "bagit")
    finally:
        path.write_bytes(original)
    assert Delivery.objects.get().status == Delivery.Status.INVALID


def test_the_command_refuses_someone_who_is_not_arkivarie(small_archive, world):
    with pytest.raises(CommandError, match="inte arkivarie"):
        call_command("earchive", "build", "--account", small_archive["account"].handle, "--user", "kom_a")


def test_the_cli_exit_code_is_not_zero_for_an_invalid_file(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    done = subprocess.run([sys.executable, "-m", "insyn.cli", "earchive", "validate", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0


def test_a_build_abandoned_by_a_dead_worker_is_taken_over(small_archive, arkivarie):
    from datetime import timedelta

    from django.utils import timezone

    delivery = actions.request_delivery(arkivarie, account=small_archive["account"])
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.BUILDING, started_at=timezone.now())
    assert actions.build_delivery(delivery).status == Delivery.Status.BUILDING   # another worker has it
    Delivery.objects.filter(pk=delivery.pk).update(started_at=timezone.now() - actions.BUILD_LEASE - timedelta(minutes=1))
    assert actions.build_delivery(delivery).status == Delivery.Status.VALID
