"""Swedish word lists (``data/lexicon/*.txt``) and a fast matcher over them.

File format (one entry or several comma-separated entries per line)::

    # a comment
    [class_name]            entries below belong to this class until the next header
    idiot                   the exact word
    idiot*                  the word as the first part: inflections ("idioten", "idioter")
                            and compound modifiers ("idiotpolitiker")
    *jävlar                 the word as the last part of a compound ("invandrarjävlar")
    *skalle*                anywhere inside a word (use sparingly)
    svartskall{e,ar,arna}   brace expansion: svartskalle, svartskallar, svartskallarna
    vet var du bor          a phrase: consecutive words, each may carry * as above

Entries are reduced to the same skeleton as the text (lower case, leetspeak undone, repeated
letters squeezed: "fitta" is stored as "fita"), so "F1TTAAA" and "fitta" meet in the middle.
Matching is a dictionary lookup per word plus an index on the first/last three letters for
affix entries, so it costs a few microseconds per comment whatever the size of the lists.
A word masked with ``*`` or ``#`` ("j*vla", "n**ger") matches an entry when every unmasked
letter agrees and each mask stands for one letter.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from insyn.triage.normalize import (
    TOKEN_FAST_RE,
    TOKEN_RE,
    WILDCARDS,
    skeleton_token,
    skeleton_word,
)

LEXICON_DIR = Path(__file__).parent / "data" / "lexicon"

_BRACE_RE = re.compile(r"\{([^{}]*)\}")


class Hit(NamedTuple):
    """A lexicon match: ``start``/``end`` are offsets in the match view (``Normalized.text``).

    A named tuple rather than a dataclass: a comment yields dozens, and tuples are cheap.
    """

    cls: str
    term: str
    start: int
    end: int
    first: int  # index of the first and last word of the match in the token list
    last: int


@dataclass(frozen=True, slots=True)
class _Pattern:
    word: str  # skeleton form without the '*' markers
    mode: str  # "exact" | "prefix" | "suffix" | "infix"

    def matches(self, token: str) -> bool:
        w = self.word
        if self.mode == "exact":
            return token == w
        if self.mode == "prefix":
            return token.startswith(w)
        if self.mode == "suffix":
            return token.endswith(w) and len(token) >= len(w)
        return w in token

    def matches_masked(self, token: str) -> bool:
        """Match a token whose masked letters (``*``/``#``) each stand for one letter."""
        w = self.word
        if self.mode == "exact":
            return len(token) == len(w) and _compatible(token, w)
        if self.mode == "prefix":
            return len(token) >= len(w) and _compatible(token[: len(w)], w)
        if self.mode == "suffix":
            return len(token) >= len(w) and _compatible(token[-len(w) :], w)
        return any(_compatible(token[i : i + len(w)], w) for i in range(len(token) - len(w) + 1))


def _compatible(masked: str, word: str) -> bool:
    unmasked = sum(1 for c in masked if c not in WILDCARDS)
    if unmasked < 2:
        return False
    return all(a == b or a in WILDCARDS for a, b in zip(masked, word, strict=True))


def _expand(entry: str) -> list[str]:
    m = _BRACE_RE.search(entry)
    if m is None:
        return [entry]
    out: list[str] = []
    for alt in m.group(1).split(","):
        out.extend(_expand(entry[: m.start()] + alt.strip() + entry[m.end() :]))
    return out


def _split_entries(line: str) -> list[str]:
    """Split on commas that are not inside braces."""
    parts, depth, cur = [], 0, []
    for ch in line:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _subwords(raw: str) -> list[str]:
    """Split an entry word the way the text is tokenised ("e-post" -> "e", "post")."""
    core = raw.strip("*")
    parts = [m.group() for m in TOKEN_RE.finditer(core.lower())]
    if len(parts) <= 1:
        return [raw]
    parts[0] = ("*" if raw.startswith("*") else "") + parts[0]
    parts[-1] = parts[-1] + ("*" if raw.endswith("*") and len(raw) > 1 else "")
    return parts


def _pattern(raw: str) -> _Pattern:
    pre, post = raw.startswith("*"), raw.endswith("*") and len(raw) > 1
    word = skeleton_word(raw.strip("*"))
    if " " in word:  # an entry like "e-post" or "2+1-väg" splits into several words
        word = ""
    mode = "infix" if pre and post else "suffix" if pre else "prefix" if post else "exact"
    return _Pattern(word, mode)


class Lexicon:
    """All word lists, compiled into lookup tables."""

    def __init__(self, entries: dict[str, list[str]]):
        self.classes = sorted(entries)
        self._exact: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._prefix: dict[str, list[tuple[_Pattern, str, str]]] = defaultdict(list)
        self._suffix: dict[str, list[tuple[_Pattern, str, str]]] = defaultdict(list)
        self._infix: list[tuple[_Pattern, str, str]] = []
        self._short_affix: list[tuple[_Pattern, str, str]] = []
        # Phrases are indexed by their first two words when both are plain words (the common
        # case), so a text full of "vi", "du" and "kan" costs one lookup per word pair.
        self._phrases: list[tuple[tuple[_Pattern, ...], str, str]] = []
        self._phrase_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._phrase_first: dict[str, list[int]] = defaultdict(list)
        self._phrase_first_affix: list[tuple[_Pattern, int]] = []
        self._all: list[tuple[_Pattern, str, str]] = []
        self._cache: dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[int, ...], bool]] = {}
        self._chunks: dict[str, tuple[tuple, ...]] = {}
        for cls, terms in entries.items():
            for term in dict.fromkeys(terms):
                self._add(cls, term)
        for table in (self._exact,):
            for key, values in table.items():
                table[key] = sorted(set(values))
        # Most words start no two-word phrase: one set lookup spares building a pair key.
        self._pair_first = frozenset(first for first, _ in self._phrase_pair)

    def _add(self, cls: str, term: str) -> None:
        words = [w for raw in term.split() for w in _subwords(raw)]
        if len(words) > 1:
            pats = tuple(_pattern(w) for w in words)
            if not all(p.word for p in pats):
                return
            idx = len(self._phrases)
            self._phrases.append((pats, cls, term))
            first, second = pats[0], pats[1]
            if first.mode == "exact" and second.mode == "exact":
                self._phrase_pair[(first.word, second.word)].append(idx)
            elif first.mode == "exact":
                self._phrase_first[first.word].append(idx)
            else:
                self._phrase_first_affix.append((first, idx))
            return
        pat = _pattern(term)
        if not pat.word:
            return
        self._all.append((pat, cls, term))
        if pat.mode == "exact":
            self._exact[pat.word].append((cls, term))
        elif len(pat.word) < 3:
            self._short_affix.append((pat, cls, term))
        elif pat.mode == "prefix":
            self._prefix[pat.word[:3]].append((pat, cls, term))
        elif pat.mode == "suffix":
            self._suffix[pat.word[-3:]].append((pat, cls, term))
        else:
            self._infix.append((pat, cls, term))

    # -- matching ---------------------------------------------------------------------------

    def _word_hits(self, token: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        exact = self._exact.get(token)
        if exact:
            found.extend(exact)
        if len(token) >= 3:
            for pat, cls, term in self._prefix.get(token[:3], ()):
                if token.startswith(pat.word):
                    found.append((cls, term))
            for pat, cls, term in self._suffix.get(token[-3:], ()):
                if token.endswith(pat.word):
                    found.append((cls, term))
        for pat, cls, term in self._infix:
            if pat.word in token:
                found.append((cls, term))
        for pat, cls, term in self._short_affix:
            if pat.matches(token):
                found.append((cls, term))
        return found

    def _masked_hits(self, token: str) -> list[tuple[str, str]]:
        return [(cls, term) for pat, cls, term in self._all if pat.matches_masked(token)]

    def lookup(self, tok: str) -> tuple[str, tuple[tuple[str, str], ...], tuple[int, ...], bool]:
        """A word's skeleton, its hits, the phrases that may start at it and whether a hit can
        start at it at all (any of the former, or the first word of a two-word phrase);
        memoised."""
        cached = self._cache.get(tok)
        if cached is not None:
            return cached
        skel = skeleton_token(tok)
        pairs = self._word_hits(skel) if WILDCARDS.isdisjoint(skel) else self._masked_hits(skel)
        starts = list(self._phrase_first.get(skel, ()))
        starts.extend(idx for pat, idx in self._phrase_first_affix if pat.matches(skel))
        found = tuple(dict.fromkeys(pairs))
        result = (skel, found, tuple(starts), bool(found or starts or skel in self._pair_first))
        if len(self._cache) > 200_000:  # words are Zipf-distributed; a reset is rare and cheap
            self._cache.clear()
        self._cache[tok] = result
        return result

    def tokens(
        self, text: str
    ) -> list[tuple[str, int, int, tuple[tuple[str, str], ...], tuple[int, ...]]]:
        """(skeleton, start, end, word hits, phrase starts) for each word of a match view."""
        return self.read(text)[0]

    def read(self, text: str) -> tuple[list[tuple], list[Hit]]:
        """The words of a match view (as :meth:`tokens`) and every hit in it (as
        :meth:`match`), in one pass.

        The text is read by whitespace-separated chunks ("Storgatan", "5?", "tack!!"): a word
        never holds whitespace, so a chunk's words depend on the chunk alone and are memoised
        per chunk. A chunk's place is the next occurrence of it: only whitespace lies between.
        """
        out: list[tuple] = []
        candidates: list[int] = []  # words at which a hit may start
        chunks = self._chunks
        find = text.find
        pos = 0
        for chunk in text.split():
            pos = find(chunk, pos)
            words = chunks.get(chunk)
            if words is None:
                words = self._chunk_words(chunk)
            for start, end, skel, pairs, starts, hit in words:
                if hit:
                    candidates.append(len(out))
                out.append((skel, pos + start, pos + end, pairs, starts))
            pos += len(chunk)
        return out, self._hits(out, candidates)

    def _chunk_words(self, chunk: str) -> tuple[tuple, ...]:
        """(start, end, skeleton, hits, phrase starts, may start a hit) of a chunk's words."""
        words: list[tuple] = []
        lookup = self.lookup
        # TOKEN_RE's words, found with the faster pattern (see TOKEN_FAST_RE).
        for m in TOKEN_FAST_RE.finditer(chunk):
            if "!" in m.group():  # rare: split as TOKEN_RE would ("hej!då", but "n!gg3r")
                for sub in TOKEN_RE.finditer(chunk, m.start(), m.end()):
                    words.append((sub.start(), sub.end(), *lookup(sub.group())))
            else:
                words.append((m.start(), m.end(), *lookup(m.group())))
        result = tuple(words)
        if len(self._chunks) > 200_000:  # as the word cache: a reset is rare and cheap
            self._chunks.clear()
        self._chunks[chunk] = result
        return result

    def match(self, text: str, tokens: list | None = None) -> list[Hit]:
        """Every hit in a match view (``Normalized.text``), in order of position."""
        if tokens is None:
            return self.read(text)[1]
        return self._hits(tokens, range(len(tokens)))

    def _hits(self, tokens: list, candidates: Iterable[int]) -> list[Hit]:
        hits: list[Hit] = []
        n = len(tokens)
        pair_index = self._phrase_pair
        pair_first = self._pair_first
        phrases = self._phrases
        new = tuple.__new__  # Hit(...) without the named tuple's Python-level __new__
        for i in candidates:
            skel, start, end, pairs, starts = tokens[i]
            for cls, term in pairs:
                hits.append(new(Hit, (cls, term, start, end, i, i)))
            phrase_ids = (
                pair_index.get((skel, tokens[i + 1][0]))
                if skel in pair_first and i + 1 < n
                else None
            )
            if phrase_ids is None and not starts:
                continue
            for idx in (*(phrase_ids or ()), *starts):
                pats, cls, term = phrases[idx]
                last = i + len(pats) - 1
                if last >= n:
                    continue
                if all(pats[k].matches(tokens[i + k][0]) for k in range(1, len(pats))):
                    hits.append(Hit(cls, term, start, tokens[last][2], i, last))
        return hits

    def terms(self, cls: str) -> list[str]:
        return sorted({term for _, c, term in self._all if c == cls})


def parse_lexicon_text(text: str, source: str = "<text>") -> dict[str, list[str]]:
    """Parse one lexicon file; a line outside any ``[class]`` section is an error."""
    entries: dict[str, list[str]] = defaultdict(list)
    cls: str | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            cls = line[1:-1].strip()
            if not re.fullmatch(r"[a-z0-9_]+", cls):
                raise ValueError(f"{source}:{lineno}: bad class name {cls!r}")
            continue
        if cls is None:
            raise ValueError(f"{source}:{lineno}: entry before any [class] header")
        for entry in _split_entries(line):
            entries[cls].extend(_expand(entry.lower()))
    return dict(entries)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    merged: dict[str, list[str]] = defaultdict(list)
    for path in sorted(LEXICON_DIR.glob("*.txt")):
        for cls, terms in parse_lexicon_text(path.read_text(encoding="utf-8"), path.name).items():
            merged[cls].extend(terms)
    return Lexicon(dict(merged))
