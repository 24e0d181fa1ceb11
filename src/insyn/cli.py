"""The `insyn` command: Django's management commands plus Insyn's own.

`insyn sla` and `insyn triage FILE` are pure computations and run without loading Django,
so they start fast in scripts and pipelines.
"""

from __future__ import annotations

import os
import sys


def _sla(args: list[str]) -> int:
    from insyn.lib.deadlines import rules_from_policy
    from insyn.lib.policy import parse_policy, policy_file_path
    from insyn.lib.sla_cli import run

    policy = parse_policy(policy_file_path().read_text(encoding="utf-8"))
    return run(args, sys.stdout, sys.stderr, rules_from_policy(policy.response_rules))


def _train_with_decisions(rest: list[str]) -> int:
    """`insyn triage train`: the example set plus every moderator's decision in the database
    (issue 4: triage learns from the inbox). Decision files given with --decisions add to them."""
    import argparse
    import os

    import django

    parser = argparse.ArgumentParser(prog="insyn triage train")
    parser.add_argument("--decisions", nargs="*", default=[])
    parser.add_argument("--out-dir")
    options = parser.parse_args(rest)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "insyn.settings")
    django.setup()
    from django.db import DatabaseError

    from insyn.inbox.learning import decisions_as_examples
    from insyn.triage.cli import read_decisions, train

    try:
        decisions = decisions_as_examples()
    except DatabaseError as exc:
        print(
            f"insyn triage train: cannot read the moderators' decisions ({exc}). Set up the "
            "database with `insyn migrate`, or train on the example set alone with "
            "`insyn triage train --no-decisions`.",
            file=sys.stderr,
        )
        return 2
    examples = decisions + read_decisions(options.decisions)
    version = train(examples, options.out_dir)
    print(f"trained model {version} ({len(examples)} decisions from moderators)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["sla"]:
        return _sla(args[1:])
    if args[:2] == ["triage", "train"] and "--no-decisions" not in args:
        return _train_with_decisions(args[2:])
    if args[:1] == ["triage"]:
        from insyn.triage.cli import main as triage_main

        return triage_main([a for a in args[1:] if a != "--no-decisions"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "insyn.settings")
    if args[:1] == ["demo"]:
        # The demo sends its e-mail (to kommunkansliet, to handläggare) into var/mail/ as files.
        os.environ.setdefault("INSYN_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["insyn", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
