"""Every change to snapshots: order one, generate its parts, edit its summary, save it, read
its files. Each action owns its transaction and appends its event to the chain; views, the
CLI, the worker and the closing of an account call these.

Generation is a sequence of re-runnable steps (screenshot, summary, PDF/A, WARC). A step
writes its file atomically, then stores path and SHA-256 on the row and chains them in one
transaction, so a crash leaves at worst an unreferenced file and the step runs again. A
saved snapshot is never changed again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from insyn.eventlog import log
from insyn.lib.hashing import sha256_hex
from insyn.registry.models import Account, AccountDecision, Status, User
from insyn.registry.permissions import require

from . import generate, permissions
from .models import Snapshot, SnapshotSchedule

logger = logging.getLogger(__name__)

STEPS = ("screenshot", "summary", "pdf", "warc")
LEASE = timedelta(minutes=30)
FILES = {"screenshot": ("screenshot.png", "image/png"), "pdf": ("snapshot.pdf", "application/pdf"),
         "warc": ("fetches.warc.gz", "application/warc")}


class SnapshotError(ValidationError):
    """A snapshot action refused; the message is Swedish, for the person who asked."""


def _is_person(actor) -> bool:
    return isinstance(actor, User)


def snapshot_dir(snapshot: Snapshot) -> Path:
    return Path(settings.DATA_DIR) / "snapshots" / str(snapshot.account_id) / str(snapshot.pk)


def file_path(snapshot: Snapshot, kind: str) -> Path | None:
    name = getattr(snapshot, f"{kind}_file")
    return Path(settings.DATA_DIR) / name if name else None


def activated_at(account: Account) -> datetime:
    """When the account became active: the start of the decision date of its first decision to
    aktivt (an account entered into the register long after it was opened is due from when the
    decision says, not from when someone typed it in), else when it was registered."""
    decision = (AccountDecision.objects.filter(account=account, to_status=Status.AKTIVT)
                .order_by("recorded_at").values_list("decision_date", "recorded_at").first())
    if decision is None:
        return account.created_at
    decision_date, recorded_at = decision
    start_of_day = timezone.make_aware(datetime.combine(decision_date, time.min))
    return min(start_of_day, recorded_at)


def default_period_start(account: Account) -> datetime:
    """From the end of the last saved snapshot, or from the account's activation."""
    last = account.snapshots.saved().order_by("-period_end").values_list("period_end", flat=True).first()
    return last or activated_at(account)


# ---------------------------------------------------------------- ordering a snapshot


@transaction.atomic
def start_snapshot(actor: User | str | None, account: Account, *, trigger: str = Snapshot.Trigger.MANUAL,
                   period_start: datetime | None = None, period_end: datetime | None = None,
                   enqueue: bool = True, check_permission: bool = True) -> Snapshot:
    """Order a snapshot of ``account`` for a period (default: since the last saved one, until
    now). A person must be allowed to work with the account's snapshots; the system (schedule,
    command line) passes a label or None, and the closing of an account passes the person who
    closed it without asking again. Generation runs in the worker on commit."""
    if _is_person(actor) and check_permission:
        require(permissions.can_work_with(actor, account))
    if trigger not in Snapshot.Trigger.values:
        raise ValueError(f"unknown trigger {trigger}")
    now = timezone.now()
    end = period_end or now
    start = period_start or default_period_start(account)
    errors = {}
    if end > now + timedelta(minutes=5):
        errors["period_end"] = [_("Perioden kan inte sluta i framtiden.")]
    if start >= end:
        errors["period_start"] = [_("Periodens början måste ligga före dess slut.")]
    if errors:
        raise SnapshotError(errors)
    Account.objects.select_for_update().filter(pk=account.pk).first()  # one order at a time per account
    if trigger == Snapshot.Trigger.MANUAL and account.snapshots.drafts().exists():
        raise SnapshotError(_("Det finns redan ett utkast till ögonblicksbild för kontot. Granska och spara det först."))
    snapshot = Snapshot.objects.create(
        account=account, period_start=start, period_end=end, trigger=trigger, created_at=now,
        created_by=actor if _is_person(actor) else None, screenshot_url=account.url,
    )
    log.append("snapshot.requested", actor=actor, obj=snapshot, data={
        "account": account.pk, "trigger": trigger, "period_start": start.isoformat(), "period_end": end.isoformat(),
    })
    if enqueue:
        from .tasks import generate_snapshot_task

        transaction.on_commit(lambda: generate_snapshot_task.enqueue(snapshot.pk), robust=True)
    return snapshot


