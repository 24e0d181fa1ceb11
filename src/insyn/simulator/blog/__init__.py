"""A simulated WordPress blog (REST API + RSS/Atom feeds), mounted at /blog on the main port.

site = BlogSite(world, faults, seed=1)
info = site.seed_default("Norrvik kommun", history_days=2)   # users, posts, an application password
site.app   # the WSGI app; its home URL is where it is mounted
"""

from __future__ import annotations

import os
import random

from ..faults import FaultInjector, RateMeter
from ..store import World
from .app import BlogApp
from .scenario import BlogScenario
from .store import BlogStore

BLOG_FILE = "blog.json"
__all__ = ["BlogApp", "BlogScenario", "BlogSite", "BlogStore"]


class BlogSite:
    """The blog's store, WSGI app and scenario, persisted next to the world (DIR/blog.json)."""

    def __init__(
        self,
        world: World,
        faults: FaultInjector,
        *,
        seed: int = 0,
        data_dir: str | None = None,
        limit: int = 600,
        period: float = 60.0,
    ) -> None:
        self.world, self.seed = world, seed
        self.path = os.path.join(data_dir, BLOG_FILE) if data_dir else None
        if self.path and os.path.exists(self.path):
            self.store = BlogStore.load(self.path, world.clock)
        else:
            self.store = BlogStore(world.clock)
        self.meter = RateMeter(limit, period)
        self.app = BlogApp(self.store, world, faults, self.meter)
        self.scenario = BlogScenario(
            self.store, seed=seed, kommun=self.store.title.removesuffix("s blogg") or "kommunen"
        )

    def seed_default(
        self, kommun: str, *, history_days: int = 2, password: str | None = None
    ) -> dict:
        """A blog with two staff users, an application password for the first, and history."""
        store = self.store
        with store.lock:
            store.title, store.description = f"{kommun}s blogg", f"Nyheter och samtal från {kommun}"
            self.scenario.kommun = kommun
            editor = store.create_user("redaktion", f"{kommun}, kommunikationsavdelningen")
            store.create_user("kommunikator", "Kommunikatören")
            rng = random.Random(f"blog-password:{self.seed}")
            alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            password = password or " ".join(
                "".join(rng.choice(alphabet) for _ in range(4)) for _ in range(6)
            )
            token = f"{editor.username}:{password}"
            self.world.create_token("blog", str(editor.id), token)
            if history_days:
                self.scenario.seed_history(history_days)
            return {"username": editor.username, "user_id": editor.id, "token": token}

    def tick(self) -> None:
        self.scenario.tick()

    @property
    def dirty(self) -> bool:
        return self.store.dirty

    def save(self) -> str | None:
        if self.path is None:
            return None
        self.store.save(self.path)
        return self.path

    def state(self) -> dict:
        with self.store.lock:
            return {
                "title": self.store.title,
                "counts": self.store.counts(),
                "users": [{"id": u.id, "username": u.username} for u in self.store.users.values()],
            }
