"""Features for the linear models, shared by training and inference.

Three blocks, each scaled on its own so that 600 character n-grams don't drown a handful of
lexicon and rule signals:

* ``C:`` character 3-5-grams of each word's skeleton with word boundaries (" jävl", "lar ")
  catch inflections, compounds and typos the word lists miss; scaled to unit length;
* ``W:``/``B:``/``F:`` word skeletons, word bigrams and the first word; unit length;
* ``L:`` lexicon classes present, ``R:`` rules fired, ``K:`` the item kind, ``S:`` span kinds,
  ``E:`` emojis and ``N:`` a length bucket; value 1 each.

Per-word features are memoised by skeleton, so a comment costs one dictionary lookup per word.
"""

from __future__ import annotations

import math
from functools import lru_cache, partial
from operator import is_not

import numpy as np

from insyn.triage.rules import Analysis, RuleOutput

CHAR_NGRAMS = (3, 4, 5)


def _make_gram_slices(size: int) -> tuple[slice, ...]:
    """The slices of a padded word of ``size`` characters that make its char n-grams."""
    return tuple(slice(i, i + n) for n in CHAR_NGRAMS for i in range(size - n + 1))


_MAX_CACHED_SIZE = 64  # words are short; a 20,000-letter "word" is not kept
_cached_gram_slices = lru_cache(maxsize=_MAX_CACHED_SIZE)(_make_gram_slices)


def _gram_slices(size: int) -> tuple[slice, ...]:
    return _cached_gram_slices(size) if size <= _MAX_CACHED_SIZE else _make_gram_slices(size)


def word_char_features(skel: str) -> tuple[str, ...]:
    padded = f" {skel} "
    return tuple("C:" + padded[s] for s in _gram_slices(len(padded)))


_is_known = partial(is_not, None)


def _length_bucket(n_tokens: int) -> str:
    if n_tokens <= 3:
        return "N:tiny"
    if n_tokens <= 12:
        return "N:short"
    if n_tokens <= 40:
        return "N:medium"
    return "N:long"


def feature_blocks(a: Analysis, rules: RuleOutput) -> tuple[list[str], list[str], list[str]]:
    """(char, word, meta) feature names of one analysed text."""
    chars: list[str] = []
    words: list[str] = []
    skels = a.skels
    for skel in skels:
        chars.extend(word_char_features(skel))
        words.append("W:" + skel)
    words.extend(f"B:{x} {y}" for x, y in zip(skels, skels[1:], strict=False))
    if skels:
        words.append("F:" + skels[0])
    meta = [f"L:{cls}" for cls in a.by_class]
    meta.extend(sorted(rules.features))
    meta.append("K:" + a.kind)
    meta.extend({"S:" + s.kind for s in a.spans})
    meta.extend({"E:" + e for e in a.emojis})
    meta.append(_length_bucket(len(skels)))
    return chars, words, meta


def block_values(n_char: int, n_word: int, n_meta: int) -> tuple[float, float, float]:
    return (
        1.0 / math.sqrt(n_char) if n_char else 0.0,
        1.0 / math.sqrt(n_word) if n_word else 0.0,
        1.0,
    )


