from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from insyn.records import gallring
from insyn.registry.models import User


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else "–"


class Command(BaseCommand):
    help = ("Gallring (R23): dispose of archive content past its retention period, under recorded "
            "gallring decisions. --dry-run shows what would go and changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="show what would be disposed of; change nothing")
        parser.add_argument("--decision", type=int, action="append", help="only under this decision (id); repeatable")
        parser.add_argument("--class", dest="classes", action="append", help="only this record class; repeatable")
        parser.add_argument("--batch-size", type=int, default=gallring.BATCH_SIZE)
        parser.add_argument("--user", help="the arkivarie running it (username); default: the command line")

    def handle(self, *args, dry_run, decision, classes, batch_size, user, **options):
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"Ingen användare {user!r}.")
        try:
            plan = gallring.preview(decision_ids=decision, classes=classes, user=actor)
        except gallring.GallringRefused as exc:
            raise CommandError(str(exc)) from exc
        self._print_plan(plan)
        if dry_run:
            self.stdout.write("Provkörning: ingenting har ändrats.")
            return
        if not plan.classes:
            raise CommandError("Inget gällande gallringsbeslut omfattar något handlingsslag som gallras. "
                               "Gallring körs bara under ett registrerat beslut.")
        try:
            run = gallring.run_gallring(actor, decision_ids=decision, classes=classes, batch_size=batch_size, label="cli")
        except (gallring.GallringRefused, PermissionDenied) as exc:
            raise CommandError(str(exc) or "Du har inte behörighet att gallra.") from exc
        t = run.totals
        self.stdout.write(
            f"Gallring {run.run_id} klar: {t['items']} poster ({t['versions']} versioner), {t['media_files']} mediefiler, "
            f"{t['raw_bodies']} rådatasidor tömda ({t['raw_bytes']} byte), {t['residue_items']} återinsamlade poster; "
            f"{t['held']} skyddade poster lämnades kvar.")

    def _print_plan(self, plan) -> None:
        self.stdout.write("klass\tantal\täldst\tnyast\tspärrade\tperiod\tgräns\tbeslut")
        for cp in plan.classes:
            self.stdout.write(f"{cp.key}\t{cp.count}\t{_when(cp.oldest)}\t{_when(cp.newest)}\t{cp.held}\t{cp.period.iso}\t"
                              f"{_when(cp.cutoff)}\t{cp.decision.reference} (#{cp.decision.pk})")
        for label, why in plan.skipped:
            self.stdout.write(f"# {label}: {why}")
        if not plan.classes:
            self.stdout.write("# Inget gällande gallringsbeslut omfattar något handlingsslag som gallras.")
