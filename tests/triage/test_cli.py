from __future__ import annotations

import io
import json
import sys

from insyn.triage.cli import main, run_file
from insyn.triage.vocab import CONTRACT_KEYS


def test_run_file_writes_one_line_per_input_and_reports_bad_lines(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join([
            json.dumps({"id": "ärende-1", "text": "När öppnar biblioteket på lördag?", "kind": "comment"}, ensure_ascii=False),
            "{not json",
            json.dumps({"id": "2", "kind": "comment"}),
            json.dumps({"id": "3", "text": "Mitt personnummer är 640823-3234", "kind": "message"}),
            json.dumps({"id": "4", "text": "hej", "kind": "fax"}),
        ]) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    bad = run_file(path, out, err)
    assert bad == 3
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [x["id"] for x in lines] == ["ärende-1", "3"]
    for x in lines:
        assert list(x) == ["id", *CONTRACT_KEYS]
    assert lines[1]["spans"] == [{"start": 21, "end": 32, "kind": "personnummer"}]
    assert (
        "in.jsonl:2" in err.getvalue()
        and "in.jsonl:3" in err.getvalue()
        and "in.jsonl:5" in err.getvalue()
    )
    assert "ärende-1" in out.getvalue()  # ensure_ascii=False


def test_stdin(monkeypatch):
    monkeypatch.setattr(
        sys,
        "stdin",
        io.StringIO('{"id": "a", "text": "Tack för en fin konsert!", "kind": "comment"}\n'),
    )
    out = io.StringIO()
    assert main(["-"], out=out) == 0
    assert json.loads(out.getvalue())["id"] == "a"


def test_an_optional_thread_routes_a_short_reply_with_its_post(tmp_path):
    post = "Nu öppnar den nya återvinningscentralen på Norrvägen! Lämna grovavfall och elektronik."
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"id": "alone", "text": "När öppnar den?", "kind": "comment"},
        {"id": "in-thread", "text": "När öppnar den?", "kind": "comment", "thread": post},
        {"id": "bad", "text": "När öppnar den?", "kind": "comment", "thread": 5},
    ]) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run_file(path, out, err) == 1 and '"thread" must be a string' in err.getvalue()
    topics = {x["id"]: x["topic"] for x in map(json.loads, out.getvalue().splitlines())}
    assert topics["in-thread"] == "avfall_atervinning" != topics["alone"]
    assert all(list(x) == ["id", *CONTRACT_KEYS] for x in map(json.loads, out.getvalue().splitlines()))
