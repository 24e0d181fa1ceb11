"""`insyn import KIND PATH --account ACCOUNT [--resume] [--dry-run]`: a platform's export file.

A progress bar on stderr when stderr is a terminal, otherwise one line per ``--every``
records; Ctrl-C stops cleanly after the batch in progress (a second Ctrl-C stops at once;
either way ``--resume`` continues without duplicates).
"""

from __future__ import annotations

import signal
import sys

from django.core.management.base import BaseCommand, CommandError

from insyn.capture import actions as capture_actions
from insyn.capture.imports import IMPORT_KINDS, reader_class
from insyn.capture.imports.actions import ImportRefused, Progress, run_import
from insyn.capture.imports.base import ExportSyntaxError, WrongExport
from insyn.capture.models import ImportRun
from insyn.registry.models import User

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import a platform's export file (X archive, Facebook 'Download your information') into an account."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORT_KINDS), help="x-archive or facebook-dyi")
        parser.add_argument("path", help="the export: a .zip, its unpacked folder, or one data file")
        parser.add_argument("--account", required=True, help="handle, platform id or register number")
        parser.add_argument("--resume", action="store_true", help="continue an interrupted import of the same file")
        parser.add_argument("--dry-run", action="store_true", help="read and check everything, store nothing")
        parser.add_argument("--actor", help="username recorded as the one who ran the import")
        parser.add_argument("--batch-size", type=int, default=500, help="records per transaction (default 500)")
        parser.add_argument("--every", type=int, default=10000,
                            help="without a terminal: one progress line per this many records (default 10000)")

    def handle(self, *args, kind, path, account, resume, dry_run, actor, batch_size, every, **options):
        # A handle shared by several platforms means the account this kind of export belongs to.
        found = capture_actions.find_account(account, platforms=reader_class(kind).platforms)
        if found is None:
            raise CommandError(f"Inget konto heter {account!r}. (No such account.)")
        user = None
        if actor:
            user = User.objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"Ingen användare heter {actor!r}. (No such user.)")
        stop = {"asked": False}
        previous = signal.getsignal(signal.SIGINT)

        def on_sigint(signum, frame):
            stop["asked"] = True
            sys.stderr.write("\nAvbryter efter pågående omgång … (Ctrl-C igen avbryter direkt)\n")
            signal.signal(signal.SIGINT, signal.default_int_handler)

        bar = _ProgressOutput(sys.stderr, every)
        try:
            signal.signal(signal.SIGINT, on_sigint)
        except ValueError:  # not the main thread (called from a test or a task): no Ctrl-C to catch
            previous = None
        try:
            run = run_import(kind, path, found, actor=user, resume=resume, dry_run=dry_run, batch_size=batch_size,
                             on_progress=bar.update, should_stop=lambda: stop["asked"])
        except (WrongExport, ExportSyntaxError, ImportRefused) as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            # A second Ctrl-C: the batch in flight was rolled back, the run marked interrupted.
            run = None if dry_run else ImportRun.objects.filter(account=found, kind=kind).order_by("-id").first()
            if run is not None:
                self._summary(run, kind, path, found, dry_run)
            raise CommandError("Importen avbröts. (Interrupted.)", returncode=130) from None
        finally:
            bar.close()
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        self._summary(run, kind, path, found, dry_run)

    def _summary(self, run: ImportRun, kind: str, path: str, account, dry_run: bool) -> None:
        counts = (f"{run.records_read} lästa, {run.items_stored} nya, {run.duplicates} dubbletter, "
                  f"{run.malformed} felaktiga, {run.media_stored} bilagor")
        if dry_run:
            self.stdout.write(f"Provkörning ({kind}): {run.records_read} poster lästa, {run.items_stored} poster i "
                              f"arkivformat, {run.malformed} felaktiga. Inget sparat.")
        elif run.status == ImportRun.Status.FINISHED:
            self.stdout.write(f"Import {run.pk} klar ({account.handle}): {counts}.")
        else:
            self.stdout.write(f"Import {run.pk} avbruten efter {run.position} poster ({counts}). Fortsätt med:\n"
                              f"  insyn import {kind} {path} --account {account.handle} --resume")
        for error in run.errors[:SHOWN_ERRORS]:
            self.stdout.write(f"  {error['file']}, post {error['record']}: {error['message']}")
        if run.error_total > SHOWN_ERRORS:
            self.stdout.write(f"  … och {run.error_total - SHOWN_ERRORS} fel till (se importen i Insyn).")


class _ProgressOutput:
    """tqdm on a terminal (bytes of the export read), plain lines otherwise."""

    def __init__(self, stream, every: int):
        self.stream, self.every, self.bar, self.next_line = stream, max(1, every), None, max(1, every)
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def update(self, progress: Progress) -> None:
        run = progress.run
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=progress.total_bytes or None, unit="B", unit_scale=True, file=self.stream,
                                desc="import", dynamic_ncols=True)
            self.bar.update(progress.bytes_read - self.bar.n)
            self.bar.set_postfix(poster=run.records_read, felaktiga=run.malformed, refresh=False)
            return
        if run.records_read >= self.next_line:
            share = f" ({progress.bytes_read / progress.total_bytes:.0%})" if progress.total_bytes else ""
            self.stream.write(f"import: {run.records_read} poster lästa{share}, {run.malformed} felaktiga\n")
            self.stream.flush()
            while self.next_line <= run.records_read:
                self.next_line += self.every

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
