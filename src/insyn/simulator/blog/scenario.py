"""Seeded Swedish traffic on the municipality's blog: the kommun posts, residents comment,
ask, complain and argue (some abusive: threats and hets go to the moderation queue, spam to
the spam folder as Akismet would put it), the communicators answer, and now and then an
editor edits, holds or trashes a comment in WordPress.

Deterministic: tick n draws from random.Random(f"blog:{seed}:{n}"); the blog has no random
stream of its own, so it never shifts the Facebook and Mastodon worlds of the same seed.
"""

from __future__ import annotations

import random

from .. import texts
from ..scenario import COMMENT_KINDS, ScenarioConfig, TextFactory
from .store import BlogStore

ACTIONS = {
    "post": 6,
    "comment": 40,
    "reply": 14,
    "kommun_reply": 12,
    "edit": 6,
    "hold": 3,
    "trash": 3,
    "delete": 1,
}
STAFF = ("redaktion", "kommunikator")


class BlogScenario:
    def __init__(
        self,
        store: BlogStore,
        *,
        seed: int = 0,
        kommun: str = "kommunen",
        config: ScenarioConfig | None = None,
    ) -> None:
        self.store, self.seed, self.kommun = store, seed, kommun
        self.config = config or ScenarioConfig()

    def _words(self, rng: random.Random) -> TextFactory:
        return TextFactory(rng, self.kommun, self.config)

    def _staff(self) -> list[int]:
        return sorted(u.id for u in self.store.users.values())

    def tick(self) -> None:
        store = self.store
        with store.lock:
            if not store.users:
                return
            rng = random.Random(f"blog:{self.seed}:{store.tick_count}")
            store.tick_count += 1
            for _ in range(rng.randint(1, 2)):
                action = rng.choices(
                    sorted(ACTIONS), weights=[ACTIONS[a] for a in sorted(ACTIONS)]
                )[0]
                self._act(rng, action, store.now())
            store.dirty = True

    def _recent_posts(self):
        posts = [p for p in self.store.posts.values() if not p.deleted and p.status == "publish"]
        return sorted(posts, key=lambda p: p.date, reverse=True)[:5]

    def _live(self, **where):
        return sorted(
            (
                c
                for c in self.store.comments.values()
                if not c.deleted and all(getattr(c, k) == v for k, v in where.items())
            ),
            key=lambda c: c.id,
        )

    def _act(self, rng: random.Random, action: str, t: float) -> None:
        store, words = self.store, self._words(rng)
        posts = self._recent_posts()
        if action == "post" or not posts:
            title, text = words.kommun_post()
            store.create_post(rng.choice(self._staff()), title.capitalize(), text, at=t)
            return
        post = rng.choice(posts)
        if action in ("comment", "reply"):
            kind = rng.choices(
                sorted(COMMENT_KINDS), weights=[COMMENT_KINDS[k] for k in sorted(COMMENT_KINDS)]
            )[0]
            first, last = rng.choice(texts.FIRST_NAMES), rng.choice(texts.LAST_NAMES)
            status = (
                "spam"
                if kind == "spam"
                else "hold"
                if kind in ("threat", "hets") and rng.random() < 0.5
                else "approved"
            )
            parents = self._live(post=post.id, status="approved")
            parent = rng.choice(parents).id if action == "reply" and parents else 0
            store.add_comment(
                post.id,
                words.comment(kind),
                author_name=f"{first} {last}",
                author_email=f"{first.lower()}.{last.lower()}@example.se".encode(
                    "ascii", "ignore"
                ).decode(),
                parent=parent,
                status=status,
                at=t,
                kind=kind,
            )
        elif action == "kommun_reply":
            open_questions = [
                c
                for c in self._live(status="approved")
                if c.author == 0 and c.kind in ("question", "felanmalan", "complaint")
            ]
            if open_questions:
                target = rng.choice(open_questions[-10:])
                store.add_comment(
                    target.post,
                    words.kommun_reply(target.author_name.split(" ")[0]),
                    author=rng.choice(self._staff()),
                    parent=target.id,
                    at=t,
                )
        elif action == "edit":
            mine = [c for c in self._live(status="approved") if c.author == 0]
            if mine:
                target = rng.choice(mine[-15:])
                store.edit_comment(target.id, words.edited(target.content, target.kind))
        elif action == "hold":
            abusive = [
                c for c in self._live(status="approved") if c.kind in ("threat", "hets", "offtopic")
            ]
            if abusive:
                store.set_comment_status(rng.choice(abusive).id, "hold")
        elif action == "trash":
            candidates = self._live(status="spam") + [c for c in self._live(status="hold")]
            if candidates:
                store.set_comment_status(rng.choice(candidates).id, "trash")
        elif action == "delete":
            trashed = self._live(status="trash")
            if trashed:
                store.delete_comment(rng.choice(trashed).id)

    def seed_history(self, days: int) -> None:
        store = self.store
        with store.lock:
            rng = random.Random(f"blog-history:{self.seed}")
            now = store.now()
            start = now - days * 86_400
            for day in range(days):
                t = start + day * 86_400 + rng.uniform(8, 11) * 3600
                self._act(rng, "post", t)
                for _ in range(rng.randint(2, 6)):
                    t += rng.uniform(300, 7200)
                    if t >= now:
                        break
                    self._act(rng, rng.choice(("comment", "comment", "reply", "kommun_reply")), t)
            store.dirty = True
