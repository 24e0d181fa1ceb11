"""The labelled Swedish example set: loading, strict validation and the train/dev split.

Every ``*.jsonl`` file in ``data/examples/`` is read. Each line is one example::

    {"id": str, "text": str, "kind": "comment"|"reply"|"message"|"post",
     "needs_answer": bool, "topic": <one of 12>, "moderation": [labels],
     "sensitive": [labels], "wrong_authority": null | <authority>}

A wrong key, type or label is an error naming file and line: a silently accepted typo would
train a label that no tool understands. The split is by a hash of the id, so an example stays
on its side of the split however the files grow or are reordered; about 20 % is dev, which
is never used for training.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insyn.triage.vocab import AUTHORITIES, KINDS, MODERATION, SENSITIVE, TOPICS

EXAMPLES_DIR = Path(__file__).parent / "data" / "examples"
# Examples written apart from the training set, by writers who saw only the contract (not the
# examples, word lists or rules), and never trained on: a stricter check than the dev split.
BLIND_DIR = Path(__file__).parent / "data" / "blind"
# Written threads (a kommun post and the comments under it, each labelled with the topic a
# handläggare would route it to knowing the post): how much the thread's post should weigh in
# on a comment's topic. Not training data. Half (by id) chooses the weight, half reports it.
THREADS_FILE = Path(__file__).parent / "data" / "threads" / "threads.jsonl"
DEV_PERCENT = 20
KEYS = ("id", "text", "kind", "needs_answer", "topic", "moderation", "sensitive", "wrong_authority")


class DatasetError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    kind: str
    needs_answer: bool
    topic: str
    moderation: tuple[str, ...]
    sensitive: tuple[str, ...]
    wrong_authority: str | None
    source: str = ""

    @property
    def is_dev(self) -> bool:
        return is_dev_id(self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "needs_answer": self.needs_answer,
            "topic": self.topic,
            "moderation": list(self.moderation),
            "sensitive": list(self.sensitive),
            "wrong_authority": self.wrong_authority,
        }


def is_dev_id(example_id: str) -> bool:
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < DEV_PERCENT


def validate(obj: Any, where: str) -> Example:
    """Check one example strictly; raise :class:`DatasetError` naming ``where``."""
    if not isinstance(obj, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    missing = [k for k in KEYS if k not in obj]
    extra = [k for k in obj if k not in KEYS]
    if missing or extra:
        raise DatasetError(f"{where}: missing keys {missing} / unknown keys {extra}")

    def fail(msg: str) -> DatasetError:
        return DatasetError(f"{where} (id {obj.get('id')!r}): {msg}")

    if not isinstance(obj["id"], str) or not obj["id"].strip():
        raise fail("id must be a non-empty string")
    if not isinstance(obj["text"], str):
        raise fail("text must be a string")
    if obj["kind"] not in KINDS:
        raise fail(f"kind {obj['kind']!r} not in {KINDS}")
    if not isinstance(obj["needs_answer"], bool):
        raise fail("needs_answer must be true or false")
    if obj["topic"] not in TOPICS:
        raise fail(f"topic {obj['topic']!r} not in the contract's topics")
    for key, vocab in (("moderation", MODERATION), ("sensitive", SENSITIVE)):
        labels = obj[key]
        if not isinstance(labels, list):
            raise fail(f"{key} must be a list")
        bad = [x for x in labels if x not in vocab]
        if bad:
            raise fail(f"{key} has unknown labels {bad}")
        if len(set(labels)) != len(labels):
            raise fail(f"{key} repeats a label")
    if obj["wrong_authority"] is not None and obj["wrong_authority"] not in AUTHORITIES:
        raise fail(f"wrong_authority {obj['wrong_authority']!r} is not null or an authority")
    return Example(
        id=obj["id"],
        text=obj["text"],
        kind=obj["kind"],
        needs_answer=obj["needs_answer"],
        topic=obj["topic"],
        moderation=tuple(obj["moderation"]),
        sensitive=tuple(obj["sensitive"]),
        wrong_authority=obj["wrong_authority"],
        source=where,
    )


def _json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """(``file:line``, parsed object) per non-empty line; invalid JSON names its line."""
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{lineno}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{where}: invalid JSON ({exc.msg})") from None


def read_jsonl(path: Path) -> Iterator[Example]:
    for where, obj in _json_lines(path):
        yield validate(obj, where)


def load_examples(directory: Path | None = None) -> list[Example]:
    """All examples in the folder, in file then line order; duplicate ids are an error."""
    directory = directory or EXAMPLES_DIR
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for ex in read_jsonl(path):
            if ex.id in seen:
                raise DatasetError(f"{ex.source}: id {ex.id!r} already used at {seen[ex.id]}")
            seen[ex.id] = ex.source
            examples.append(ex)
    return examples


def load_blind(directory: Path | None = None) -> list[Example]:
    """The blind test set (``data/blind/``); its ids must not occur among the examples."""
    blind = load_examples(directory or BLIND_DIR)
    known = {ex.id for ex in load_examples()}
    clash = sorted(ex.id for ex in blind if ex.id in known)
    if clash:
        raise DatasetError(f"blind ids also used as training examples: {clash[:5]}")
    return blind


def from_dicts(items: Iterable[dict[str, Any]], source: str = "extra") -> list[Example]:
    """Validate moderators' decisions passed in as dicts (same schema)."""
    return [validate(obj, f"{source}[{i}]") for i, obj in enumerate(items)]


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    train, dev = [], []
    for ex in examples:
        (dev if ex.is_dev else train).append(ex)
    return train, dev


def fingerprint(examples: Iterable[Example]) -> str:
    """A short hash of the training data, part of the model version."""
    h = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: e.id):
        h.update(json.dumps(ex.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class ThreadReply:
    text: str
    kind: str
    topic: str


@dataclass(frozen=True, slots=True)
class Thread:
    id: str
    post: str
    post_topic: str
    replies: tuple[ThreadReply, ...]

    @property
    def is_tuning(self) -> bool:
        """The half of the threads that chooses the thread weight (the other half reports)."""
        return hashlib.sha256(self.id.encode("utf-8")).digest()[0] % 2 == 0


def load_threads(path: Path | None = None) -> list[Thread]:
    """The written threads, strictly validated like the examples."""
    path = path or THREADS_FILE
    threads = [_thread(obj, where) for where, obj in _json_lines(path)]
    if len({t.id for t in threads}) != len(threads):
        raise DatasetError(f"{path.name}: duplicate thread ids")
    return threads


def _thread(obj: Any, where: str) -> Thread:
    if not isinstance(obj, dict) or set(obj) != {"id", "post", "post_topic", "replies"}:
        raise DatasetError(f"{where}: keys must be id, post, post_topic, replies")
    if not isinstance(obj["post"], str) or not obj["post"].strip() or obj["post_topic"] not in TOPICS:
        raise DatasetError(f"{where}: post must be text and post_topic one of the topics")
    replies = obj["replies"]
    if not isinstance(replies, list) or not replies:
        raise DatasetError(f"{where}: replies must be a non-empty list")
    out = []
    for r in replies:
        if (not isinstance(r, dict) or set(r) != {"text", "kind", "topic"} or not isinstance(r["text"], str)
                or r["kind"] not in ("comment", "reply") or r["topic"] not in TOPICS):
            raise DatasetError(f"{where}: each reply is {{text, kind: comment|reply, topic}}")
        out.append(ThreadReply(r["text"], r["kind"], r["topic"]))
    return Thread(str(obj["id"]), obj["post"], obj["post_topic"], tuple(out))
