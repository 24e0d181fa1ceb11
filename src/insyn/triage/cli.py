"""Command-line entry points: ``insyn triage FILE.jsonl`` and ``insyn triage train``.

The ``insyn`` command wires these in; ``python -m insyn.triage.cli`` runs them directly.

``run_file`` reads JSON lines ``{"id", "text", "kind"}`` ("-" is stdin; an optional
``"thread"`` holds the text of the post at the top of a comment's thread, which then weighs in
on its topic) and writes one line per input with exactly the contract keys plus the id. A
malformed line is reported on stderr with its line number and processing continues; the return
value is the number of such lines (so a caller can set an exit status).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from insyn.triage import default_triager
from insyn.triage.pipeline import Triager
from insyn.triage.vocab import KINDS


def _open_input(in_path: str | Path) -> TextIO:
    if str(in_path) == "-":
        return sys.stdin
    return open(in_path, encoding="utf-8")


def run_file(
    in_path: str | Path,
    out: TextIO,
    err: TextIO | None = None,
    triager: Triager | None = None,
) -> int:
    """Triage a JSONL file into ``out``; returns the number of malformed input lines."""
    err = err if err is not None else sys.stderr
    triager = triager or default_triager()
    bad = 0
    fh = _open_input(in_path)
    try:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("expected a JSON object")
                text = item.get("text")
                if not isinstance(text, str):
                    raise ValueError('"text" must be a string')
                kind = item.get("kind") or "comment"
                if kind not in KINDS:
                    raise ValueError(f'"kind" must be one of {", ".join(KINDS)}')
                thread = item.get("thread")
                if thread is not None and not isinstance(thread, str):
                    raise ValueError('"thread" must be a string (the text of the thread\'s post)')
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                bad += 1
                err.write(f"{in_path}:{lineno}: skipped malformed line: {exc}\n")
                continue
            result = triager.triage(text, kind, thread)
            record: dict[str, Any] = {"id": item.get("id")}
            record.update(result.to_contract())
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if fh is not sys.stdin:
            fh.close()
    return bad


def read_decisions(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Moderators' decisions exported as JSONL in the example schema."""
    items: list[dict[str, Any]] = []
    for path in paths:
        with _open_input(path) as fh:
            items.extend(json.loads(line) for line in fh if line.strip())
    return items


def train(extra_examples: Iterable[dict[str, Any]] = (), out_dir: str | Path | None = None) -> str:
    """Retrain (``insyn triage train``) and return the new model version."""
    from insyn.triage.training import train as _train

    result = _train(extra_examples, out_dir)
    return result.version


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="insyn triage", description="Swedish triage")
    sub = parser.add_subparsers(dest="cmd")
    run = sub.add_parser("run", help="triage a JSONL file ('-' for stdin)")
    run.add_argument("file")
    tr = sub.add_parser("train", help="retrain the models and write a new version")
    tr.add_argument(
        "--decisions", nargs="*", default=[], help="JSONL files of moderators' decisions"
    )
    tr.add_argument("--out-dir", type=Path, default=None)
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] not in ("run", "train", "-h", "--help"):
        args_list.insert(0, "run")  # `insyn triage FILE.jsonl`
    args = parser.parse_args(args_list)
    if args.cmd == "train":
        version = train(read_decisions(args.decisions), args.out_dir)
        out.write(f"trained model {version}\n")
        return 0
    if args.cmd == "run":
        return 1 if run_file(args.file, out) else 0
    parser.print_help(out)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
