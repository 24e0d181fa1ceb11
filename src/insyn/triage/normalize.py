"""Text normalisation that survives how residents (and trolls) really write.

Two views of a text are produced, both with a map back to the original offsets so evidence
can always be shown on the text the moderator sees:

* ``plain``: lower-cased, invisible characters (zero-width, bidi overrides, variation
  selectors, soft hyphens) removed, look-alike letters (fullwidth, mathematical bold,
  Cyrillic/Greek homoglyphs) folded to Latin, typographic quotes/dashes/spaces unified.
  Features for the models and most rules read this view.
* ``skeleton``: ``plain`` plus de-obfuscation: spaced letters joined ("h o r a" -> "hora"),
  leetspeak inside words ("h0ra" -> "hora", "n3kr3r" -> "nekrer") and every run of a repeated
  letter squeezed to one ("jäääävla" -> "jävla", but also "fitta" -> "fita"). Lexicon entries
  are squeezed the same way (:func:`skeleton_word`), so matching stays consistent.

Every step is a single linear pass (``str.translate`` / a regex without nested quantifiers),
so a megabyte of input costs milliseconds, not minutes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# Characters that change how text renders without being text: zero-width joiners/spaces,
# bidi embeddings/overrides/isolates, soft hyphen, word joiner, BOM, variation selectors,
# emoji skin-tone modifiers and tag characters (used to smuggle text into emoji flags).
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U0001f3fb-\U0001f3ff\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]+")
_COMBINING_RE = re.compile(r"[\u0300-\u036f]")

# Look-alikes folded to the Latin letter a Swede would read. Cyrillic/Greek letters are the
# usual trick to get "hоra" (with a Cyrillic о) past a word filter.
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "ë", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u3000": " ", "\t": " ",
}  # fmt: skip


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    """A 1:1 translate table: every entry maps one character to exactly one character.

    Built once: fullwidth forms and the mathematical alphanumerics ("𝐡𝐨𝐫𝐚", "ｈｏｒａ") are
    folded with NFKC where that yields a single character; homoglyphs come from the table.
    """
    table: dict[int, str] = {ord(k): v for k, v in _HOMOGLYPHS.items()}
    ranges = [(0xFF01, 0xFF5E), (0x1D400, 0x1D7FF), (0x2460, 0x24FF), (0x1F130, 0x1F189)]
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            folded = unicodedata.normalize("NFKC", chr(cp)).lower()
            if len(folded) == 1 and folded != chr(cp):
                table[cp] = folded
    return table


@dataclass(frozen=True, slots=True)
class View:
    """A transformed text and, per character, the index of its source in the original.

    ``offsets`` has ``len(text) + 1`` entries (the last is the original end) or is ``None``
    when the view is position-for-position identical to the original.
    """

    text: str
    offsets: list[int] | None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of this view to the original text."""
        if self.offsets is None:
            return start, end
        if end <= start:
            pos = self.offsets[start]
            return pos, pos
        # The end maps to one past the source of the last character, so a squeezed "aaa"
        # or a removed zero-width joiner inside a word stays inside the reported span.
        return self.offsets[start], self.offsets[end - 1] + 1


class Normalized:
    """The original text, its plain and skeleton views, and (lazily) their offset maps.

    Most comments never need an offset (nothing fires), so the views are built with C-level
    ``re.sub``/``str.translate`` and the offset maps are only computed when evidence is shown.
    """

    __slots__ = ("original", "plain_text", "skeleton_text", "_views")

    def __init__(self, original: str, plain_text: str, skeleton_text: str):
        self.original = original
        self.plain_text = plain_text
        self.skeleton_text = skeleton_text
        self._views: tuple[View, View] | None = None

    def _mapped(self) -> tuple[View, View]:
        if self._views is None:
            plain = plain_view(self.original)
            self._views = (plain, skeleton_of(plain))
        return self._views

    @property
    def plain(self) -> View:
        return self._mapped()[0]

    @property
    def skeleton(self) -> View:
        return self._mapped()[1]


def _compose(outer: list[int] | None, inner: list[int] | None) -> list[int] | None:
    """Offsets of a view built from a view: inner maps to the intermediate text."""
    if inner is None:
        return outer
    if outer is None:
        return inner
    return [outer[i] for i in inner]


def _delete_matches(text: str, pattern: re.Pattern[str]) -> tuple[str, list[int] | None]:
    """Remove every match of ``pattern`` and keep the source index of each kept character."""
    if pattern.search(text) is None:
        return text, None
    pieces: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        pieces.append(text[pos : m.start()])
        offsets.extend(range(pos, m.start()))
        pos = m.end()
    pieces.append(text[pos:])
    offsets.extend(range(pos, len(text) + 1))
    return "".join(pieces), offsets


def _substitute(
    text: str, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], tuple[str, list[int]]]
) -> tuple[str, list[int] | None]:
    """Like ``re.sub`` but ``repl`` also returns, for each output char, its index in the match."""
    if pattern.search(text) is None:
        return text, None
    pieces: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        pieces.append(text[pos : m.start()])
        offsets.extend(range(pos, m.start()))
        out, rel = repl(m)
        pieces.append(out)
        offsets.extend(m.start() + r for r in rel)
        pos = m.end()
    pieces.append(text[pos:])
    offsets.extend(range(pos, len(text) + 1))
    return "".join(pieces), offsets


