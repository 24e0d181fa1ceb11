"""Running an import of a platform export: streamed, in batches, resumable.

Invariants:
- Every record read is stored raw before anything is derived from it: a batch of good
  records is one ``RawCapture`` (source ``import``), a record the normaliser cannot read is
  its own raw capture, quarantined with its file and record number.
- A batch's raw captures, the run's new ``position`` and counts commit in one transaction;
  the archive work runs in a savepoint inside it (as ``capture_page`` does for a poll page),
  so an interrupt or crash at any point resumes after the last committed batch: no record
  twice, none skipped. A failing archive step leaves the raw pending for the worker's sweep.
- The archive is the same function of the raw log as for polling: the batch is normalised
  by the kind's pure normaliser (``normalise_raw`` dispatches import batches to it, so
  ``reprocess`` and the sweep give the same items).
- The import is an action in the event log: ``capture.import_started``, ``…_resumed``,
  ``…_interrupted``, ``…_finished``.
- Memory is bounded by one batch: records are streamed from the file and never collected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insyn.archive import apply as archive_apply
from insyn.archive.media import MediaRejected, store_media
from insyn.archive.models import ItemMedia, RawCapture
from insyn.capture import actions as capture_actions
from insyn.capture.models import ImportRun
from insyn.capture.platforms.base import MalformedPayload, Normalised, NormalizedItem
from insyn.eventlog import log
from insyn.lib.hashing import canonical_json
from insyn.registry.models import Account

from . import reader_class
from .base import ExportReader, ExportSource, Record, WrongExport, batch_body

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A run still marked running that has not committed a batch for this long was killed
# (SIGKILL, power loss) and may be resumed; a younger one may still be going.
STALE_AFTER = timedelta(minutes=2)


class ImportRefused(Exception):
    """The import cannot start (or resume) as asked; nothing was written. Swedish message."""


@dataclass
class Progress:
    """What a door (the command, a test) is told after each batch."""

    run: ImportRun
    bytes_read: int
    total_bytes: int


def normaliser_for(kind: str) -> Callable[[bytes, dict], Normalised]:
    """The pure normaliser of an import batch's raw capture (for ``capture.actions``)."""
    return reader_class(kind).normalise_batch


def open_export(kind: str, path: str) -> ExportReader:
    """The reader for a path; WrongExport (nothing read) when it is not that kind of export."""
    source = ExportSource(path)
    try:
        return reader_class(kind)(source)
    except BaseException:
        source.close()
        raise


def run_import(kind: str, path: str, account: Account, *, actor=None, resume: bool = False, dry_run: bool = False,
               batch_size: int = BATCH_SIZE, on_progress: Callable[[Progress], None] | None = None,
               should_stop: Callable[[], bool] = lambda: False) -> ImportRun:
    """Import one export file into one account's archive, or resume an interrupted import.

    Returns the run (unsaved for a dry run, which reads and normalises everything and writes
    nothing). Raises ``WrongExport`` for a path that is not this kind of export and
    ``ImportRefused`` when it must not start (already imported, changed file, …).
    ``should_stop`` is asked after each committed batch (Ctrl-C): the run is left
    ``interrupted`` and ``resume=True`` continues it.
    """
    reader = open_export(kind, path)
    try:
        if account.platform not in reader.platforms:
            raise WrongExport(f"Kontot {account.handle} är ett {account.get_platform_display()}-konto; ett "
                              f"{reader.label} kan inte importeras till det. (Wrong account platform.)")
        owner = reader.owner(account.external_id, account.name)
        fingerprint, size = reader.fingerprint()
        if dry_run:
            run = ImportRun(kind=kind, account=account, path=str(path), fingerprint=fingerprint, file_size=size,
                            started_at=timezone.now(), updated_at=timezone.now())
            return _Importer(reader, run, owner, batch_size, on_progress, should_stop, dry_run=True).go()
        run = _claim_run(kind, str(path), account, fingerprint, size, actor=actor, resume=resume)
        return _Importer(reader, run, owner, batch_size, on_progress, should_stop, dry_run=False).go()
    finally:
        reader.source.close()


