"""Seeded Swedish traffic on a municipality's Bluesky account.

The kommun posts; residents reply in its threads (questions, felanmälningar, complaints,
praise, arguments among themselves, now and then a threat, hets or spam), mention it in their
own posts, quote its posts, like them, and delete what they regret. The kommun answers some
questions. Texts come from the shared Swedish material (``texts``, ``TextFactory``) and are cut
to Bluesky's 300 graphemes.

Determinism: tick n draws from ``random.Random(f"bsky-scenario:{seed}:{n}")``.
"""

from __future__ import annotations

import random
import re

from ..scenario import COMMENT_KINDS, ScenarioConfig, TextFactory
from ..store import NotFound
from . import store as bstore
from .ids import graphemes
from .store import Actor, BlueskyStore, Record

ACTIONS = {
    "kommun_post": 7,
    "reply": 30,
    "thread_reply": 14,
    "mention": 10,
    "quote": 4,
    "kommun_reply": 6,
    "delete": 5,
    "like": 8,
}
NEEDS_ANSWER = ("question", "felanmalan", "complaint")
SHARP = ("threat", "hets", "complaint", "argument")
HANDLE_DOMAINS = ("bsky.social", "bsky.social", "bsky.social", "alvby.example", "norrvik.example")


def fit(text: str, limit: int = bstore.MAX_POST_GRAPHEMES) -> str:
    """Cut a text to what a post may hold, on a word boundary, with an ellipsis."""
    if graphemes(text) <= limit and len(text.encode()) <= bstore.MAX_POST_BYTES:
        return text
    words, out = text.split(" "), ""
    for word in words:
        candidate = f"{out} {word}".strip()
        if graphemes(candidate) > limit - 1 or len(candidate.encode()) > bstore.MAX_POST_BYTES - 3:
            break
        out = candidate
    return (out or text[: limit - 1]) + "…"


