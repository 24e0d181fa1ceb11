from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from insyn.capture import actions
from insyn.capture.models import Connection


class Command(BaseCommand):
    help = "Poll one account now (ACCOUNT is its handle, platform id or register number)."

    def add_arguments(self, parser):
        parser.add_argument("account")
        parser.add_argument("--full", action="store_true", help="the full pass that also detects removed items")

    def handle(self, *args, account, full, **options):
        found = actions.find_account(account)
        connection = Connection.objects.select_related("account__organisation").filter(account=found).first() if found else None
        if connection is None:
            raise CommandError(f"Inget anslutet konto heter {account!r}.")
        report = actions.poll(connection, full=full)
        if report.error:
            raise CommandError(f"Hämtningen misslyckades: {report.error}")
        self.stdout.write(f"{connection.account.handle}: {report.pages} sidor hämtade"
                          f"{', fullständig genomgång' if report.full else ''}.")
