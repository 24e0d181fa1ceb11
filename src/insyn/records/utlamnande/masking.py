"""Masking (maskering) for utlämnande: suggestions from triage, validation, and applying masks.

Suggestions come from the triage stored for the reviewed version (``VersionTriage``): every
personal-data span (personnummer, samordningsnummer, telefon, e-post, adress) and the passages
that made triage set a sensitive category (hälsa, socialtjänst, barn, ekonomi). A category with
no located passage is suggested as the whole text. Each suggestion carries the OSL provision a
reviewer most often applies; the reviewer decides (a suggestion is not a sekretessprövning).

A mask is a character range ``[start, end)`` on the version's text. Masks are applied here, on
the server, from what is stored: the text sent to the requester is never taken from a form.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The provision a reviewer most often applies to each kind of personal data. OSL 21 kap. 7 §
# (personal data whose release would be processing in breach of the GDPR) is the usual basis
# for identifiers and contact details; health and social-services data have their own.
DEFAULT_OSL = {
    "personnummer": "OSL 21 kap. 7 §",
    "samordningsnummer": "OSL 21 kap. 7 §",
    "telefon": "OSL 21 kap. 7 §",
    "epost": "OSL 21 kap. 7 §",
    "adress": "OSL 21 kap. 7 §",
    "halsa": "OSL 21 kap. 1 §",
    "socialtjanst_arende": "OSL 26 kap. 1 §",
    "barn": "OSL 21 kap. 7 §",
    "ekonomi": "OSL 21 kap. 7 §",
    "manuell": "",
}

KIND_LABELS = {
    "personnummer": gettext_lazy("Personnummer"),
    "samordningsnummer": gettext_lazy("Samordningsnummer"),
    "telefon": gettext_lazy("Telefonnummer"),
    "epost": gettext_lazy("E-postadress"),
    "adress": gettext_lazy("Adress"),
    "halsa": gettext_lazy("Uppgift om hälsa"),
    "socialtjanst_arende": gettext_lazy("Socialtjänstärende"),
    "barn": gettext_lazy("Uppgift om barn"),
    "ekonomi": gettext_lazy("Ekonomiska förhållanden"),
    "manuell": gettext_lazy("Vald av handläggaren"),
}

MEANING_LABELS = ("halsa", "socialtjanst_arende", "barn", "ekonomi")
MAX_OSL = 120


@dataclass(frozen=True)
class Suggestion:
    key: str
    start: int
    end: int
    kind: str
    osl: str
    whole_text: bool = False

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


def suggestions(text: str, triage) -> list[Suggestion]:
    """Mask suggestions for ``text`` from its stored triage (``VersionTriage`` or None)."""
    if triage is None or not text:
        return []
    found: dict[str, Suggestion] = {}

    def add(start, end, kind, whole=False):
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            return
        key = f"{kind}:{start}:{end}"
        found.setdefault(key, Suggestion(key, start, end, kind, DEFAULT_OSL.get(kind, ""), whole))

    for span in triage.spans or []:
        add(span.get("start"), span.get("end"), span.get("kind", ""))
    located = set()
    for ev in triage.evidence or []:
        if ev.get("field") == "sensitive" and ev.get("label") in MEANING_LABELS and ev.get("start") is not None:
            add(ev.get("start"), ev.get("end"), ev["label"])
            located.add(ev["label"])
    for label in triage.sensitive or []:
        if label in MEANING_LABELS and label not in located:
            add(0, len(text), label, whole=True)
    return sorted(found.values(), key=lambda s: (s.start, s.end, s.kind))


def find_phrase(text: str, phrase: str) -> list[tuple[int, int]]:
    """Every occurrence of ``phrase`` in ``text`` (case-insensitive), as ranges."""
    phrase = phrase.strip()
    if not phrase:
        return []
    haystack, needle = text.casefold(), phrase.casefold()
    if len(haystack) != len(text):   # casefold changed lengths (ß): fall back to exact matching
        haystack, needle = text, phrase
    ranges, at = [], haystack.find(needle)
    while at != -1:
        ranges.append((at, at + len(needle)))
        at = haystack.find(needle, at + len(needle))
    return ranges


def normalise_masks(text: str, masks: list[dict]) -> list[dict]:
    """Validate masks against ``text`` and merge overlapping ones. Raises ValidationError (Swedish)."""
    clean = []
    for mask in masks:
        start, end, osl = mask.get("start"), mask.get("end"), str(mask.get("osl", "")).strip()
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            raise ValidationError(_("En maskering måste anges med tecknens positioner i texten."), code="mask_type")
        if not 0 <= start < end <= len(text):
            raise ValidationError(_("En maskering ligger utanför textens längd (%(length)s tecken).")
                                  % {"length": len(text)}, code="mask_range")
        if not osl:
            raise ValidationError(_("Varje maskering behöver en sekretessbestämmelse (t.ex. OSL 21 kap. 7 §)."),
                                  code="mask_osl")
        if len(osl) > MAX_OSL:
            raise ValidationError(_("Sekretessbestämmelsen är för lång."), code="mask_osl_length")
        clean.append({"start": start, "end": end, "kind": str(mask.get("kind", "manuell"))[:40], "osl": osl})
    clean.sort(key=lambda m: (m["start"], m["end"]))
    merged: list[dict] = []
    for mask in clean:
        if merged and mask["start"] <= merged[-1]["end"]:
            last = merged[-1]
            last["end"] = max(last["end"], mask["end"])
            if mask["osl"] not in last["osl"].split("; "):
                last["osl"] = f"{last['osl']}; {mask['osl']}"
            if mask["kind"] not in last["kind"].split(","):
                last["kind"] = f"{last['kind']},{mask['kind']}"
        else:
            merged.append(dict(mask))
    return merged


@dataclass(frozen=True)
class Segment:
    text: str
    masked: bool
    osl: str = ""


def segments(text: str, masks: list[dict]) -> list[Segment]:
    """The text cut into plain and masked parts; a masked part carries only its provision."""
    parts, at = [], 0
    for mask in sorted(masks, key=lambda m: m["start"]):
        start, end = max(mask["start"], at), min(mask["end"], len(text))
        if start >= end:
            continue
        if start > at:
            parts.append(Segment(text[at:start], False))
        parts.append(Segment("", True, mask["osl"]))
        at = end
    if at < len(text):
        parts.append(Segment(text[at:], False))
    return parts


def masked_text(text: str, masks: list[dict]) -> str:
    """The text with every mask replaced by a marker naming the provision."""
    return "".join(s.text if not s.masked else "[" + _("maskerat, %(osl)s") % {"osl": s.osl} + "]"
                   for s in segments(text, masks))
