"""Every change to e-archive deliveries, each with its event in the chain.

- ``request_delivery``: an arkivarie (or the system, from the command line) asks for a package.
- ``build_delivery``: builds, packs, unpacks the packed file again and validates *that*, so
  what is checked is exactly what would be handed over. Valid → offered; invalid → kept with
  its report, never offered; an exception → failed. Claimed with a conditional update, so a
  delivery is built once even if two workers get the task.
- ``log_download``: every download is chained (the package holds every item in full).

Event data holds ids, counts, digests and statuses, never content.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import zipfile
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.eventlog import log
from insyn.records.models import Registration
from insyn.registry.models import Account, User
from insyn.registry.permissions import require

from . import permissions
from .models import Delivery
from .package import Scope, build_csip, submitter_for
from .validation import Check, Report, check_bag, sha256_file, validate_package

BUILD_LEASE = timedelta(hours=6)


def delivery_dir() -> Path:
    path = Path(settings.DATA_DIR) / "earchive"
    path.mkdir(parents=True, exist_ok=True)
    return path


def package_path(delivery: Delivery) -> Path:
    return delivery_dir() / delivery.path


@transaction.atomic
def request_delivery(actor: User | None, *, account: Account, period_from: date | None = None,
                     period_to: date | None = None, fmt: str = Delivery.Format.CSIP) -> Delivery:
    """Ask for a package of ``account``'s items (optionally those that came in during a period).
    ``actor=None`` is the system (the command line run by an operator)."""
    if actor is not None:
        require(permissions.can_deliver(actor, account))
    errors: dict[str, list[str]] = {}
    if fmt not in Delivery.Format.values:
        errors["format"] = [_("Okänt format.")]
    if period_from and period_to and period_from > period_to:
        errors["period_to"] = [_("Periodens slut kan inte ligga före dess början.")]
    today = timezone.localdate()
    if period_from and period_from > today:
        errors["period_from"] = [_("Perioden kan inte börja i framtiden.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    objid = f"insyn-{timezone.localtime(now):%Y%m%d}-{uuid.uuid4()}"
    delivery = Delivery.objects.create(account=account, period_from=period_from, period_to=period_to, format=fmt,
                                       objid=objid, requested_by=actor if getattr(actor, "pk", None) else None,
                                       requested_at=now)
    log.append("earchive.requested", actor=actor, obj=delivery, data={
        "objid": objid, "account": account.pk, "format": fmt,
        "period_from": period_from.isoformat() if period_from else None,
        "period_to": period_to.isoformat() if period_to else None,
    })
    return delivery


def _claim(delivery: Delivery) -> bool:
    """Take the delivery for building: a queued one, or one whose builder died (building for
    longer than ``BUILD_LEASE``). The conditional update lets exactly one worker win."""
    now = timezone.now()
    claimable = Q(status=Delivery.Status.QUEUED) | Q(status=Delivery.Status.BUILDING, started_at__lt=now - BUILD_LEASE)
    with transaction.atomic():
        won = Delivery.objects.filter(claimable, pk=delivery.pk).update(status=Delivery.Status.BUILDING, started_at=now)
        if won:
            log.append("earchive.build_started", obj=delivery, data={"objid": delivery.objid})
    return bool(won)


def _zip_folder(folder: Path, target: Path) -> None:
    """Zip ``folder`` as the archive's single root (CSIPSTR1–3), written to a temporary name
    first, so a crash never leaves half a package under the final name."""
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for path in sorted(folder.rglob("*")):
            arcname = (Path(folder.name) / path.relative_to(folder)).as_posix()
            if path.is_dir():
                continue
            compress = zipfile.ZIP_STORED if path.suffix in (".pdf", ".jpg", ".png", ".gif", ".webp", ".mp4") \
                else zipfile.ZIP_DEFLATED
            zf.write(path, arcname, compress_type=compress)
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def validate_file(path: Path, fmt: str, objid: str | None = None) -> Report:
    """Unpack a delivered zip into a temporary folder and run every check on what came out."""
    with tempfile.TemporaryDirectory(dir=delivery_dir(), prefix=".check-") as tmp:
        unpack = Path(tmp)
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
                if bad is not None:
                    return Report([Check("zip", "invalid", [f"{bad} is damaged in the zip file"])])
                names = {n.split("/", 1)[0] for n in zf.namelist()}
                if len(names) != 1:
                    return Report([Check("zip", "invalid", ["the zip file must hold one root folder"])])
                for name in zf.namelist():
                    if name.startswith("/") or ".." in Path(name).parts:
                        return Report([Check("zip", "invalid", [f"unsafe path in zip: {name}"])])
                zf.extractall(unpack)
        except zipfile.BadZipFile as exc:
            return Report([Check("zip", "invalid", [str(exc)])])
        root = unpack / names.pop()
        if objid is not None and root.name != objid:
            return Report([Check("zip", "invalid", [f"root folder {root.name} is not the package id {objid}"])])
        if fmt == Delivery.Format.BAGIT:
            bag = check_bag(root)
            inner = root / "data" / root.name
            report = validate_package(inner)
            report.checks.insert(0, bag)
            return report
        return validate_package(root)


def _build_files(delivery: Delivery, staging: Path) -> tuple[Path, int, list[str]]:
    scope = Scope(delivery.account, delivery.period_from, delivery.period_to)
    submitter = submitter_for(delivery.account, delivery.requested_by)
    if delivery.format == Delivery.Format.BAGIT:
        import bagit

        bag_dir = staging / delivery.objid
        bag_dir.mkdir()
        result = build_csip(scope, bag_dir, objid=delivery.objid, submitter=submitter)
        bagit.make_bag(str(bag_dir), {
            "Source-Organization": submitter.organisation,
            "Organization-Address": delivery.account.authority.organisation.website or submitter.organisation,
            "Contact-Name": submitter.contact or submitter.authority,
            "External-Identifier": delivery.objid,
            "External-Description": f"Insyn: {scope.label()}. Payload: an E-ARK SIP (CSIP/SIP 2.1.0) in data/{delivery.objid}/.",
            "Internal-Sender-Identifier": f"insyn-delivery-{delivery.pk}",
            "Bag-Group-Identifier": f"{submitter.authority} ({submitter.authority_code})",
        }, processes=1, checksums=["sha256"])
        return bag_dir, result.item_count, result.problems
    result = build_csip(scope, staging, objid=delivery.objid, submitter=submitter)
    return result.root, result.item_count, result.problems


def build_delivery(delivery: Delivery) -> Delivery:
    """Build, pack, validate and record one requested delivery (idempotent: a delivery that is
    not queued is returned as it is)."""
    if not _claim(delivery):
        delivery.refresh_from_db()
        return delivery
    delivery.refresh_from_db()
    target = delivery_dir() / delivery.filename
    staging_root = delivery_dir() / ".staging"
    staging_root.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=staging_root, prefix=f"{delivery.pk}-"))
    try:
        folder, item_count, problems = _build_files(delivery, staging)
        _zip_folder(folder, target)
        report = validate_file(target, delivery.format, delivery.objid)
        if problems:
            report.checks.insert(0, Check("build", "invalid", problems))
        else:
            report.checks.insert(0, Check("build", "valid"))
        size, digest = target.stat().st_size, sha256_file(target)
    except Exception as exc:  # noqa: BLE001 - recorded on the delivery and chained, then re-raised
        with transaction.atomic():
            Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, finished_at=timezone.now(),
                                                           error=f"{type(exc).__name__}: {exc}"[:2000])
            log.append("earchive.failed", obj=delivery, data={"objid": delivery.objid, "error": type(exc).__name__})
        target.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    secret = Registration.objects.filter(item__in=Scope(delivery.account, delivery.period_from,
                                                       delivery.period_to).items(), sekretess=True).count()
    status = Delivery.Status.VALID if report.valid else Delivery.Status.INVALID
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status, path=target.name, size=size, sha256=digest, item_count=item_count,
            report=report.as_dict(), finished_at=timezone.now())
        log.append("earchive.built", obj=delivery, data={
            "objid": delivery.objid, "status": status, "sha256": digest, "size": size, "items": item_count,
            "secret_registrations": secret,
            "checks": {c.name: c.status for c in report.checks},
        })
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def log_download(actor: User, delivery: Delivery) -> None:
    """A download hands over every item in full (secret ones too): only a valid package, only
    an arkivarie of the unit, and every time in the chain."""
    require(permissions.can_deliver(actor, delivery.account))
    if not delivery.offered:
        raise ValidationError(_("Paketet klarade inte valideringen och lämnas inte ut."))
    log.append("earchive.downloaded", actor=actor, obj=delivery, data={"objid": delivery.objid, "sha256": delivery.sha256})


__all__ = ["build_delivery", "log_download", "package_path", "request_delivery", "validate_file"]
