"""`insyn snapshot ACCOUNT [--from YYYY-MM-DD] [--to YYYY-MM-DD]`: take a snapshot now.

The draft is generated in this process (screenshot, summary, PDF/A, WARC); a person reviews
the summary and saves it in the web interface (the command prints the address)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from insyn.capture.actions import find_account

from ... import actions
from ...models import Snapshot

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _day(value: str | None, *, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc
    return datetime.combine(day, time.max if end else time.min, tzinfo=STOCKHOLM)


class Command(BaseCommand):
    help = "Take a snapshot of one account now (screenshot, PDF/A, WARC, summary) as a draft to review."

    def add_arguments(self, parser):
        parser.add_argument("account", help="register number, platform id or handle")
        parser.add_argument("--from", dest="period_start", help="first day of the period (default: end of the last saved snapshot)")
        parser.add_argument("--to", dest="period_end", help="last day of the period (default: now)")
        parser.add_argument("--skip-screenshot", action="store_true", help="leave out the screenshot step")

    def handle(self, *args, account, period_start, period_end, skip_screenshot, **options):
        found = find_account(account)
        if found is None:
            raise CommandError(f"no account matches {account!r}")
        try:
            snapshot = actions.start_snapshot("cli", found, trigger=Snapshot.Trigger.MANUAL, enqueue=False,
                                              period_start=_day(period_start, end=False),
                                              period_end=_day(period_end, end=True))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        steps = tuple(s for s in actions.STEPS if not (skip_screenshot and s == "screenshot"))
        snapshot = actions.generate_snapshot(snapshot.pk, steps=steps)
        if snapshot is None:
            raise CommandError("another worker is generating this snapshot")
        self.stdout.write(f"snapshot {snapshot.pk}: {found.name}, {snapshot.period_start.isoformat()} – "
                          f"{snapshot.period_end.isoformat()} ({snapshot.get_generation_display()})")
        if snapshot.screenshot_sha256:
            self.stdout.write(f"  screenshot  {snapshot.screenshot_sha256}  {settings.DATA_DIR / snapshot.screenshot_file}")
        elif snapshot.screenshot_error:
            self.stdout.write(f"  screenshot  not reachable: {snapshot.screenshot_error}")
        for kind in ("pdf", "warc"):
            if getattr(snapshot, f"{kind}_sha256"):
                self.stdout.write(f"  {kind:<10}  {getattr(snapshot, f'{kind}_sha256')}  "
                                  f"{settings.DATA_DIR / getattr(snapshot, f'{kind}_file')}")
        if snapshot.generation_error:
            self.stderr.write(snapshot.generation_error)
        self.stdout.write(f"review and save: {settings.SITE_URL}{reverse('snapshots:detail', args=[snapshot.pk])}")
        if snapshot.generation != Snapshot.Generation.DONE:
            raise CommandError("generation incomplete")
