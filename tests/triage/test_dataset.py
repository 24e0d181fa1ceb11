from __future__ import annotations

import json

import pytest

from insyn.triage.dataset import DatasetError, is_dev_id, load_examples, split, validate

GOOD = {
    "id": "x-1",
    "text": "När töms soporna?",
    "kind": "comment",
    "needs_answer": True,
    "topic": "avfall_atervinning",
    "moderation": [],
    "sensitive": [],
    "wrong_authority": None,
}


def test_shipped_examples_are_valid_and_split():
    examples = load_examples()
    assert len(examples) >= 1500
    train, dev = split(examples)
    assert 0.15 < len(dev) / len(examples) < 0.25
    assert {e.id for e in train}.isdisjoint(e.id for e in dev)


def test_split_is_stable_per_id():
    assert is_dev_id("dlg-0001") == is_dev_id("dlg-0001")
    share = sum(is_dev_id(f"id-{i}") for i in range(10_000)) / 10_000
    assert 0.18 < share < 0.22


@pytest.mark.parametrize(
    "change,message",
    [
        ({"topic": "skola"}, "topic"),
        ({"moderation": ["hets"]}, "moderation has unknown"),
        ({"sensitive": ["halsa", "halsa"]}, "repeats"),
        ({"wrong_authority": "Polis"}, "wrong_authority"),
        ({"kind": "tweet"}, "kind"),
        ({"needs_answer": "yes"}, "needs_answer"),
        ({"extra": 1}, "unknown keys"),
    ],
)
def test_bad_labels_fail_loudly(change, message):
    with pytest.raises(DatasetError, match=message):
        validate({**GOOD, **change}, "f.jsonl:3")


def test_bad_line_names_file_and_line(tmp_path):
    (tmp_path / "a.jsonl").write_text(
        json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "x-2", "topic": "nope"}) + "\n"
    )
    with pytest.raises(DatasetError, match=r"a\.jsonl:2"):
        load_examples(tmp_path)


def test_duplicate_ids_fail(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps(GOOD) + "\n")
    (tmp_path / "b.jsonl").write_text(json.dumps(GOOD) + "\n")
    with pytest.raises(DatasetError, match="already used"):
        load_examples(tmp_path)