@transaction.atomic
def _claim_run(kind: str, path: str, account: Account, fingerprint: str, size: int, *, actor, resume: bool) -> ImportRun:
    runs = ImportRun.objects.select_for_update().filter(account=account, kind=kind)
    done = runs.filter(fingerprint=fingerprint, status=ImportRun.Status.FINISHED).order_by("-id").first()
    if done is not None:
        raise ImportRefused(f"Filen är redan importerad till {account.handle} (import {done.pk}, "
                            f"{timezone.localtime(done.finished_at):%Y-%m-%d %H:%M}); inget att göra. (Already imported.)")
    open_run = runs.filter(fingerprint=fingerprint).exclude(status=ImportRun.Status.FINISHED).order_by("-id").first()
    now = timezone.now()
    if not resume:
        if open_run is not None:
            raise ImportRefused(f"Importen av den här filen avbröts (import {open_run.pk}, {open_run.position} "
                                f"poster klara). Fortsätt med --resume. (An interrupted import exists: use --resume.)")
        run = ImportRun.objects.create(kind=kind, account=account, path=path, fingerprint=fingerprint, file_size=size,
                                       actor=actor if getattr(actor, "pk", None) else None, started_at=now,
                                       updated_at=now)
        log.append("capture.import_started", actor=actor, obj=run, data={
            "kind": kind, "account": account.pk, "path": path, "fingerprint": fingerprint, "bytes": size})
        return run
    if open_run is None:
        other = runs.exclude(status=ImportRun.Status.FINISHED).filter(path=path).order_by("-id").first()
        if other is not None:
            raise ImportRefused(f"Filen {path} har ändrats sedan import {other.pk} avbröts, så den kan inte "
                                f"fortsättas. Starta en ny import utan --resume. (The file changed since the "
                                f"import was interrupted; start a new import.)")
        raise ImportRefused(f"Det finns ingen avbruten import av den här filen till {account.handle}. "
                            f"(No interrupted import of this file.)")
    if open_run.status == ImportRun.Status.RUNNING and open_run.updated_at > now - STALE_AFTER:
        raise ImportRefused(f"Import {open_run.pk} pågår redan. (The import is still running.)")
    open_run.status, open_run.updated_at = ImportRun.Status.RUNNING, now
    open_run.save(update_fields=["status", "updated_at"])
    log.append("capture.import_resumed", actor=actor, obj=open_run, data={"position": open_run.position})
    return open_run


class _Importer:
    def __init__(self, reader: ExportReader, run: ImportRun, owner: dict, batch_size: int,
                 on_progress, should_stop, *, dry_run: bool):
        self.reader, self.run, self.owner, self.batch_size = reader, run, owner, max(1, batch_size)
        self.on_progress, self.should_stop, self.dry_run = on_progress, should_stop, dry_run
        self.bytes_read, self.total_bytes = 0, reader.total_bytes()
        self.normalise = reader.normalise_record
        self.platform = run.account.platform
        # The batch being built: records of one file, their items and the malformed ones.
        self.file, self.section = "", ""
        self.good: list[Record] = []
        self.items: list[NormalizedItem] = []
        self.bad: list[tuple[Record, str]] = []
        self.file_errors: list[tuple[str, int, str]] = []
        self.last_position = -1
        self.run_start = run.position  # records before it were committed by an earlier attempt

    def _count_bytes(self, n: int) -> None:
        self.bytes_read += n

    def go(self) -> ImportRun:
        start = self.run_start
        try:
            for record in self.reader.records(on_bytes=self._count_bytes, on_file_error=self._file_error):
                if record.position < start:
                    continue  # committed before the interruption
                if record.file != self.file and (self.good or self.bad):
                    if self._flush():
                        return self.run
                self.file, self.section = record.file, record.section
                try:
                    self.items.extend(self.normalise(record.section, record.data, self._context(record.file)))
                    self.good.append(record)
                except MalformedPayload as exc:
                    self.bad.append((record, str(exc)))
                self.last_position = record.position
                if len(self.good) + len(self.bad) >= self.batch_size and self._flush():
                    return self.run
            if (self.good or self.bad or self.file_errors) and self._flush():
                return self.run
        except BaseException:
            if not self.dry_run and self.run.pk:
                _mark_interrupted(self.run, reason="error")
            raise
        if not self.dry_run:
            _finish(self.run)
        else:
            self.run.status = ImportRun.Status.FINISHED
        return self.run

    def _context(self, file: str) -> dict[str, Any]:
        return {"import_kind": self.reader.kind, "file": file, "owner": self.owner}

    def _file_error(self, file: str, record: int, position: int, message: str) -> None:
        if position >= self.run_start:  # not already reported before an interruption
            self.file_errors.append((file, record, message))

    def _flush(self) -> bool:
        """Commit the batch (raw first, then the archive). True when the import should stop."""
        good, items, bad, file_errors = self.good, self.items, self.bad, self.file_errors
        self.good, self.items, self.bad, self.file_errors = [], [], [], []
        run = self.run
        run.records_read += len(good) + len(bad)
        run.malformed += len(bad)
        for record, reason in bad:
            run.add_error(record.file, record.number, reason)
        for file, number, reason in file_errors:
            run.add_error(file, number, reason)
        if self.last_position >= 0:
            run.position = self.last_position + 1
        if self.dry_run:
            run.items_stored += len({i.platform_id for i in items})
            self._report()
            return bool(self.should_stop())
        with transaction.atomic():
            now = timezone.now()
            for record, reason in bad:
                context = {**self._context(record.file), "record": record.number, "position": record.position,
                           "import_run": run.pk}
                raw = capture_actions.record_raw(
                    account=run.account, platform=self.platform, source=RawCapture.Source.IMPORT,
                    body=batch_body(record.section, [record.data]), url=f"import:{record.file}#{record.number}",
                    context=context, received_at=now, enqueue=False)
                capture_actions._quarantine(raw, f"{record.file}, post {record.number}: {reason}")
            raw = None
            if good:
                context = {**self._context(good[0].file), "first_record": good[0].number,
                           "last_record": good[-1].number, "position": good[0].position, "import_run": run.pk}
                raw = capture_actions.record_raw(
                    account=run.account, platform=self.platform, source=RawCapture.Source.IMPORT,
                    body=batch_body(good[0].section, [r.data for r in good]),
                    url=f"import:{good[0].file}#{good[0].number}-{good[-1].number}",
                    context=context, received_at=now, enqueue=False)
            run.updated_at = now
            run.save()
            if raw is not None:
                try:
                    with transaction.atomic():
                        result = _apply(raw, Normalised(items=items))
                        media = self._store_media(raw, items)
                        ImportRun.objects.filter(pk=run.pk).update(
                            items_stored=run.items_stored + result.created, media_stored=run.media_stored + media,
                            duplicates=run.duplicates + max(0, len(items) - result.versions))
                    run.items_stored += result.created
                    run.duplicates += max(0, len(items) - result.versions)
                    run.media_stored += media
                except Exception:  # noqa: BLE001 - the raw is committed; the worker's sweep retries it
                    logger.exception("applying import batch %s failed; left pending", raw.pk)
        self._report()
        if self.should_stop():
            _mark_interrupted(run, reason="stopped")
            return True
        return False

    def _store_media(self, raw: RawCapture, items: list[NormalizedItem]) -> int:
        """Attachments the export includes, stored by content hash (archive/media.py). One
        that is referenced but not in the export stays for the worker to fetch by URL; a
        relative path that cannot be fetched is marked so the worker leaves it."""
        with_media = {i.platform_id: i for i in items if i.media}
        if not with_media:
            return 0
        stored = 0
        rows = ItemMedia.objects.filter(item__account_id=raw.account_id, item__platform_id__in=list(with_media),
                                        media__isnull=True, error="").select_related("item")
        for row in rows:
            member = self.reader.media_member(with_media[row.item.platform_id], row.platform_url)
            if member is None:
                if "://" not in row.platform_url:
                    ItemMedia.objects.filter(pk=row.pk).update(error="saknas i exporten (not in the export)")
                continue
            try:
                if self.reader.source.size(member) > settings.MEDIA_MAX_BYTES:
                    raise MediaRejected(f"file is larger than {settings.MEDIA_MAX_BYTES} bytes")
                media = store_media(self.reader.source.read(member))
            except MediaRejected as exc:
                ItemMedia.objects.filter(pk=row.pk).update(error=str(exc)[:300])
                continue
            ItemMedia.objects.filter(pk=row.pk).update(media=media, error="")
            stored += 1
        return stored

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(self.run, self.bytes_read, self.total_bytes))


