"""Text normalisation that survives how residents (and trolls) really write.

A text gets one *match view* with a lazily computed map back to the original offsets, so
evidence can always be shown on the text the moderator sees:

* lower-cased; invisible characters (zero-width, bidi overrides, variation selectors, soft
  hyphens, tag characters) removed; look-alike letters (fullwidth, mathematical bold,
  Cyrillic/Greek homoglyphs) folded to Latin; typographic quotes/dashes/spaces unified;
* spaced-out letters joined ("h o r a", "b.ö.g.a.r" -> "hora", "bögar").

Words of that view are then reduced one by one to a *skeleton* (:func:`skeleton_token`):
leetspeak undone inside words ("h0ra" -> "hora", "n3kr3r" -> "nekrer") and every run of a
repeated letter squeezed ("jäääävla" -> "jävla", and also "fitta" -> "fita"). Lexicon
entries are reduced the same way, so both sides meet. Skeletons are memoised per distinct
word: words are Zipf-distributed, so after a warm-up nearly every word is a cache hit and a
200-character comment normalises in a few microseconds.

Every step is a single linear pass (``str.translate`` or a regex without nested
quantifiers), so a megabyte of input costs milliseconds, not minutes.
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


@lru_cache(maxsize=1)
def _fold_re() -> re.Pattern[str]:
    """Finds any character the fold table changes (translate is slow; searching is not)."""
    # As ranges: a character class listing 1,200 single characters is slow to search.
    parts: list[str] = []
    codes = sorted(_fold_table())
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        lo, hi = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return re.compile("[" + "".join(parts) + "]")


def _fold(text: str) -> str:
    return text.translate(_fold_table()) if _fold_re().search(text) else text


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
    """The original text and its match view; the offset map is built only when asked for.

    Most comments never need an offset (nothing fires), so the view is built with C-level
    ``re.sub``/``str.translate`` and the map is computed on the first call to :attr:`view`.
    """

    __slots__ = ("original", "text", "cased", "_view")

    def __init__(self, original: str, text: str, cased: str):
        self.original = original
        self.text = text
        # The match view before lower-casing (same length): capitals hint at names.
        self.cased = cased
        self._view: View | None = None

    @property
    def view(self) -> View:
        if self._view is None:
            self._view = match_view(self.original)
        return self._view

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        return self.view.to_original(start, end)


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


def _lower1(text: str) -> str:
    """Lower case, one character for one character."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # Rare: a character whose lower case is longer ("İ" -> "i̇"). Keep the first char only.
    return "".join(ch.lower()[0] for ch in text)


def plain_view(text: str) -> View:
    offsets: list[int] | None = None
    if _COMBINING_RE.search(text):
        text, offsets = _nfc_with_offsets(text)
    text, inner = _delete_matches(text, _INVISIBLE_RE)
    offsets = _compose(offsets, inner)
    text = _lower1(_fold(text))
    return View(text, offsets)


# --- joining spaced letters and skeletons -------------------------------------------------------

# Three or more single letters/digits separated by one space, dot, hyphen or underscore:
# "h o r a", "b.ö.g", "n-e-g-e-r". Real Swedish rarely has three one-letter words in a row.
# Two spaces separate spaced-out words: "d u  s k a  d ö" -> "du ska dö".
_SPACED_RE = re.compile(r"(?<![^\W_])[^\W_](?:(?:[ ._\-]|  )[^\W_]){2,}(?![^\W_])")


# Every spaced-out word ("h o r a", "j.ä.v.l.a") has, right after its first letter, a
# separator followed by a single letter, a separator and a letter. This pattern finds each such
# separator (consuming only the separator, so none is skipped) and starts with a character
# class, which the regex engine skips to directly; the full pattern is then tried only where a
# spaced-out word would start: one or two characters before (the first separator may be two
# spaces).
_SPACED_HINT_RE = re.compile(r"[ ._\-](?=[^\W_](?:[ ._\-]|  )[^\W_])")


def _has_spaced(text: str) -> bool:
    match = _SPACED_RE.match
    for hint in _SPACED_HINT_RE.finditer(text):
        at = hint.start()
        if (at >= 1 and match(text, at - 1)) or (at >= 2 and match(text, at - 2)):
            return True
    return False