# ---------------------------------------------------------------- generation


def claim_generation(snapshot_id: int, *, now: datetime | None = None) -> bool:
    """Take the snapshot's generation for this worker (conditional update); False if another
    worker has it or it is saved. A draft that is done may be generated again."""
    now = now or timezone.now()
    free = ~Q(generation=Snapshot.Generation.RUNNING) | Q(
        generation=Snapshot.Generation.RUNNING, lease_until__lt=now)
    return bool(Snapshot.objects.filter(free, pk=snapshot_id, status=Snapshot.Status.DRAFT).update(
        generation=Snapshot.Generation.RUNNING, lease_until=now + LEASE))


def _write_atomically(target: Path, write: Callable[[object], object]) -> tuple[str, int, object]:
    """Write through ``write(fh)`` into a temporary file, then rename: (sha256, size, result)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            result = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        digest, size = _sha256_file(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest, size, result


def _sha256_file(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _locked_draft(snapshot: Snapshot) -> Snapshot:
    locked = Snapshot.objects.select_for_update().select_related("account").get(pk=snapshot.pk)
    if locked.is_saved:
        raise SnapshotError(_("Ögonblicksbilden är sparad och kan inte ändras."))
    return locked


def _relative(path: Path) -> str:
    return str(path.relative_to(Path(settings.DATA_DIR)))


def step_screenshot(snapshot: Snapshot) -> Snapshot:
    account = snapshot.account
    result = generate.take_screenshot(account.url)
    target = snapshot_dir(snapshot) / FILES["screenshot"][0]
    digest = size = None
    if result.png is not None:
        digest, size, _r = _write_atomically(target, lambda fh: fh.write(result.png))
    with transaction.atomic():
        snapshot = _locked_draft(snapshot)
        snapshot.screenshot_url = result.url
        snapshot.screenshot_at = result.at
        snapshot.screenshot_error = result.error
        snapshot.screenshot_file = _relative(target) if digest else ""
        snapshot.screenshot_sha256 = digest or ""
        snapshot.screenshot_size = size
        snapshot.save(update_fields=["screenshot_url", "screenshot_at", "screenshot_error", "screenshot_file",
                                     "screenshot_sha256", "screenshot_size"])
        log.append("snapshot.screenshot", obj=snapshot, data={
            "url": result.url, "reachable": digest is not None, "sha256": digest, "bytes": size,
            "error": result.error})
    return snapshot


def step_summary(snapshot: Snapshot) -> Snapshot:
    data = generate.build_summary(snapshot.account, snapshot.period_start, snapshot.period_end)
    with transaction.atomic():
        snapshot = _locked_draft(snapshot)
        snapshot.summary_data = data
        if snapshot.summary_edited_by_id is None:
            # A text a person has edited is theirs: regenerating the figures leaves it alone.
            snapshot.summary_text = generate.summary_text(snapshot.account, data)
        snapshot.save(update_fields=["summary_data", "summary_text"])
        log.append("snapshot.summary_generated", obj=snapshot, data={
            "total": data["total"], "text_sha256": sha256_hex(snapshot.summary_text)})
    return snapshot


def step_pdf(snapshot: Snapshot) -> Snapshot:
    target = snapshot_dir(snapshot) / FILES["pdf"][0]
    # The summary is not in the PDF: a person edits it after generation, and its final text
    # is fixed (and hashed) when the snapshot is saved.
    pdf = generate.render_pdf(snapshot.account, snapshot.period_start, snapshot.period_end, created=timezone.now())
    digest, size, _r = _write_atomically(target, lambda fh: fh.write(pdf))
    with transaction.atomic():
        snapshot = _locked_draft(snapshot)
        snapshot.pdf_file, snapshot.pdf_sha256, snapshot.pdf_size = _relative(target), digest, size
        snapshot.save(update_fields=["pdf_file", "pdf_sha256", "pdf_size"])
        log.append("snapshot.pdf", obj=snapshot, data={"sha256": digest, "bytes": size, "variant": "PDF/A-2b"})
    return snapshot


def step_warc(snapshot: Snapshot) -> Snapshot:
    target = snapshot_dir(snapshot) / FILES["warc"][0]
    filename = f"insyn-{snapshot.account_id}-{snapshot.pk}.warc.gz"
    digest, size, report = _write_atomically(target, lambda fh: generate.write_warc(
        snapshot.account, snapshot.period_start, snapshot.period_end, fh, filename=filename))
    with transaction.atomic():
        snapshot = _locked_draft(snapshot)
        snapshot.warc_file, snapshot.warc_sha256, snapshot.warc_size = _relative(target), digest, size
        snapshot.warc_records = report.records
        snapshot.save(update_fields=["warc_file", "warc_sha256", "warc_size", "warc_records"])
        log.append("snapshot.warc", obj=snapshot, data={
            "sha256": digest, "bytes": size, "records": report.records, "responses": report.responses,
            "withheld": [w["raw"] for w in report.withheld]})
    return snapshot


STEP_FUNCTIONS = {"screenshot": step_screenshot, "summary": step_summary, "pdf": step_pdf, "warc": step_warc}


def generate_snapshot(snapshot_id: int, *, steps: tuple[str, ...] = STEPS, claim: bool = True) -> Snapshot | None:
    """Run the generation steps of a draft snapshot. Each step commits on its own; one that
    fails is recorded and the others still run, and the whole is run again by asking again
    ("Generera igen") or by the worker. Returns None if another worker holds it."""
    if claim and not claim_generation(snapshot_id):
        return None
    snapshot = Snapshot.objects.select_related("account__authority", "account__unit").get(pk=snapshot_id)
    errors = []
    if "screenshot" not in steps and not (snapshot.screenshot_sha256 or snapshot.screenshot_error):
        with transaction.atomic():
            snapshot = _locked_draft(snapshot)
            snapshot.screenshot_error = _("Ingen skärmbild togs: steget hoppades över.")
            snapshot.save(update_fields=["screenshot_error"])
            log.append("snapshot.screenshot", obj=snapshot, data={"url": snapshot.screenshot_url, "reachable": None,
                                                                  "skipped": True})
    for name in steps:
        try:
            snapshot = STEP_FUNCTIONS[name](snapshot)
        except SnapshotError:
            raise
        except Exception as exc:  # noqa: BLE001 - one failing step must not lose the others
            logger.exception("snapshot %s: step %s failed", snapshot_id, name)
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
    with transaction.atomic():
        snapshot = _locked_draft(snapshot)
        complete = bool(snapshot.pdf_sha256 and snapshot.warc_sha256 and snapshot.summary_data
                        and (snapshot.screenshot_sha256 or snapshot.screenshot_error))
        snapshot.generation = Snapshot.Generation.DONE if complete and not errors else Snapshot.Generation.FAILED
        snapshot.generation_error = "\n".join(errors)
        snapshot.generated_at = timezone.now()
        snapshot.lease_until = None
        snapshot.save(update_fields=["generation", "generation_error", "generated_at", "lease_until"])
        log.append("snapshot.generated", obj=snapshot, data={"steps": list(steps), "ok": not errors,
                                                             "errors": len(errors)})
    return snapshot


@transaction.atomic
def regenerate(actor: User, snapshot: Snapshot) -> Snapshot:
    """Ask the worker to run every step again (a draft only)."""
    require(permissions.can_work_with(actor, snapshot.account))
    snapshot = _locked_draft(snapshot)
    snapshot.generation, snapshot.lease_until = Snapshot.Generation.QUEUED, None
    snapshot.save(update_fields=["generation", "lease_until"])
    log.append("snapshot.regenerate_requested", actor=actor, obj=snapshot, data={})
    from .tasks import generate_snapshot_task

    transaction.on_commit(lambda: generate_snapshot_task.enqueue(snapshot.pk), robust=True)
    return snapshot


# ---------------------------------------------------------------- review and save


MAX_SUMMARY = 20000


@transaction.atomic
def edit_summary(actor: User, snapshot: Snapshot, text: str) -> Snapshot:
    require(permissions.can_work_with(actor, snapshot.account))
    snapshot = _locked_draft(snapshot)
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise SnapshotError({"summary_text": [_("Sammanfattningen får inte vara tom.")]})
    if len(text) > MAX_SUMMARY:
        raise SnapshotError({"summary_text": [_("Sammanfattningen får vara högst %(n)d tecken.") % {"n": MAX_SUMMARY}]})
    snapshot.summary_text = text
    snapshot.summary_edited_by = actor
    snapshot.save(update_fields=["summary_text", "summary_edited_by"])
    log.append("snapshot.summary_edited", actor=actor, obj=snapshot, data={"text_sha256": sha256_hex(text)})
    return snapshot


@transaction.atomic
def save_snapshot(actor: User, snapshot: Snapshot) -> Snapshot:
    """Make the snapshot final ("Spara"): its files are checked against their hashes, the
    summary's hash is fixed, everything is chained, and the account's next one is scheduled."""
    require(permissions.can_work_with(actor, snapshot.account))
    snapshot = _locked_draft(snapshot)
    if snapshot.generation != Snapshot.Generation.DONE:
        raise SnapshotError(_("Ögonblicksbilden är inte färdig. Vänta tills alla delar är framställda, "
                              "eller generera den igen."))
    for kind in ("screenshot", "pdf", "warc"):
        expected = getattr(snapshot, f"{kind}_sha256")
        if not expected:
            continue
        path = file_path(snapshot, kind)
        if path is None or not path.exists() or _sha256_file(path)[0] != expected:
            raise SnapshotError(_("Filen %(kind)s stämmer inte med sin kontrollsumma. Generera ögonblicksbilden igen.")
                                % {"kind": kind})
    now = timezone.now()
    snapshot.status = Snapshot.Status.SAVED
    snapshot.saved_at, snapshot.saved_by = now, actor
    snapshot.summary_sha256 = sha256_hex(snapshot.summary_text)
    snapshot.save(update_fields=["status", "saved_at", "saved_by", "summary_sha256"])
    log.append("snapshot.saved", actor=actor, obj=snapshot, data={
        "account": snapshot.account_id, "trigger": snapshot.trigger, "record_class": snapshot.record_class,
        "period_start": snapshot.period_start.isoformat(), "period_end": snapshot.period_end.isoformat(),
        "screenshot_sha256": snapshot.screenshot_sha256 or None, "screenshot_error": snapshot.screenshot_error,
        "pdf_sha256": snapshot.pdf_sha256, "warc_sha256": snapshot.warc_sha256,
        "summary_sha256": snapshot.summary_sha256,
    })
    from .schedule import reschedule_after

    reschedule_after(snapshot)
    return snapshot


@transaction.atomic
def record_file_read(actor: User, snapshot: Snapshot, kind: str) -> None:
    """Chain one download of a snapshot file (who, which snapshot, which file)."""
    log.append("snapshot.file_read", actor=actor, obj=snapshot, data={
        "file": kind, "sha256": getattr(snapshot, f"{kind}_sha256")})


def schedule_row(account: Account) -> SnapshotSchedule | None:
    return SnapshotSchedule.objects.filter(account=account).first()
