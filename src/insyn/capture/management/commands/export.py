from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from insyn.archive.export import write_csv, write_jsonl
from insyn.archive.models import Item
from insyn.capture.actions import find_account

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _day(value: str, end: bool = False) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Ogiltigt datum: {value!r} (använd ÅÅÅÅ-MM-DD)") from None
    if parsed.tzinfo is None:
        if len(value) <= 10:
            parsed = datetime.combine(parsed.date(), time.max if end else time.min)
        parsed = parsed.replace(tzinfo=STOCKHOLM)
    return parsed


class Command(BaseCommand):
    help = "Export the archive: one record per item with its versions (jsonl or csv)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--account", help="handle of one account")
        parser.add_argument("--since", help="created on or after this date (YYYY-MM-DD, Stockholm time)")
        parser.add_argument("--until", help="created on or before this date")
        parser.add_argument("--output", "-o", help="file (default: standard output)")

    def handle(self, *args, format, account=None, since=None, until=None, output=None, **options):
        items = Item.objects.all()
        if account:
            found = find_account(account)
            if found is None:
                raise CommandError(f"Inget konto heter {account!r}.")
            items = items.filter(account=found)
        if since:
            items = items.filter(created_at__gte=_day(since))
        if until:
            items = items.filter(created_at__lte=_day(until, end=True))
        if output:
            out = open(output, "w", encoding="utf-8", newline="")
        else:
            out = self.stdout
            self.stdout.ending = ""
        try:
            count = (write_jsonl if format == "jsonl" else write_csv)(items, out)
        finally:
            if output:
                out.close()
        self.stderr.write(f"{count} poster exporterade.")