def _join_spaced(m: re.Match[str]) -> tuple[str, list[int]]:
    s = m.group(0)
    out: list[str] = []
    rel: list[int] = []
    i = 0
    while i < len(s):
        out.append(s[i])
        rel.append(i)
        if s[i + 1 : i + 3] == "  ":
            out.append(" ")
            rel.append(i + 1)
            i += 3
        else:
            i += 2
    return "".join(out), rel


def match_view(text: str) -> View:
    """The match view with its offset map (the slow path, used for evidence only)."""
    plain = plain_view(text)
    joined, inner = _substitute(plain.text, _SPACED_RE, _join_spaced)
    return View(joined, _compose(plain.offsets, inner))


# Anything outside ASCII and the Latin-1 letters (where Swedish lives), or a tab: only then
# are the slower steps needed. Most comments have none.
_UNUSUAL_RE = re.compile(r"[^\x00-\x08\x0a-\x7f\xc0-\xff]")


def _fast_cased(text: str) -> str:
    """Invisible characters removed and look-alikes folded, case kept."""
    if _UNUSUAL_RE.search(text) is None:
        return text
    if _COMBINING_RE.search(text):
        text = unicodedata.normalize("NFC", text)
    if _INVISIBLE_RE.search(text):
        text = _INVISIBLE_RE.sub("", text)
    return _fold(text)


def _fast_plain(text: str) -> str:
    return _lower1(_lower1(_fast_cased(text)))


def normalize(text: str) -> Normalized:
    text = text if isinstance(text, str) else str(text)
    cased = _fast_cased(text)
    if _has_spaced(cased):
        cased = _SPACED_RE.sub(lambda m: _join_spaced(m)[0], cased)
    plain = _lower1(cased)
    normalized = Normalized(text, plain, cased)
    if cased is text:
        # Nothing removed, folded or joined (each step returns a new string when it changes
        # something): character for character the original, so the offset map is the identity.
        normalized._view = View(plain, None)
    return normalized


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "@": "a", "$": "s", "€": "e", "|": "i", "!": "i"})  # fmt: skip
_LEET_CHARS_RE = re.compile(r"[013457@$€|!]")
_LETTER_RE = re.compile(r"[^\W\d_]")
_REPEAT_RE = re.compile(r"([^\W\d_])\1+")


@lru_cache(maxsize=262_144)
def skeleton_token(token: str) -> str:
    """Leetspeak undone (only in words that also have letters) and repeated letters squeezed.

    "h0ra" -> "hora", "fitta" -> "fita"; "070", "1488", "e4" and "3a" stay as they are.
    """
    # At least two letters: "h0ra" and "n3kr3r" are words in disguise, "e4" and "3a" are not.
    if _LEET_CHARS_RE.search(token) and len(_LETTER_RE.findall(token)) >= 2:
        token = token.translate(_LEET)
    return _REPEAT_RE.sub(r"\1", token)


def skeleton_word(word: str) -> str:
    """The skeleton of a lexicon word or phrase, word by word."""
    plain = normalize(word).text
    return " ".join(skeleton_token(m.group()) for m in TOKEN_RE.finditer(plain))


# Word tokens; '*' and '#' inside a word are kept because they mask letters ("j*vla"), and
# '@', '$', '€', '|' because they stand for letters ("h@ra", "ka$$a").
# A "!" stands for an "i" only inside a word that is also written with digits ("n!gg3rs");
# elsewhere it ends a sentence ("hej!hur mår du").
TOKEN_RE = re.compile(r"[^\W_](?=[\w!]*\d)[\w*#@$€|!]*[^\W_]|[^\W_](?:[\w*#@$€|]*[^\W_])?")
# The same tokens without the look-ahead, which costs as much again: a "!" is taken into any
# word. Lexicon.tokens() splits the (rare) tokens that then hold a "!" again with TOKEN_RE, on
# their own span — which gives what TOKEN_RE gives on the whole text (a property test checks).
TOKEN_FAST_RE = re.compile(r"[^\W_](?:[\w*#@$€|!]*[^\W_])?")
WILDCARDS = frozenset("*#")
