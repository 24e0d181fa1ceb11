"""What triage returns: the contract labels plus the evidence a moderator is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from insyn.triage.pii import Span


class Evidence(NamedTuple):
    """Why one label was set.

    ``field`` is the contract key ("moderation", "sensitive", "needs_answer", "topic",
    "wrong_authority"), ``label`` the value, ``source`` one of ``rule`` (a named rule fired on
    lexicon terms), ``span`` (a personal-data span) or ``model`` (the linear model; ``detail``
    then lists its strongest features). ``start``/``end`` point into the original text when
    the evidence is a passage of it; ``quote`` is that passage.

    Immutable; a named tuple rather than a frozen dataclass because a few are made for every
    text triaged, and a frozen dataclass's constructor costs several times as much.
    """

    field: str
    label: str
    source: str
    detail: str
    start: int | None = None
    end: int | None = None
    quote: str | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field,
            "label": self.label,
            "source": self.source,
            "detail": self.detail,
        }
        if self.start is not None:
            out["start"], out["end"], out["quote"] = self.start, self.end, self.quote
        if self.score is not None:
            out["score"] = round(self.score, 4)
        return out


@dataclass(slots=True)
class TriageResult:
    needs_answer: bool
    topic: str
    moderation: list[str]
    sensitive: list[str]
    wrong_authority: str | None
    spans: list[Span]
    model_version: str
    evidence: list[Evidence] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)

    def to_contract(self) -> dict[str, Any]:
        """Exactly the six keys of "The triage contract", with its vocabularies."""
        return {
            "needs_answer": self.needs_answer,
            "topic": self.topic,
            "moderation": list(self.moderation),
            "sensitive": list(self.sensitive),
            "wrong_authority": self.wrong_authority,
            "spans": [s.to_dict() for s in self.spans],
        }

    def to_dict(self) -> dict[str, Any]:
        """The contract plus evidence, scores and the model version (for storing a result)."""
        out = self.to_contract()
        out["evidence"] = [e.to_dict() for e in self.evidence]
        out["scores"] = {k: round(v, 4) for k, v in self.scores.items()}
        out["model_version"] = self.model_version
        return out

    def evidence_for(self, field_name: str, label: str | bool | None = None) -> list[Evidence]:
        want = None if label is None else str(label)
        return [
            e for e in self.evidence if e.field == field_name and (want is None or e.label == want)
        ]
