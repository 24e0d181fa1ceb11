"""`insyn sla`, called in-process through `run`."""

from __future__ import annotations

import io
import json

import pytest

from insyn.lib.deadlines import DEFAULT_RULES, ResponseRule
from insyn.lib.sla_cli import run

KNOWN = "known rules: crisis_two_hours, four_working_hours, next_working_day_end, same_working_day"


def sla(*argv: str, stdin: str = "", rules=DEFAULT_RULES) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    status = run(list(argv), stdout, stderr, rules, stdin=io.StringIO(stdin))
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-06-19T10:00:00+02:00", "2026-06-22T17:00:00+02:00"),  # midsommarafton
        ("2026-06-20T09:00:00Z", "2026-06-22T17:00:00+02:00"),
        ("2026-06-21T22:30:00Z", "2026-06-23T17:00:00+02:00"),  # 00:30 Monday locally
        ("2026-12-23T10:00:00+01:00", "2026-12-28T17:00:00+01:00"),
        ("2026-10-23T12:00+02:00", "2026-10-26T17:00:00+01:00"),
        # Without an offset: Stockholm local time.
        ("2026-06-21T23:30", "2026-06-22T17:00:00+02:00"),
        ("2026-06-22T00:30", "2026-06-23T17:00:00+02:00"),
        ("2026-06-13", "2026-06-15T17:00:00+02:00"),
    ],
)
def test_received_prints_the_deadline(received, expected):
    assert sla("--received", received) == (0, expected + "\n", "")


def test_rule_option():
    assert sla("--received", "2026-06-15T08:00+02:00", "--rule", "four_working_hours") == (
        0,
        "2026-06-15T12:00:00+02:00\n",
        "",
    )
    assert sla("--rule", "same_working_day", "--received", "2026-06-15T14:00+02:00")[1] == (
        "2026-06-15T17:00:00+02:00\n"
    )


def test_deadlines_are_printed_to_the_second():
    odd = {"odd": ResponseRule.from_dict("odd", {"kind": "calendar_hours", "hours": 1})}
    status, out, _ = sla("--received", "2026-06-15T08:00:00.750+02:00", "--rule", "odd", rules=odd)
    assert (status, out) == (0, "2026-06-15T09:00:00+02:00\n")


def test_unknown_rule_names_the_known_rules():
    status, out, err = sla("--received", "2026-06-15T08:00+02:00", "--rule", "tomorrow")
    assert (status, out) == (2, "")
    assert f"insyn sla: error: unknown rule 'tomorrow'; {KNOWN}" in err


@pytest.mark.parametrize(
    ("received", "message"),
    [
        ("next monday", "not an ISO 8601 date and time: 'next monday'"),
        ("2026-03-29T02:30", "'2026-03-29T02:30' does not exist in Europe/Stockholm"),
        ("2026-10-25T02:30", "'2026-10-25T02:30' happens twice in Europe/Stockholm"),
    ],
)
def test_bad_received_is_a_usage_error(received, message):
    status, out, err = sla("--received", received)
    assert (status, out) == (2, "")
    assert err.startswith("usage: insyn sla")
    assert f"insyn sla: error: --received: {message}" in err


def test_autumn_clock_change_with_an_offset_is_fine():
    assert sla("--received", "2026-10-25T02:30+01:00")[1] == "2026-10-26T17:00:00+01:00\n"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--rule", "same_working_day"],
        ["--received", "2026-06-15T08:00Z", "--jsonl", "-"],
        ["--received"],
        ["--bogus"],
    ],
)
def test_usage_errors(argv):
    status, out, err = sla(*argv)
    assert (status, out) == (2, "")
    assert err.startswith("usage: insyn sla") and "insyn sla: error:" in err


def test_help_explains_naive_times_and_lists_the_rules():
    status, out, err = sla("--help")
    assert (status, err) == (0, "")
    assert "without an offset is read as Europe/Stockholm local time" in out
    assert f"default next_working_day_end; {KNOWN.replace(' rules', '')})" in " ".join(out.split())


LINES = [
    {"id": "a", "received": "2026-06-19T10:00:00+02:00"},
    {"id": 2, "received": "2026-06-15T08:00:00+02:00", "rule": "four_working_hours"},
    {"id": "c", "received": "2026-06-21T22:30:00Z", "rule": None},
    {"id": "d", "received": "2026-12-23T10:00"},
]
DUES = [
    {"id": "a", "due": "2026-06-22T17:00:00+02:00"},
    {"id": 2, "due": "2026-06-15T12:00:00+02:00"},
    {"id": "c", "due": "2026-06-23T17:00:00+02:00"},
    {"id": "d", "due": "2026-12-28T17:00:00+01:00"},
]


def jsonl(items) -> str:
    return "".join(json.dumps(item) + "\n" for item in items)


