from django.core.management.base import BaseCommand, CommandError

from insyn.eventlog.log import verify


class Command(BaseCommand):
    help = "Walk the hash-chained event log end to end and report the first broken entry."

    def handle(self, *args, **options):
        result = verify()
        if not result.ok:
            raise CommandError(
                f"Händelseloggen är bruten vid post #{result.first_bad_seq}: {result.reason} "
                f"({result.checked} poster kontrollerade före felet)"
            )
        self.stdout.write(f"OK: {result.checked} poster i händelseloggen, kedjan är obruten.")
