from __future__ import annotations

import sys
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from insyn.eventlog import log
from insyn.records import actions, permissions
from insyn.records.adapters import ADAPTERS, get_adapter
from insyn.records.models import Registration
from insyn.registry.models import Authority, User


class Command(BaseCommand):
    help = "The diarium: export registrations (json, csv, erms) or set an authority's number format."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="registrations of one authority as a file")
        export.add_argument("--authority", required=True, help="diarium prefix, e.g. KS")
        export.add_argument("--format", choices=sorted(ADAPTERS), default="json")
        export.add_argument("--year", type=int)
        export.add_argument("--since", help="registered on or after (YYYY-MM-DD)")
        export.add_argument("--protected", action="store_true",
                            help="include fields kept apart under sekretess (needs --user, a registrator; logged)")
        export.add_argument("--user")
        export.add_argument("--output", "-o")
        series = sub.add_parser("series", help="set the number format of a year's series")
        series.add_argument("--authority", required=True)
        series.add_argument("--year", type=int, required=True)
        series.add_argument("--format", dest="number_format", required=True, help="e.g. '{prefix} {year}/{seq}'")
        series.add_argument("--pad", type=int, default=0, help="zero-pad the running number to this many digits")

    def handle(self, *args, action, **options):
        prefix = options.pop("authority")
        authority = Authority.objects.filter(diarium_prefix=prefix).first()
        if authority is None:
            raise CommandError(f"Ingen myndighet med diarieprefixet {prefix!r}.")
        if action == "series":
            try:
                series = actions.configure_series(None, authority, year=options["year"],
                                                  number_format=options["number_format"], pad=options["pad"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(f"{series}: {series.number_format} (löpnummer med {series.pad or 'valfritt antal'} siffror)")
            return
        self._export(authority, **options)

    def _export(self, authority, *, format, year, since, protected, user, output, **options):
        registrations = Registration.objects.filter(authority=authority).order_by("registered_at", "seq")
        if year:
            registrations = registrations.filter(series__year=year)
        if since:
            registrations = registrations.filter(registered_at__date__gte=date.fromisoformat(since))
        if protected:
            actor = User.objects.filter(username=user or "").first()
            if actor is None or not permissions.is_registrator_for(actor, authority):
                raise CommandError("Skyddade uppgifter kräver --user med rollen registrator hos myndigheten.")
            with transaction.atomic():
                log.append("records.protected_exported", actor=actor, obj=authority,
                           data={"format": format, "count": registrations.count()})
        body = get_adapter(format).export(registrations, include_protected=protected, authority=authority)
        if output:
            with open(output, "wb") as fh:
                fh.write(body)
        else:
            sys.stdout.buffer.write(body)