def parsed(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_jsonl_file(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(jsonl(LINES), encoding="utf-8")
    status, out, err = sla("--jsonl", str(path))
    assert (status, err) == (0, "")
    assert parsed(out) == DUES


def test_jsonl_from_stdin():
    status, out, err = sla("--jsonl", "-", stdin=jsonl(LINES))
    assert (status, err) == (0, "")
    assert parsed(out) == DUES


def test_jsonl_rule_option_is_the_default_for_lines_without_a_rule():
    lines = [{"id": 1, "received": "2026-06-15T08:00+02:00"}]
    lines.append({"id": 2, "received": "2026-06-15T08:00+02:00", "rule": "next_working_day_end"})
    status, out, _ = sla("--jsonl", "-", "--rule", "four_working_hours", stdin=jsonl(lines))
    assert status == 0
    assert parsed(out) == [
        {"id": 1, "due": "2026-06-15T12:00:00+02:00"},
        {"id": 2, "due": "2026-06-16T17:00:00+02:00"},
    ]


def test_bad_lines_are_reported_and_the_rest_go_on():
    text = "\n".join(
        [
            json.dumps({"id": "ok1", "received": "2026-06-13T10:00+02:00"}),
            "{not json",
            json.dumps({"id": "unknown", "received": "2026-06-13T10:00+02:00", "rule": "x"}),
            "",  # blank lines are skipped, but still counted
            json.dumps({"id": "missing"}),
            json.dumps(["a", "list"]),
            json.dumps({"id": "gap", "received": "2026-03-29T02:30"}),
            json.dumps({"id": "bad", "received": "soon"}),
            json.dumps({"id": "rule", "received": "2026-06-13T10:00Z", "rule": 4}),
            json.dumps({"id": "ok2", "received": "2026-06-13T10:00Z"}),
        ]
    )
    status, out, err = sla("--jsonl", "-", stdin=text + "\n")
    assert status == 1
    results = parsed(out)
    assert [r.get("id") for r in results] == [
        "ok1",
        None,
        "unknown",
        "missing",
        None,
        "gap",
        "bad",
        "rule",
        "ok2",
    ]
    assert results[0] == {"id": "ok1", "due": "2026-06-15T17:00:00+02:00"}
    assert results[-1] == {"id": "ok2", "due": "2026-06-15T17:00:00+02:00"}
    assert results[1]["error"].startswith("not valid JSON:")
    assert results[2] == {"id": "unknown", "error": f"unknown rule 'x'; {KNOWN}"}
    assert results[3] == {"id": "missing", "error": '"received" must be an ISO 8601 string'}
    assert results[4] == {"id": None, "error": "not a JSON object"}
    assert "does not exist in Europe/Stockholm" in results[5]["error"]
    assert results[6] == {"id": "bad", "error": "not an ISO 8601 date and time: 'soon'"}
    assert results[7] == {"id": "rule", "error": '"rule" must be a string'}
    assert set(results[8]) == {"id", "due"}
    errors = err.splitlines()
    assert [line.split(":")[1] for line in errors] == [
        " line 2",
        " line 3",
        " line 5",
        " line 6",
        " line 7",
        " line 8",
        " line 9",
    ]
    assert errors[1] == f"insyn sla: line 3: unknown rule 'x'; {KNOWN}"


def test_jsonl_keeps_non_ascii_ids_and_tolerates_a_byte_order_mark():
    text = "\ufeff" + json.dumps({"id": "Ånge-1", "received": "2026-06-13T10:00Z"}) + "\n"
    status, out, _ = sla("--jsonl", "-", stdin=text)
    assert status == 0
    assert out == '{"id": "Ånge-1", "due": "2026-06-15T17:00:00+02:00"}\n'


def test_missing_file(tmp_path):
    status, out, err = sla("--jsonl", str(tmp_path / "nope.jsonl"))
    assert (status, out) == (2, "")
    assert err.startswith(f"insyn sla: cannot read {tmp_path / 'nope.jsonl'}: No such file")


def test_empty_input_is_fine():
    assert sla("--jsonl", "-", stdin="") == (0, "", "")


def test_a_badly_encoded_line_fails_alone(tmp_path):
    good = json.dumps({"id": 1, "received": "2026-06-13T10:00Z"}).encode()
    data = good + b"\n" + b'{"id": "\xff"}\n' + good.replace(b"1", b"3", 1) + b"\n"
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(data)
    for argv, stdin in ((["--jsonl", str(path)], None), (["--jsonl", "-"], data)):
        stdout, stderr = io.StringIO(), io.StringIO()
        # Like sys.stdin: a text stream with the bytes underneath.
        text_stdin = io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8")
        assert run(argv, stdout, stderr, DEFAULT_RULES, stdin=text_stdin) == 1
        assert parsed(stdout.getvalue()) == [
            {"id": 1, "due": "2026-06-15T17:00:00+02:00"},
            {"id": None, "error": "not valid UTF-8 (byte 9)"},
            {"id": 3, "due": "2026-06-15T17:00:00+02:00"},
        ]
        assert stderr.getvalue() == "insyn sla: line 2: not valid UTF-8 (byte 9)\n"
