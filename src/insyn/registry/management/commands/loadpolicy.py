from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from insyn.registry.actions import load_policy_file


class Command(BaseCommand):
    help = "Put the policy file in force (INSYN_POLICY_FILE, or the path given)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?")

    def handle(self, *args, path=None, **options):
        try:
            version = load_policy_file(path)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Riktlinjer i kraft: {version.version} ({version.sha256[:12]})")
