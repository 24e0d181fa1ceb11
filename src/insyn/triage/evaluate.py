"""Precision, recall and F1 per label on the dev split (or any example file).

    python -m insyn.triage.evaluate                  # dev split, markdown table on stdout
    python -m insyn.triage.evaluate --errors 15      # plus the confusion cases
    python -m insyn.triage.evaluate --split blind    # the blind test set (data/blind/)
    python -m insyn.triage.evaluate --file test.jsonl
    python -m insyn.triage.evaluate --threads        # comments' topic with and without the post

The table in docs/triage.md is this command's output.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from insyn.triage.dataset import (
    Example,
    Thread,
    load_blind,
    load_examples,
    load_threads,
    read_jsonl,
    split,
)
from insyn.triage.pipeline import Triager
from insyn.triage.result import TriageResult
from insyn.triage.vocab import AUTHORITIES, MODERATION, SENSITIVE, TOPICS


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, pred: bool, truth: bool) -> None:
        self.tp += pred and truth
        self.fp += pred and not truth
        self.fn += truth and not pred

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass(slots=True)
class Report:
    n: int = 0
    labels: dict[str, Counts] = field(default_factory=dict)
    topic_correct: int = 0
    topic_confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: list[tuple[str, Example, str]] = field(default_factory=list)

    def counts(self, key: str) -> Counts:
        return self.labels.setdefault(key, Counts())

    def micro(self, prefix: str) -> Counts:
        total = Counts()
        for key, c in self.labels.items():
            if key.startswith(prefix):
                total.tp += c.tp
                total.fp += c.fp
                total.fn += c.fn
        return total


def evaluate(examples: Sequence[Example], triager: Triager) -> Report:
    rep = Report()
    for ex in examples:
        res = triager.triage(ex.text, ex.kind)
        rep.n += 1
        _score(rep, ex, res)
    return rep


def _score(rep: Report, ex: Example, res: TriageResult) -> None:
    rep.counts("needs_answer").add(res.needs_answer, ex.needs_answer)
    if res.needs_answer != ex.needs_answer:
        rep.errors.append(("needs_answer", ex, f"predicted {res.needs_answer}"))
    if res.topic == ex.topic:
        rep.topic_correct += 1
    else:
        rep.topic_confusion[(ex.topic, res.topic)] += 1
        rep.errors.append(("topic", ex, f"predicted {res.topic}"))
    for t in TOPICS:
        rep.counts(f"topic:{t}").add(res.topic == t, ex.topic == t)
    for m in MODERATION:
        pred, truth = m in res.moderation, m in ex.moderation
        rep.counts(f"moderation:{m}").add(pred, truth)
        if pred != truth:
            rep.errors.append((f"moderation:{m}", ex, "false positive" if pred else "missed"))
    for s in SENSITIVE:
        pred, truth = s in res.sensitive, s in ex.sensitive
        rep.counts(f"sensitive:{s}").add(pred, truth)
        if pred != truth:
            rep.errors.append((f"sensitive:{s}", ex, "false positive" if pred else "missed"))
    for a in AUTHORITIES:
        rep.counts(f"wrong_authority:{a}").add(res.wrong_authority == a, ex.wrong_authority == a)
    if res.wrong_authority != ex.wrong_authority:
        rep.errors.append(("wrong_authority", ex, f"predicted {res.wrong_authority}"))


def _row(name: str, c: Counts) -> str:
    return f"| {name} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} | {c.support} |"


def markdown(rep: Report, title: str, errors: int = 0) -> str:
    lines = [f"### {title} ({rep.n} examples)", ""]
    head = ["| label | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    acc = rep.topic_correct / rep.n if rep.n else 0.0
    mod, sens, auth = (
        rep.micro("moderation:"),
        rep.micro("sensitive:"),
        rep.micro("wrong_authority:"),
    )
    lines += ["**Summary**", "", *head, _row("needs_answer", rep.counts("needs_answer")),
              _row("moderation (micro)", mod), _row("sensitive (micro)", sens),
              _row("wrong_authority (micro)", auth), "", f"Topic accuracy: **{acc:.3f}**", ""]  # fmt: skip
    for prefix, names in (("moderation", MODERATION), ("sensitive", SENSITIVE),
                          ("wrong_authority", AUTHORITIES), ("topic", TOPICS)):  # fmt: skip
        lines += [f"**{prefix}**", "", *head]
        lines += [_row(n, rep.counts(f"{prefix}:{n}")) for n in names]
        lines.append("")
    if rep.topic_confusion:
        lines += ["**Most frequent topic confusions** (gold → predicted)", ""]
        lines += [f"- {g} → {p}: {n}" for (g, p), n in rep.topic_confusion.most_common(8)]
        lines.append("")
    if errors:
        lines += ["**Confusion cases**", ""]
        by_label: dict[str, list[tuple[Example, str]]] = {}
        for label, ex, what in rep.errors:
            by_label.setdefault(label, []).append((ex, what))
        for label in sorted(by_label):
            lines.append(f"- `{label}`")
            for ex, what in by_label[label][:errors]:
                text = ex.text.replace("\n", " ")
                text = text if len(text) <= 160 else text[:157] + "…"
                lines.append(f"  - {what}: “{text}” ({ex.id})")
        lines.append("")
    return "\n".join(lines)


def thread_accuracy(threads: Sequence[Thread], triager: Triager, with_post: bool) -> tuple[int, int]:
    """Comments and replies whose topic is right, out of all of them, reading each alone or
    with the text of its thread's post."""
    right = total = 0
    for th in threads:
        for r in th.replies:
            res = triager.triage(r.text, r.kind, th.post if with_post else None)
            right += res.topic == r.topic
            total += 1
    return right, total


