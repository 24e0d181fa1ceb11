"""`insyn inbox run` – one round of the inbox's worker sweeps (cases, reminders, escalation,
supervision reminders), for cron and tests; `insyn inbox decisions [-o FILE]` – people's
decisions as triage examples (JSONL) for `insyn triage train --decisions FILE`."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Inkorgen: kör ett varv av bevakningen, eller exportera besluten som träningsexempel."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("run", help="one round: open cases, reminders, escalation, supervision")
        decisions = sub.add_parser("decisions", help="decisions as triage examples (JSONL)")
        decisions.add_argument("-o", "--output", default="-", help="file (default: stdout)")
        decisions.add_argument("--include-restricted", action="store_true",
                               help="also items moved to the diarium (their text is sensitive)")

    def handle(self, *args, what, **options):
        if what == "run":
            from insyn.inbox.tasks import worker_step

            self.stdout.write(f"{worker_step(force=True)} ändringar")
            return
        from insyn.inbox.learning import iter_examples

        out = sys.stdout if options["output"] == "-" else open(options["output"], "w", encoding="utf-8")  # noqa: SIM115
        try:
            count = 0
            for example in iter_examples(include_restricted=options["include_restricted"]):
                out.write(json.dumps(example, ensure_ascii=False) + "\n")
                count += 1
        finally:
            if out is not sys.stdout:
                out.close()
        self.stderr.write(f"{count} exempel")