def _apply(raw: RawCapture, normalised: Normalised) -> archive_apply.ApplyResult:
    """What ``capture.actions._process`` does for a raw capture, with the batch already
    normalised by the same pure normaliser (the file is parsed once, not twice)."""
    result = archive_apply.apply(raw, normalised)
    raw.status, raw.processed_at = RawCapture.Status.PROCESSED, timezone.now()
    raw.save(update_fields=["status", "processed_at"])
    log.append("capture.processed", obj=raw, data=result.as_dict())
    return result


def _counts(run: ImportRun) -> dict[str, int]:
    return {"position": run.position, "read": run.records_read, "stored": run.items_stored,
            "duplicates": run.duplicates, "malformed": run.malformed, "media": run.media_stored,
            "errors": run.error_total}


def _mark_interrupted(run: ImportRun, *, reason: str) -> None:
    try:
        with transaction.atomic():
            ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.RUNNING).update(
                status=ImportRun.Status.INTERRUPTED, updated_at=timezone.now())
            run.refresh_from_db()  # what the last committed batch says, not what was in flight
            log.append("capture.import_interrupted", obj=run, data={**_counts(run), "reason": reason})
    except Exception:  # noqa: BLE001 - the database may be what failed; the run stays resumable
        logger.exception("could not mark import %s interrupted", run.pk)


@transaction.atomic
def _finish(run: ImportRun) -> None:
    run.status, run.finished_at = ImportRun.Status.FINISHED, timezone.now()
    run.updated_at = run.finished_at
    run.save()
    log.append("capture.import_finished", actor=run.actor, obj=run, data={
        **_counts(run), "errors_sha256": _errors_digest(run)})


def _errors_digest(run: ImportRun) -> str:
    # The chain gets a digest of the error messages, not the messages: they may quote content.
    from insyn.lib.hashing import sha256_hex

    return sha256_hex(canonical_json(run.errors)) if run.errors else ""