def threads_markdown(threads: Sequence[Thread], triager: Triager) -> str:
    lines = [f"### Comments in written threads, model {triager.version}", "",
             "| half | threads | comments | alone | with the thread's post |", "|---|---:|---:|---:|---:|"]
    for name, part in (("tuning", [t for t in threads if t.is_tuning]),
                       ("report", [t for t in threads if not t.is_tuning])):
        alone, n = thread_accuracy(part, triager, with_post=False)
        joined, _ = thread_accuracy(part, triager, with_post=True)
        lines.append(f"| {name} | {len(part)} | {n} | {alone / max(n, 1):.3f} | {joined / max(n, 1):.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m insyn.triage.evaluate", description=__doc__)
    parser.add_argument("--split", choices=("dev", "train", "all", "blind"), default="dev")
    parser.add_argument("--file", type=Path, help="evaluate a JSONL file in the example schema")
    parser.add_argument("--model", type=Path, help="a model file or folder (default: shipped)")
    parser.add_argument("--errors", type=int, default=0, help="confusion cases per label")
    parser.add_argument("--threads", nargs="?", const=True, default=None, metavar="FILE",
                        help="topic accuracy of comments in written threads, alone and with the post")
    args = parser.parse_args(argv)
    triager = Triager.default()
    if args.model:
        from insyn.triage.model import LinearModel

        triager = Triager(LinearModel.load(args.model), triager.lexicon)
    if args.threads is not None:
        threads = load_threads(None if args.threads is True else Path(args.threads))
        out.write(threads_markdown(threads, triager))
        return 0
    if args.file:
        examples, title = list(read_jsonl(args.file)), f"{args.file.name}"
    elif args.split == "blind":
        examples, title = load_blind(), "blind test set"
    else:
        train_set, dev_set = split(load_examples())
        examples = {"dev": dev_set, "train": train_set, "all": train_set + dev_set}[args.split]
        title = f"{args.split} split"
    rep = evaluate(examples, triager)
    out.write(markdown(rep, f"{title}, model {triager.version}", args.errors) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
