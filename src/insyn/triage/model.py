"""The shipped linear model: weights in a version-independent file, scored with numpy.

The file (``models/triage-model.json.gz``) is plain JSON: the feature names, the output
columns, int8-quantised weights (base64, with one float scale per column), biases and decision
thresholds, plus the model version and what it was trained on. No pickle, so a scikit-learn
or numpy upgrade can never make the shipped model unloadable, and a diff of the metadata shows
what changed between versions.

Columns: ``needs_answer`` and every ``moderation:*``, ``sensitive:*`` and
``wrong_authority:*`` column is an independent sigmoid (one-vs-rest); the ``topic:*`` columns
form one softmax group.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from insyn.triage.features import FeatureSpace, block_values
from insyn.triage.rules import Analysis, RuleOutput

MODEL_DIR = Path(__file__).parent / "models"
MODEL_FILE = "triage-model.json.gz"
FORMAT = "insyn-triage-linear/1"
NO_AUTHORITY = "none"  # the training target for "the question is the municipality's"


@dataclass(slots=True)
class Scores:
    """Probabilities per column and, for explanations, what each input contributed.

    ``items`` names the inputs (a word of the text, a bigram, a lexicon class, a rule);
    ``contrib[i, j]`` is how much item ``i`` added to column ``j``'s score.
    """

    probs: dict[str, float]
    # The text's words (named "W:<word>") first, then the other inputs by name; the names are
    # only put together for the few inputs an explanation shows.
    words: list[str]
    others: list[str]
    contrib: np.ndarray | None


class LinearModel:
    def __init__(self, meta: dict[str, Any], weights: np.ndarray, bias: np.ndarray):
        self.meta = meta
        self.version: str = meta["version"]
        self.columns: list[str] = meta["columns"]
        self.col_index = {c: i for i, c in enumerate(self.columns)}
        self.thresholds: dict[str, float] = meta.get("thresholds", {})
        self.space = FeatureSpace(meta["features"])
        self.weights = weights  # (n_features, n_columns) float32
        self.bias = bias
        # Per distinct word: [summed char n-gram weights | word weights | n-gram count].
        self._word_table = np.zeros((4096, 2 * weights.shape[1] + 1), dtype=np.float32)
        self._word_index: dict[str, int] = {}
        self._generation = 0
        self._lock = threading.Lock()
        # Topics are one softmax group; every other column is its own sigmoid.
        topics = [i for i, c in enumerate(self.columns) if c.startswith("topic:")]
        # (columns, how to take them from an array: a slice when they are consecutive)
        self._groups: list[tuple[list[int], slice | list[int]]] = []
        if topics:
            consecutive = topics == list(range(topics[0], topics[-1] + 1))
            self._groups.append((topics, slice(topics[0], topics[-1] + 1) if consecutive else topics))

    # -- persistence ----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | str) -> LinearModel:
        path = Path(path)
        if path.is_dir():
            path = path / MODEL_FILE
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            meta = json.load(fh)
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: unknown model format {meta.get('format')!r}")
        w = meta.pop("weights")
        raw = np.frombuffer(base64.b64decode(w["data"]), dtype=np.int8).reshape(w["shape"])
        weights = raw.astype(np.float32) * np.asarray(w["scale"], dtype=np.float32)
        bias = np.asarray(meta.pop("bias"), dtype=np.float32)
        return cls(meta, weights, bias)

    def save(self, path: Path | str) -> Path:
        path = Path(path)
        if path.suffix != ".gz":
            path.mkdir(parents=True, exist_ok=True)
            path = path / MODEL_FILE
        meta = dict(self.meta)
        meta["weights"] = quantise(self.weights)
        meta["bias"] = [round(float(b), 6) for b in self.bias]
        data = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # mtime=0 keeps the file byte-identical for identical content (clean diffs).
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
            fh.write(data)
        return path

    # -- scoring ----------------------------------------------------------------------------------

    def raw_scores(self, ids: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Scores from a sparse vector (the training representation; used by tests)."""
        if len(ids) == 0:
            return self.bias.copy()
        return vals @ self.weights[ids] + self.bias

    def probabilities(self, raw: np.ndarray) -> dict[str, float]:
        # The sigmoids in numpy (in float64; a score below -700 would overflow exp), the one
        # softmax group of ~12 values in plain Python: cheaper than numpy's reductions.
        x = np.maximum(raw, -700.0, dtype=np.float64)
        probs = (1.0 / (1.0 + np.exp(-x))).tolist()
        for cols, where in self._groups:
            values = x[where].tolist()
            top = max(values)
            z = [math.exp(v - top) for v in values]
            total = sum(z)
            for i, e in zip(cols, z, strict=True):
                probs[i] = e / total
        return dict(zip(self.columns, probs, strict=True))

    # -- fast scoring, word by word --------------------------------------------------------------

    def _word_row(self, skel: str) -> int:
        """The row of a word in the word table (computed once per distinct word).

        A row holds the word's summed character n-gram weights, then its own word weight,
        then its n-gram count. The sum over a word's n-grams never changes, so scoring a
        comment gathers one precomputed row per word instead of ~15 n-gram rows.
        """
        with self._lock:  # only misses take the lock; the table must not hand a row out twice
            row = self._word_index.get(skel)
            if row is not None:
                return row
            return self._add_word(skel)

    def _add_word(self, skel: str) -> int:
        if len(self._word_index) >= len(self._word_table):
            if len(self._word_table) >= 200_000:  # words are Zipf-distributed; start over
                self._word_index.clear()
                self._generation += 1
            else:
                grown = np.zeros((len(self._word_table) * 2, self._word_table.shape[1]), np.float32)
                grown[: len(self._word_table)] = self._word_table
                self._word_table = grown
        row = len(self._word_index)
        wid, cids, n = self.space.word(skel)
        k = len(self.columns)
        entry = self._word_table[row]
        entry[:k] = self.weights.take(cids, axis=0).sum(axis=0) if cids else 0.0
        entry[k : 2 * k] = self.weights[wid] if wid >= 0 else 0.0
        entry[2 * k] = n
        self._word_index[skel] = row
        return row

    def score_analysis(self, a: Analysis, rules: RuleOutput) -> Scores:
        """Score one analysed text; equal to ``raw_scores(*space.vector(a, rules))``."""
        skels = a.skels
        index, word_row = self._word_index, self._word_row
        generation = self._generation
        get = index.get
        ids = [get(s) for s in skels]
        if None in ids:  # words seen for the first time: give them a row
            ids = [i if i is not None else word_row(s) for i, s in zip(ids, skels, strict=True)]
        if generation != self._generation:  # the table was reset midway: look up again
            ids = [word_row(s) for s in skels]
        rows = self._word_table.take(ids, axis=0)
        k = len(self.columns)
        word_ids, meta_ids, n_word, n_meta = self.space.other_ids(a, rules, skels)
        vc, vw, _ = block_values(int(rows[:, 2 * k].sum()), n_word, n_meta)
        parts: list[np.ndarray] = []
        if len(rows):
            words = rows[:, :k]
            words *= vc
            words += vw * rows[:, k : 2 * k]
            parts.append(words)
        if word_ids:
            parts.append(self.weights.take(word_ids, axis=0) * vw)
        if meta_ids:  # a meta input's value is 1 (vm): its weights are its contributions
            parts.append(self.weights.take(meta_ids, axis=0))
        if not parts:
            return Scores(self.probabilities(self.bias.copy()), [], [], None)
        names = self.space.names
        others = [names[i] for i in word_ids]
        others.extend(names[i] for i in meta_ids)
        contrib = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return Scores(self.probabilities(contrib.sum(axis=0) + self.bias), skels, others, contrib)

    def top_features(self, scores: Scores, column: str, k: int = 4) -> list[tuple[str, float]]:
        """The inputs that pushed ``column`` up the most for this text."""
        if scores.contrib is None:
            return []
        col = scores.contrib[:, self.col_index[column]]
        top = col.argsort()[::-1][: k * 3]  # the strongest few inputs
        # A word can occur several times: add its contributions up.
        best: dict[str, float] = {}
        words, others = scores.words, scores.others
        n_words = len(words)
        for j, value in zip(top.tolist(), col[top].tolist(), strict=True):
            if value <= 0:
                break
            name = f"W:{words[j]}" if j < n_words else others[j - n_words]
            best[name] = best.get(name, 0.0) + value
        # Ties (equal weights) are broken by name, so the explanation never depends on order.
        return [(name, -neg) for neg, name in sorted((-v, n) for n, v in best.items())[:k]]

    def threshold(self, column: str, default: float = 0.5) -> float:
        return self.thresholds.get(column, default)


def quantise(weights: np.ndarray) -> dict[str, Any]:
    """int8 per column: the error (< 0.4 % of the column's largest weight) is far below noise."""
    scale = np.abs(weights).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(weights / scale), -127, 127).astype(np.int8)
    return {
        "dtype": "int8",
        "shape": list(q.shape),
        "scale": [float(s) for s in scale],
        "data": base64.b64encode(q.tobytes()).decode("ascii"),
    }


def load_default() -> LinearModel | None:
    path = MODEL_DIR / MODEL_FILE
    return LinearModel.load(path) if path.exists() else None
