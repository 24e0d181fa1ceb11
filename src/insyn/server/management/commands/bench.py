from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the benchmark suite (benchmarks/run.py of a source checkout; `make bench` does the same)."

    def handle(self, *args, **options):
        for base in (Path.cwd(), *Path(__file__).resolve().parents):
            runner = base / "benchmarks" / "run.py"
            if runner.exists():
                raise SystemExit(subprocess.call([sys.executable, str(runner)], cwd=base))
        raise CommandError("Benchmarkerna finns i källkoden (benchmarks/); kör från en utcheckning av Insyn.")
