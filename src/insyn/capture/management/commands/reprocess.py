from __future__ import annotations

from django.core.management.base import BaseCommand

from insyn.capture import actions
from insyn.registry.models import Account


class Command(BaseCommand):
    help = "Rebuild the archive from the raw capture log and report whether anything differed."

    def add_arguments(self, parser):
        parser.add_argument("--account", help="handle of one account (default: all)")

    def handle(self, *args, account=None, **options):
        accounts = Account.objects.filter(raw_captures__isnull=False).distinct()
        if account:
            accounts = accounts.filter(handle=account)
        for acc in accounts:
            before, after = actions.reprocess(acc)
            verdict = "oförändrat" if before == after else "ÄNDRAT"
            self.stdout.write(f"{acc.handle}: {verdict} ({before[:12]} → {after[:12]})")
