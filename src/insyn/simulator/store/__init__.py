"""The simulated world: pages, people, posts, comments, messages, statuses, tokens.

Invariants:
- One re-entrant lock guards everything; the HTTP apps, the scenario and the
  control API all change the world through the verb methods here, under it.
- Posts, comments, messages and statuses are never removed: a deletion sets
  `deleted_at`, an edit appends to `history`, so /_sim/state can show what the
  platform no longer does. (Notifications about a deleted status do go, as on
  Mastodon.)
- Every change a platform would announce is appended to the event log as a
  SimEvent carrying the platform's own payload (a Graph webhook `feed` change
  value, a Messenger `messaging` item), built at the moment it happened.
- Ids come from a seeded random stream (Graph) or from the creation time
  (Mastodon snowflakes), so a seed and a VirtualClock give the same world twice.
"""

from __future__ import annotations

import collections
import json
import os
import random
import tempfile
import threading
from dataclasses import asdict
from typing import Any

from ..clock import Clock, clock_from_json
from .facebook import FacebookWorld
from .instagram import IgAccount, IgComment, IgMedia, IgMessage, InstagramWorld
from .mastodon import MastodonWorld
from .records import (
    FORMAT_VERSION,
    TOKEN_STATES,
    VISIBILITIES,
    Comment,
    Conversation,
    FbUser,
    Invalid,
    MAccount,
    MConversation,
    Message,
    NotFound,
    Notification,
    Page,
    Post,
    SimEvent,
    Status,
    Token,
)

__all__ = [
    "FORMAT_VERSION",
    "TOKEN_STATES",
    "VISIBILITIES",
    "Comment",
    "Conversation",
    "FbUser",
    "IgAccount",
    "IgComment",
    "IgMedia",
    "IgMessage",
    "Invalid",
    "MAccount",
    "MConversation",
    "Message",
    "NotFound",
    "Notification",
    "Page",
    "Post",
    "SimEvent",
    "Status",
    "Token",
    "World",
]


