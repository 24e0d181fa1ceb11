"""`insyn earchive build --account ID|HANDLE [--from DATE --to DATE] [--format csip|bagit] [--user U]`
builds, validates and records one delivery and prints the path and the validation result;
`insyn earchive validate FILE.zip [--format csip|bagit]` validates a package file. The exit
code is 0 only for a valid package."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from insyn.records.earchive import actions
from insyn.records.earchive.models import Delivery
from insyn.registry.models import Account, User


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Ogiltigt datum {value!r}; ange ÅÅÅÅ-MM-DD.") from exc


class Command(BaseCommand):
    help = "E-archive delivery: build a validated E-ARK SIP (FGS Paketstruktur 2.0) or BagIt package."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="build and validate a package of one account's items")
        build.add_argument("--account", required=True, help="the account's id or handle")
        build.add_argument("--from", dest="period_from", help="items that came in on or after (YYYY-MM-DD)")
        build.add_argument("--to", dest="period_to", help="items that came in on or before (YYYY-MM-DD)")
        build.add_argument("--format", choices=Delivery.Format.values, default=Delivery.Format.CSIP)
        build.add_argument("--user", help="build as this arkivarie (checked and chained); default: system")
        validate = sub.add_parser("validate", help="validate a package file")
        validate.add_argument("file")
        validate.add_argument("--format", choices=Delivery.Format.values, default=Delivery.Format.CSIP)

    def handle(self, *args, action, **options):
        if action == "validate":
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"Filen {path} finns inte.")
            report = actions.validate_file(path, options["format"])
            self._print_report(report.as_dict())
            if not report.valid:
                raise CommandError("Paketet är inte giltigt.")
            return
        account = self._account(options["account"])
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"Ingen användare {options['user']!r}.")
        try:
            delivery = actions.request_delivery(actor, account=account, period_from=_day(options["period_from"]),
                                                period_to=_day(options["period_to"]), fmt=options["format"])
        except PermissionDenied as exc:
            raise CommandError(f"{options['user']} är inte arkivarie för kontots enhet.") from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        try:
            delivery = actions.build_delivery(delivery)
        except Exception as exc:  # noqa: BLE001 - recorded on the delivery; the operator gets the reason
            raise CommandError(f"Paketet kunde inte byggas: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(str(actions.package_path(delivery)))
        self.stdout.write(f"{delivery.objid}: {delivery.get_status_display()} ({delivery.item_count} poster, "
                          f"{delivery.size} byte, sha256 {delivery.sha256})")
        self._print_report(delivery.report)
        if delivery.status != Delivery.Status.VALID:
            raise CommandError("Paketet klarade inte valideringen och erbjuds inte för leverans.")

    def _account(self, value: str) -> Account:
        query = Q(handle=value) | (Q(pk=int(value)) if value.isdigit() else Q(pk__in=[]))
        accounts = list(Account.objects.filter(query)[:2])
        if len(accounts) != 1:
            raise CommandError(f"Inget entydigt konto {value!r}.")
        return accounts[0]

    def _print_report(self, report: dict) -> None:
        for check in report.get("checks", []):
            self.stdout.write(f"  {check['status']:8} {check['name']}")
            for error in check.get("errors", []):
                self.stdout.write(f"           - {error}")
            for warning in check.get("warnings", []):
                if warning.startswith("waived") or "waived" in warning[:20]:
                    self.stdout.write(f"           ~ {warning}")
