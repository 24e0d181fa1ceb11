"""The shipped linear model: weights in a version-independent file, scored with numpy.

The file (``models/triage-model.json.gz``) is plain JSON: the feature names, the output
columns, int8-quantised weights (base64, with one float scale per column), biases and decision
thresholds, plus the model version and what it was trained on. No pickle, so a scikit-learn
or numpy upgrade can never make the shipped model unloadable, and a diff of the metadata shows
what changed between versions.

Columns are grouped into heads: ``needs_answer`` and every ``moderation:*`` / ``sensitive:*``
column is an independent sigmoid; ``topic:*`` and ``wrong_authority:*`` are softmax groups
(``wrong_authority:none`` is the "right authority" class).
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from insyn.triage.features import FeatureSpace

MODEL_DIR = Path(__file__).parent / "models"
MODEL_FILE = "triage-model.json.gz"
FORMAT = "insyn-triage-linear/1"
NO_AUTHORITY = "none"


@dataclass(slots=True)
class Scores:
    """Probabilities per column plus, for explanations, the inputs that produced them."""

    probs: dict[str, float]
    ids: np.ndarray
    vals: np.ndarray
    rows: np.ndarray | None = None  # weights[ids]: each active feature's weight per column


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
        self._groups = [
            np.array([i for i, c in enumerate(self.columns) if c.startswith(prefix + ":")], dtype=np.intp)
            for prefix in ("topic", "wrong_authority")
        ]
        self._sigmoid = np.array(
            [not c.startswith(("topic:", "wrong_authority:")) for c in self.columns], dtype=bool
        )

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
        if len(ids) == 0:
            return self.bias.copy()
        return vals @ self.weights[ids] + self.bias

    def probabilities(self, raw: np.ndarray) -> dict[str, float]:
        # Sigmoid everywhere, then overwrite the softmax groups: two vector operations are
        # cheaper than picking the columns apart.
        probs = 1.0 / (1.0 + np.exp(-np.clip(raw, -30.0, 30.0)))
        for cols in self._groups:
            if len(cols):
                z = np.exp(raw[cols] - raw[cols].max())
                probs[cols] = z / z.sum()
        return dict(zip(self.columns, probs.tolist(), strict=True))

    def score(self, ids: np.ndarray, vals: np.ndarray) -> Scores:
        if len(ids) == 0:
            return Scores(self.probabilities(self.bias.copy()), ids, vals, None)
        rows = self.weights[ids]
        return Scores(self.probabilities(vals @ rows + self.bias), ids, vals, rows)

    def top_features(self, scores: Scores, column: str, k: int = 4) -> list[tuple[str, float]]:
        """The features that pushed ``column`` up the most for this text."""
        if scores.rows is None or len(scores.ids) == 0:
            return []
        contrib = scores.vals * scores.rows[:, self.col_index[column]]
        n = len(contrib)
        m = min(n, k * 3)
        top = np.argpartition(contrib, n - m)[n - m :] if m < n else np.arange(n)
        # A feature can occur several times (a repeated n-gram): add its contributions up.
        best: dict[str, float] = {}
        names = self.space.names
        for j, value in zip(top.tolist(), contrib[top].tolist(), strict=True):
            if value > 0:
                name = names[scores.ids[j]]
                best[name] = best.get(name, 0.0) + value
        return sorted(best.items(), key=lambda kv: -kv[1])[:k]

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