class BlueskyScenario:
    def __init__(
        self,
        store: BlueskyStore,
        *,
        seed: int = 0,
        config: ScenarioConfig | None = None,
        kommun_name: str = "kommunen",
    ) -> None:
        self.store = store
        self.seed = seed
        self.config = config or ScenarioConfig()
        self.kommun_name = kommun_name
        self.kinds: dict[str, str] = store.meta.setdefault("kinds", {})

    def _words(self, rng: random.Random) -> TextFactory:
        return TextFactory(rng, self.kommun_name, self.config)

    def _pick(self, rng: random.Random, weights: dict[str, int]) -> str:
        names = sorted(weights)
        return rng.choices(names, weights=[weights[n] for n in names])[0]

    def resident(self, rng: random.Random) -> Actor:
        from .. import texts

        kommun = set(self.store.meta.get("kommun", []))
        residents = sorted(
            (a for a in self.store.actors.values() if a.did not in kommun), key=lambda a: a.did
        )
        if len(residents) < 10 or rng.random() < 0.12:
            first, last = rng.choice(texts.FIRST_NAMES), rng.choice(texts.LAST_NAMES)
            base = (
                re.sub(
                    r"[^a-z0-9]",
                    "",
                    f"{first}{last[:4]}".lower()
                    .replace("å", "a")
                    .replace("ä", "a")
                    .replace("ö", "o"),
                )
                or "invanare"
            )
            domain = rng.choice(HANDLE_DOMAINS)
            handle = f"{base}{rng.randint(1, 99)}.{domain}"
            while any(a.handle == handle for a in self.store.actors.values()):
                handle = f"{base}{rng.randint(100, 9999)}.{domain}"
            return self.store.create_actor(handle, f"{first} {last}")
        return rng.choice(residents)

    def _own_roots(self, kommun: Actor, n: int = 5) -> list[Record]:
        roots = [r for r in self.store.posts_of(kommun.did) if not r.value.get("reply")]
        return sorted(roots, key=lambda r: r.seq, reverse=True)[:n]

    def _pick_recent(self, rng: random.Random, items: list):
        weights = [1.0 / (i + 1) for i in range(len(items))]
        return rng.choices(items, weights=weights)[0]

    def tick(self) -> None:
        store = self.store
        with store.lock:
            kommun = store.kommun_actors()
            if not kommun:
                return
            n = store.meta.get("tick_count", 0)
            store.meta["tick_count"] = n + 1
            rng = random.Random(f"bsky-scenario:{self.seed}:{n}")
            for _ in range(rng.randint(1, 3)):
                if store.world.clock.virtual:
                    store.world.clock.advance(rng.uniform(*self.config.step_seconds))
                try:
                    self._act(rng, rng.choice(kommun))
                except NotFound:
                    continue

    def _act(self, rng: random.Random, kommun: Actor) -> None:
        store, words = self.store, self._words(rng)
        action = self._pick(rng, ACTIONS)
        roots = self._own_roots(kommun)
        if action == "kommun_post" or not roots:
            _, text = words.kommun_post()
            store.post(kommun.did, fit(text))
            return
        if action == "reply":
            kind = self._pick(rng, {k: v for k, v in COMMENT_KINDS.items() if k != "argument"})
            reply = store.post(
                self.resident(rng).did,
                fit(words.comment(kind)),
                reply_to=self._pick_recent(rng, roots).uri,
            )
            self.kinds[reply.uri] = kind
            return
        if action == "thread_reply":
            replies = [
                r for root in roots for r in store.replies_to(root.uri) if r.did != kommun.did
            ]
            if not replies:
                return
            target = rng.choice(replies)
            author = self.resident(rng)
            if author.did == target.did:
                return
            kind = rng.choice(["argument", "argument", "praise", "question", "threat"])
            text = f"@{store.actors[target.did].handle} {words.comment(kind)}"
            self.kinds[store.post(author.did, fit(text), reply_to=target.uri).uri] = kind
            return
        if action == "mention":
            kind = self._pick(rng, {k: v for k, v in COMMENT_KINDS.items() if k != "argument"})
            post = store.post(
                self.resident(rng).did, fit(f"@{kommun.handle} {words.comment(kind)}")
            )
            self.kinds[post.uri] = kind
            return
        if action == "quote":
            kind = rng.choice(["complaint", "praise", "question", "argument"])
            post = store.post(
                self.resident(rng).did,
                fit(words.comment(kind)),
                quote=self._pick_recent(rng, roots).uri,
            )
            self.kinds[post.uri] = kind
            return
        if action == "kommun_reply":
            answered = {
                (r.value.get("reply") or {}).get("parent", {}).get("uri")
                for r in store.posts_of(kommun.did)
            }
            waiting = [
                r
                for root in roots
                for r in store.replies_to(root.uri)
                if self.kinds.get(r.uri) in NEEDS_ANSWER and r.uri not in answered
            ]
            if not waiting:
                return
            target = rng.choice(waiting)
            first = store.actors[target.did].display_name.split(" ")[0]
            store.post(kommun.did, fit(words.kommun_reply(first)), reply_to=target.uri)
            return
        if action == "delete":
            theirs = [
                r for root in roots for r in store.replies_to(root.uri) if r.did != kommun.did
            ]
            if not theirs:
                return
            sharp = [r for r in theirs if self.kinds.get(r.uri) in SHARP]
            target = rng.choice(sharp if sharp and rng.random() < 0.7 else theirs)
            store.delete(target.did, target.collection, target.rkey)
            return
        if action == "like":
            store.like(self.resident(rng).did, self._pick_recent(rng, roots).uri)

    def seed_history(self, days: int) -> None:
        """A few days of past posts and replies (no events: they happened before anyone looked)."""
        store = self.store
        with store.lock:
            rng = random.Random(f"bsky-history:{self.seed}")
            words = self._words(rng)
            now = store.now()
            start = now - days * 86_400
            for kommun in store.kommun_actors():
                for day in range(days):
                    t = start + day * 86_400 + rng.uniform(8, 15) * 3600
                    _, text = words.kommun_post()
                    root = store.post(kommun.did, fit(text), at=t, emit=False)
                    for _ in range(rng.randint(1, 5)):
                        t += rng.uniform(120, 5400)
                        if t >= now:
                            break
                        kind = self._pick(rng, COMMENT_KINDS)
                        kind = "question" if kind == "argument" else kind
                        reply = store.post(
                            self.resident(rng).did,
                            fit(words.comment(kind)),
                            reply_to=root.uri,
                            at=t,
                            emit=False,
                        )
                        self.kinds[reply.uri] = kind
                t = start + rng.uniform(0, days * 86_400 - 3600)
                mention = store.post(
                    self.resident(rng).did,
                    fit(f"@{kommun.handle} {words.comment('question')}"),
                    at=t,
                    emit=False,
                )
                self.kinds[mention.uri] = "question"