def _nfc_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFC-compose decomposed letters ("a" + ring above -> "å") keeping offsets."""
    pieces: list[str] = []
    offsets: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        composed = unicodedata.normalize("NFC", text[i:j])
        pieces.append(composed)
        offsets.extend([i] * len(composed))
        i = j
    offsets.append(n)
    return "".join(pieces), offsets


def _lower_with_offsets(text: str) -> tuple[str, list[int] | None]:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered, None
    # Rare: a character whose lower case is longer ("İ" -> "i̇"). Keep the first char only.
    return "".join(ch.lower()[0] for ch in text), None


def plain_view(text: str) -> View:
    offsets: list[int] | None = None
    if _COMBINING_RE.search(text):
        text, offsets = _nfc_with_offsets(text)
    text, inner = _delete_matches(text, _INVISIBLE_RE)
    offsets = _compose(offsets, inner)
    text, _ = _lower_with_offsets(text)
    text = text.translate(_fold_table())
    # A fold may produce an upper-case letter (e.g. a mathematical capital): lower again.
    if not text.islower() and text.lower() != text and len(text.lower()) == len(text):
        text = text.lower()
    return View(text, offsets)


# --- skeleton -------------------------------------------------------------------------------

# Three or more single letters/digits separated by one space, dot, hyphen or underscore:
# "h o r a", "b.ö.g", "n-e-g-e-r". Real Swedish rarely has three one-letter words in a row.
_SPACED_RE = re.compile(r"(?<![^\W_])[^\W_](?:[ ._\-][^\W_]){2,}(?![^\W_])")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "@": "a", "$": "s", "€": "e", "|": "i"})  # fmt: skip
# A token that mixes letters with leet characters. '@' and '$' only count inside a word so
# "@Jonas" (a mention) keeps its meaning.
# A word with a leet character next to a letter. The lookbehind anchors every attempt at a
# word start, so a long word without leet is scanned once (linear), never from each letter.
_LEET_TOKEN_RE = re.compile(
    r"(?<![\w@$€|])[\w@$€|]*?(?:[^\W\d_][013457@$€|]|[013457@$€|][^\W\d_])[\w@$€|]*"
)
_LEET_CHARS = frozenset("013457@$€|")
_HAS_LETTER_RE = re.compile(r"[^\W\d_]")
_REPEAT_RE = re.compile(r"([^\W\d_])\1+")


def _join_spaced(m: re.Match[str]) -> tuple[str, list[int]]:
    s = m.group(0)
    return s[0::2], list(range(0, len(s), 2))


def _leet(m: re.Match[str]) -> tuple[str, list[int]]:
    s = m.group(0)
    # Only words that mix letters with leet characters; "070", "1488" and "@jonas" stay.
    body = s[1:] if s[0] == "@" else s
    if _LEET_CHARS.isdisjoint(body) or _HAS_LETTER_RE.search(body) is None:
        return s, list(range(len(s)))
    return s[: len(s) - len(body)] + body.translate(_LEET), list(range(len(s)))


def _squeeze(m: re.Match[str]) -> tuple[str, list[int]]:
    return m.group(1), [0]


def skeleton_of(view: View) -> View:
    text, offsets = view.text, view.offsets
    text, inner = _substitute(text, _SPACED_RE, _join_spaced)
    offsets = _compose(offsets, inner)
    if not _LEET_CHARS.isdisjoint(text):
        text, inner = _substitute(text, _LEET_TOKEN_RE, _leet)
        # The leet step is 1:1, so its offsets are the identity and need no composing.
    text, inner = _substitute(text, _REPEAT_RE, _squeeze)
    offsets = _compose(offsets, inner)
    return View(text, offsets)


def _fast_plain(text: str) -> str:
    if _COMBINING_RE.search(text):
        text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text).lower().translate(_fold_table())
    return text.lower()


def _fast_skeleton(plain: str) -> str:
    text = _SPACED_RE.sub(lambda m: m.group(0)[0::2], plain)
    if not _LEET_CHARS.isdisjoint(text):
        text = _LEET_TOKEN_RE.sub(lambda m: _leet(m)[0], text)
    return _REPEAT_RE.sub(r"\1", text)


def normalize(text: str) -> Normalized:
    plain = _fast_plain(text)
    return Normalized(text, plain, _fast_skeleton(plain))


@lru_cache(maxsize=65536)
def skeleton_word(word: str) -> str:
    """The skeleton form of a lexicon word or phrase (same steps as :func:`skeleton_of`)."""
    return _fast_skeleton(_fast_plain(word))


# Word tokens; '*' and '#' inside a word are kept because they mask letters ("j*vla").
TOKEN_RE = re.compile(r"[^\W_](?:[\w*#]*[^\W_])?")
WILDCARDS = frozenset("*#")
