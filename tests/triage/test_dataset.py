from __future__ import annotations

import json

import pytest

from insyn.triage.dataset import (
    DatasetError,
    is_dev_id,
    load_blind,
    load_examples,
    load_threads,
    split,
    validate,
)

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


def test_blind_set_is_apart_from_the_examples():
    blind = load_blind()
    assert len(blind) >= 300
    texts = {" ".join(e.text.lower().split()) for e in load_examples()}
    # One-word reactions ("haha", "👍") occur in both by nature; anything longer must not.
    copied = [
        e.id for e in blind if len(e.text.split()) > 3 and " ".join(e.text.lower().split()) in texts
    ]
    assert not copied


def test_blind_ids_clashing_with_examples_fail(tmp_path):
    known = load_examples()[0].to_dict()
    (tmp_path / "blind.jsonl").write_text(json.dumps(known, ensure_ascii=False) + "\n")
    with pytest.raises(DatasetError, match="blind ids"):
        load_blind(tmp_path)


def test_written_threads_load_and_both_halves_are_used():
    threads = load_threads()
    assert len(threads) >= 200
    assert all(t.replies for t in threads)
    tuning = [t for t in threads if t.is_tuning]
    assert 0.3 < len(tuning) / len(threads) < 0.7


@pytest.mark.parametrize("line, message", [
    ('{"id": "th-1", "post": "Nu öppnar vi", "post_topic": "sport", "replies": []}', "post_topic"),
    ('{"id": "th-1", "post": "Nu öppnar vi", "post_topic": "ovrigt", "replies": [{"text": "ja"}]}', "each reply"),
    ('{"id": "th-1", "post": "Nu öppnar vi"}', "keys"),
    ("not json", "invalid JSON"),
])
def test_bad_threads_fail_loudly(tmp_path, line, message):
    path = tmp_path / "threads.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_threads(path)