class World(FacebookWorld, MastodonWorld, InstagramWorld):
    """All simulated state. Use the verb methods; read the dicts under `lock`."""

    def __init__(self, *, seed: int = 0, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock = clock or Clock()
        self.rng = random.Random(f"ids:{seed}")
        self.seq = 0
        self.tick_count = 0
        self.users: dict[str, FbUser] = {}
        self.pages: dict[str, Page] = {}
        self.tokens: dict[str, Token] = {}
        self.posts: dict[str, Post] = {}
        self.comments: dict[str, Comment] = {}
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[str, Message] = {}
        self.maccounts: dict[str, MAccount] = {}
        self.statuses: dict[str, Status] = {}
        self.notifications: dict[str, Notification] = {}
        self.mconversations: dict[str, MConversation] = {}
        self.ig_accounts: dict[str, IgAccount] = {}
        self.ig_media: dict[str, IgMedia] = {}
        self.ig_comments: dict[str, IgComment] = {}
        self.ig_messages: dict[str, IgMessage] = {}
        self.idempotency: dict[str, list] = {}  # "account:key" -> [status_id, time]
        self.meta: dict[str, Any] = {"kommun_accounts": []}  # scenario roles and the like
        self.events: collections.deque[SimEvent] = collections.deque(maxlen=20_000)
        self._listeners: list = []
        self._used_ids: set[str] = set()
        self._snow_seq = 0
        self._notif_seq = 0
        self._mconv_seq = 0
        self.dirty = False
        self._reindex()

    # --- ids, time, events --------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def fb_number(self, digits: int = 16) -> str:
        while True:
            first = str(self.rng.randint(1, 9))
            value = first + "".join(str(self.rng.randint(0, 9)) for _ in range(digits - 1))
            if value not in self._used_ids:
                self._used_ids.add(value)
                return value

    def snowflake(self, t: float) -> str:
        """Mastodon-style id: milliseconds since the epoch, shifted, plus a sequence."""
        self._snow_seq = (self._snow_seq + 1) & 0xFFFF
        while True:
            value = str((int(t * 1000) << 16) | self._snow_seq)
            if value not in self.statuses and value not in self._used_ids:
                self._used_ids.add(value)
                return value
            self._snow_seq = (self._snow_seq + 1) & 0xFFFF

    def new_token(self, prefix: str) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(48))

    def subscribe(self, listener) -> None:
        """Call listener(event) for every event from now on (under the lock)."""
        self._listeners.append(listener)

    def _emit(self, kind: str, subject_id: str, payload: dict, summary: str = "") -> SimEvent:
        event = SimEvent(self._next_seq(), self.now(), kind, subject_id, payload, summary)
        self.events.append(event)
        self.dirty = True
        for listener in list(self._listeners):
            listener(event)
        return event

    def _touch(self) -> None:
        self.dirty = True

    # --- tokens -------------------------------------------------------------------------

    def create_token(self, platform: str, subject_id: str, token: str | None = None) -> Token:
        with self.lock:
            token = token or self.new_token("EAAG" if platform == "graph" else "")
            record = Token(token, platform, subject_id, "valid", self.now(), self.now())
            self.tokens[token] = record
            self._touch()
            return record

    def set_token_state(self, token: str, state: str) -> Token:
        if state not in TOKEN_STATES:
            raise Invalid(f"token state must be one of {', '.join(TOKEN_STATES)}")
        with self.lock:
            record = self.tokens.get(token)
            if record is None:
                raise NotFound(token)
            record.state = state
            record.changed_at = self.now()
            self._touch()
            return record

    # --- persistence --------------------------------------------------------------------

    _TABLES = {
        "users": FbUser,
        "pages": Page,
        "tokens": Token,
        "posts": Post,
        "comments": Comment,
        "conversations": Conversation,
        "messages": Message,
        "maccounts": MAccount,
        "statuses": Status,
        "notifications": Notification,
        "mconversations": MConversation,
        "ig_accounts": IgAccount,
        "ig_media": IgMedia,
        "ig_comments": IgComment,
        "ig_messages": IgMessage,
    }

    def to_json(self) -> dict:
        with self.lock:
            data: dict[str, Any] = {
                "format": FORMAT_VERSION,
                "seed": self.seed,
                "seq": self.seq,
                "tick_count": self.tick_count,
                "clock": self.clock.to_json(),
                "rng": _rng_state_to_json(self.rng.getstate()),
                "snow_seq": self._snow_seq,
                "notif_seq": self._notif_seq,
                "mconv_seq": self._mconv_seq,
                "idempotency": self.idempotency,
                "meta": self.meta,
            }
            for name in self._TABLES:
                data[name] = [asdict(v) for v in getattr(self, name).values()]
            return data

    @classmethod
    def from_json(cls, data: dict) -> World:
        world = cls(seed=data.get("seed", 0), clock=clock_from_json(data.get("clock")))
        world.seq = data.get("seq", 0)
        world.tick_count = data.get("tick_count", 0)
        if "rng" in data:
            world.rng.setstate(_rng_state_from_json(data["rng"]))
        world._snow_seq = data.get("snow_seq", 0)
        world._notif_seq = data.get("notif_seq", 0)
        world._mconv_seq = data.get("mconv_seq", 0)
        world.idempotency = data.get("idempotency", {})
        world.meta = data.get("meta", {"kommun_accounts": []})
        for name, kind in cls._TABLES.items():
            table = getattr(world, name)
            key = "token" if kind is Token else "id"
            for row in data.get(name, []):
                record = kind(**row)
                table[getattr(record, key)] = record
        world._reindex()
        world.dirty = False
        return world

    def save(self, path: str) -> None:
        with self.lock:
            data = self.to_json()
            self.dirty = False
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".world-", suffix=".json", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str) -> World:
        with open(path, encoding="utf-8") as handle:
            return cls.from_json(json.load(handle))

    def _reindex(self) -> None:
        self._posts_by_page: dict[str, list[str]] = {}
        self._comments_by_post: dict[str, list[str]] = {}
        self._replies: dict[str, list[str]] = {}
        self._messages_by_conv: dict[str, list[str]] = {}
        self._statuses_by_account: dict[str, list[str]] = {}
        self._children: dict[str, list[str]] = {}
        for post in sorted(self.posts.values(), key=lambda p: p.seq):
            self._posts_by_page.setdefault(post.page_id, []).append(post.id)
        for comment in sorted(self.comments.values(), key=lambda c: c.seq):
            self._comments_by_post.setdefault(comment.post_id, []).append(comment.id)
            if comment.parent_id:
                self._replies.setdefault(comment.parent_id, []).append(comment.id)
        for message in sorted(self.messages.values(), key=lambda m: m.seq):
            self._messages_by_conv.setdefault(message.conversation_id, []).append(message.id)
        for status in sorted(self.statuses.values(), key=lambda s: int(s.id)):
            self._statuses_by_account.setdefault(status.account_id, []).append(status.id)
            if status.in_reply_to_id:
                self._children.setdefault(status.in_reply_to_id, []).append(status.id)
        self._used_ids = set(self.users) | set(self.pages) | set(self.statuses)
        self._used_ids |= {p.split("_", 1)[1] for p in self.posts}
        self._used_ids |= {c.split("_", 1)[1] for c in self.comments}
        self._used_ids |= {c[2:] for c in self.conversations}
        self._used_ids |= set(self.ig_accounts) | set(self.ig_media) | set(self.ig_comments)
        self._reindex_instagram()

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "pages": len(self.pages),
                "fb_users": len(self.users),
                "posts": sum(1 for p in self.posts.values() if p.deleted_at is None),
                "posts_deleted": sum(1 for p in self.posts.values() if p.deleted_at is not None),
                "comments": sum(1 for c in self.comments.values() if c.deleted_at is None),
                "comments_deleted": sum(
                    1 for c in self.comments.values() if c.deleted_at is not None
                ),
                "comments_hidden": sum(
                    1 for c in self.comments.values() if c.is_hidden and c.deleted_at is None
                ),
                "conversations": len(self.conversations),
                "messages": len(self.messages),
                "mastodon_accounts": len(self.maccounts),
                "statuses": sum(1 for s in self.statuses.values() if s.deleted_at is None),
                "statuses_deleted": sum(
                    1 for s in self.statuses.values() if s.deleted_at is not None
                ),
                "notifications": len(self.notifications),
                "mastodon_conversations": len(self.mconversations),
                **self.instagram_counts(),
                "events": len(self.events),
            }


def _rng_state_to_json(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _rng_state_from_json(data: list) -> tuple:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)