class FeatureSpace:
    """Maps analysed texts to sparse vectors over a fixed vocabulary (a trained model's)."""

    def __init__(self, names: list[str]):
        self.names = names
        self.index = {name: i for i, name in enumerate(names)}
        # Bigrams keyed by word pair, so scoring needn't build "B:x y" strings.
        self.bigrams = {
            tuple(name[2:].split(" ", 1)): i
            for name, i in self.index.items()
            if name.startswith("B:")
        }
        self._list_ids = {name[2:]: i for name, i in self.index.items() if name.startswith("L:")}
        # The same bigrams as first word -> second word -> id: most words start no known
        # bigram, and one small dictionary per first word spares building a pair key.
        self._bigram_next: dict[str, dict[str, int]] = {}
        for (first, second), i in self.bigrams.items():
            self._bigram_next.setdefault(first, {})[second] = i
        self._word_cache: dict[str, tuple[int, tuple[int, ...], int]] = {}
        # Character n-grams by the n-gram itself (without "C:"): a new word's n-grams are then
        # looked up without building a name for each.
        self._char_index = {name[2:]: i for name, i in self.index.items() if name.startswith("C:")}

    def __len__(self) -> int:
        return len(self.names)

    def word(self, skel: str) -> tuple[int, tuple[int, ...], int]:
        """(word feature id or -1, known char n-gram ids, number of char n-grams)."""
        cached = self._word_cache.get(skel)
        if cached is None:
            # word_char_features(skel) without the "C:" names, in C-level loops.
            padded = f" {skel} "
            slices = _gram_slices(len(padded))
            grams = map(padded.__getitem__, slices)
            ids = tuple(filter(_is_known, map(self._char_index.get, grams)))
            cached = (self.index.get("W:" + skel, -1), ids, len(slices))
            if len(self._word_cache) > 200_000:
                self._word_cache.clear()
            self._word_cache[skel] = cached
        return cached

    def meta_names(self, a: Analysis, rules: RuleOutput) -> list[str]:
        names = [f"L:{cls}" for cls in a.by_class]
        names.extend(rules.features)
        names.append("K:" + a.kind)
        names.extend({"S:" + s.kind for s in a.spans})
        names.extend({"E:" + e for e in a.emojis})
        names.append(_length_bucket(len(a.tokens)))
        return names

    def other_ids(
        self, a: Analysis, rules: RuleOutput, skels: list[str]
    ) -> tuple[list[int], list[int], int, int]:
        """Known ids of the word block's bigrams and first word, known ids of the meta block,
        and the sizes of the word and meta blocks (unknown features count in the scaling too)."""
        word_ids: list[int] = []
        following = self._bigram_next.get
        for first, second in zip(skels, skels[1:], strict=False):
            nexts = following(first)
            if nexts is not None:
                i = nexts.get(second)
                if i is not None:
                    word_ids.append(i)
        n_word = len(skels) + max(0, len(skels) - 1)
        get = self.index.get
        if skels:
            n_word += 1
            i = get("F:" + skels[0])
            if i is not None:
                word_ids.append(i)
        # The same features as meta_names(), looked up without building most of the names.
        lists = self._list_ids.get
        n_meta = len(a.by_class) + len(rules.features) + 2
        meta_ids = [i for i in map(lists, a.by_class) if i is not None]
        meta_ids.extend(i for i in map(get, rules.features) if i is not None)
        extra = ["K:" + a.kind, _length_bucket(len(a.tokens))]
        if a.spans:
            kinds = {"S:" + sp.kind for sp in a.spans}
            extra.extend(kinds)
            n_meta += len(kinds)
        if a.emojis:
            emojis = {"E:" + e for e in a.emojis}
            extra.extend(emojis)
            n_meta += len(emojis)
        meta_ids.extend(i for i in map(get, extra) if i is not None)
        return word_ids, meta_ids, n_word, n_meta

    def vector(self, a: Analysis, rules: RuleOutput) -> tuple[np.ndarray, np.ndarray]:
        """Feature ids and values; unknown features are dropped (but still count in scaling)."""
        get = self.index.get
        char_ids: list[int] = []
        word_ids: list[int] = []
        n_char = n_word = 0
        skels = a.skels
        for skel in skels:
            wid, cids, n = self.word(skel)
            char_ids.extend(cids)
            n_char += n
            if wid >= 0:
                word_ids.append(wid)
        n_word = len(skels)
        bigram = self.bigrams.get
        for pair in zip(skels, skels[1:], strict=False):
            i = bigram(pair)
            if i is not None:
                word_ids.append(i)
        n_word += max(0, len(skels) - 1)
        if skels:
            n_word += 1
            i = get("F:" + skels[0])
            if i is not None:
                word_ids.append(i)
        meta_names = self.meta_names(a, rules)
        meta_ids = [i for i in map(get, meta_names) if i is not None]
        vc, vw, vm = block_values(n_char, n_word, len(meta_names))
        ids = np.fromiter((*char_ids, *word_ids, *meta_ids), dtype=np.int64)
        vals = np.empty(len(ids), dtype=np.float32)
        nc, nw = len(char_ids), len(word_ids)
        vals[:nc] = vc
        vals[nc : nc + nw] = vw
        vals[nc + nw :] = vm
        return ids, vals
