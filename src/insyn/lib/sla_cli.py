"""`insyn sla`: response deadlines from the command line, Django-free.

The `insyn` command passes the policy's rules in (`DEFAULT_RULES` when there is no policy),
so this module never reads settings or files other than the one it is asked to.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any, NoReturn

from insyn.lib.deadlines import DEFAULT_RULE_NAME, ResponseRule, deadline, parse_received

_DESCRIPTION = """\
Print the response deadline of an item received at a given time, per the Swedish working-day
calendar (weekdays except public holidays, midsommarafton, julafton and nyårsafton).

Received times are ISO 8601, with 'Z' or a UTC offset (2026-06-21T22:30:00Z,
2026-06-22T00:30+02:00). A time without an offset is read as Europe/Stockholm local time;
a local time that does not exist or happens twice at a clock change is refused.
Deadlines are printed in Europe/Stockholm local time with the offset, to the second.

With --jsonl, each line {"id": ..., "received": "...", "rule": "..."} ("rule" optional) gives a
line {"id": ..., "due": "..."}; a line that fails gives {"id": ..., "error": "..."}, is reported
on stderr with its line number, and the exit status is 1."""


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An argument parser that writes to the streams it is given and raises instead of exiting,
    so `run` can be called in-process."""

    def __init__(self, *, stdout: IO[str], stderr: IO[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stdout, self._stderr = stdout, stderr

    def print_help(self, file: IO[str] | None = None) -> None:
        (file or self._stdout).write(self.format_help())

    def print_usage(self, file: IO[str] | None = None) -> None:
        (file or self._stdout).write(self.format_usage())

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self._stderr.write(message)
        raise _Exit(status)

    def error(self, message: str) -> NoReturn:
        self.print_usage(self._stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def run(
    argv: list[str],
    stdout: IO[str],
    stderr: IO[str],
    rules: Mapping[str, ResponseRule],
    *,
    stdin: IO[str] | None = None,
) -> int:
    """Run `insyn sla` with `argv` (without the command name); return the exit status:
    0 all deadlines computed, 1 some --jsonl lines failed, 2 a usage error."""
    parser = _Parser(
        stdout=stdout,
        stderr=stderr,
        prog="insyn sla",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--received", metavar="ISO", help="when the item was received")
    source.add_argument("--jsonl", metavar="FILE", help="JSON lines to read ('-' for stdin)")
    parser.add_argument(
        "--rule",
        metavar="NAME",
        default=DEFAULT_RULE_NAME,
        help=f"response rule, or with --jsonl the rule for lines that name none "
        f"(default {DEFAULT_RULE_NAME}; known: {', '.join(sorted(rules))})",
    )
    try:
        args = parser.parse_args(argv)
        try:
            rule = _rule(rules, args.rule)
        except ValueError as error:
            parser.error(str(error))
        if args.received is not None:
            try:
                due = deadline(parse_received(args.received, naive_as_local=True), rule)
            except (ValueError, OverflowError) as error:
                parser.error(f"--received: {error}")
            stdout.write(_iso(due) + "\n")
            return 0
        if args.jsonl == "-":
            stdin = stdin or sys.stdin
            # Bytes where the stream has them, so one badly encoded line fails alone.
            return _run_jsonl(getattr(stdin, "buffer", stdin), stdout, stderr, rules, rule)
        try:
            with open(args.jsonl, "rb") as lines:
                return _run_jsonl(lines, stdout, stderr, rules, rule)
        except OSError as error:
            stderr.write(f"insyn sla: cannot read {args.jsonl}: {error.strerror or error}\n")
            return 2
    except _Exit as exit_:
        return exit_.status


def _run_jsonl(
    lines: Iterable[bytes | str],
    stdout: IO[str],
    stderr: IO[str],
    rules: Mapping[str, ResponseRule],
    default_rule: ResponseRule,
) -> int:
    status = 0
    for number, raw in enumerate(lines, start=1):
        item: Any = None
        try:
            line = _decode(raw).removeprefix("\ufeff") if number == 1 else _decode(raw)
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"not valid JSON: {error}") from None
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            received = item.get("received")
            if not isinstance(received, str):
                raise ValueError('"received" must be an ISO 8601 string')
            name = item.get("rule")
            if name is not None and not isinstance(name, str):
                raise ValueError('"rule" must be a string')
            rule = default_rule if name is None else _rule(rules, name)
            due = deadline(parse_received(received, naive_as_local=True), rule)
            result = {"id": item.get("id"), "due": _iso(due)}
        except (ValueError, OverflowError) as error:
            status = 1
            stderr.write(f"insyn sla: line {number}: {error}\n")
            result = {"id": item.get("id") if isinstance(item, dict) else None, "error": str(error)}
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return status


def _decode(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not valid UTF-8 (byte {error.start + 1})") from None


def _rule(rules: Mapping[str, ResponseRule], name: str) -> ResponseRule:
    try:
        return rules[name]
    except KeyError:
        raise ValueError(
            f"unknown rule {name!r}; known rules: {', '.join(sorted(rules))}"
        ) from None


def _iso(due: dt.datetime) -> str:
    # Whole seconds, as the contract shows; a deadline is never stated to the microsecond.
    return due.isoformat(timespec="seconds")
