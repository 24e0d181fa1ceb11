"""Swedish triage of incoming posts, comments and messages (issue 4).

A pure Python package (no Django): ``triage(text, kind)`` returns a :class:`TriageResult`
whose ``to_contract()`` is exactly "The triage contract" of MISSION.md, with evidence for
every label and the version of the model that produced it.

    >>> from insyn.triage import triage
    >>> triage("Gatlampan utanför Storgatan 12 är trasig, kan ni laga den?").needs_answer
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from insyn.triage.pii import Span
from insyn.triage.pipeline import Triager
from insyn.triage.result import Evidence, TriageResult

__all__ = [
    "MODEL_VERSION",
    "Evidence",
    "Span",
    "TriageResult",
    "Triager",
    "default_triager",
    "triage",
    "triage_many",
]


@lru_cache(maxsize=1)
def default_triager() -> Triager:
    """The shipped model and word lists, loaded once on first use."""
    return Triager.default()


def triage(text: str, kind: str = "comment", thread: str | None = None) -> TriageResult:
    """Triage one text. Never raises on odd input (empty, huge, invisible characters).

    ``thread`` is the text of the post at the top of a comment's or reply's thread, when
    known: a short reply ("när då?") is then routed with its thread's topic."""
    return default_triager().triage(text, kind, thread)


def triage_many(items: Iterable[str | tuple[str, str] | dict[str, Any]]) -> list[TriageResult]:
    """Triage many texts: plain strings (kind "comment"), (text, kind) pairs or dicts."""
    t = default_triager()
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(t.triage(item))
        elif isinstance(item, dict):
            out.append(t.triage(item.get("text") or "", item.get("kind") or "comment"))
        else:
            text, kind = item
            out.append(t.triage(text, kind))
    return out


def __getattr__(name: str) -> Any:
    # MODEL_VERSION is read lazily so importing the package doesn't load the model.
    if name == "MODEL_VERSION":
        return default_triager().version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
