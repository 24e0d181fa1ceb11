"""The simulated world: pages, people, posts, comments, messages, statuses, tokens.

Invariants:
- One re-entrant lock guards everything; the HTTP apps, the scenario and the
  control API all change the world through the verb methods here, under it.
- Nothing is ever removed: a deletion sets `deleted_at`, an edit appends to
  `history`, so /_sim/state can show what the platform no longer does.
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
import re
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from .clock import Clock, clock_from_json, fb_time

TOKEN_STATES = ("valid", "expired", "password_changed", "revoked", "invalid")
VISIBILITIES = ("public", "unlisted", "private", "direct")
FORMAT_VERSION = 1


class NotFound(Exception):
    """The object does not exist (or no longer does)."""


class Invalid(Exception):
    """The request cannot be carried out as asked."""


# --- Facebook -----------------------------------------------------------------------------


@dataclass
class FbUser:
    id: str
    name: str
    first_name: str = ""
    last_name: str = ""


@dataclass
class Page:
    id: str
    name: str
    username: str
    category: str = "Government organization"
    followers_count: int = 0
    subscribed_fields: list[str] = field(default_factory=lambda: ["feed", "messages"])


@dataclass
class Token:
    token: str
    platform: str  # "graph" | "mastodon"
    subject_id: str  # page id or Mastodon account id
    state: str = "valid"
    created_at: float = 0.0
    changed_at: float = 0.0


@dataclass
class Post:
    id: str
    page_id: str
    from_id: str
    message: str
    created_time: float
    updated_time: float
    seq: int
    attachments: list[dict] = field(default_factory=list)
    status_type: str = "mobile_status_update"
    is_published: bool = True
    deleted_at: float | None = None
    history: list[dict] = field(default_factory=list)


@dataclass
class Comment:
    id: str
    post_id: str
    parent_id: str | None  # None for a top-level comment, else the top-level comment's id
    from_id: str
    message: str
    created_time: float
    seq: int
    updated_time: float = 0.0
    is_hidden: bool = False
    attachment: dict | None = None
    deleted_at: float | None = None
    history: list[dict] = field(default_factory=list)


@dataclass
class Conversation:
    id: str
    page_id: str
    user_id: str
    updated_time: float
    seq: int
    unread_count: int = 0


@dataclass
class Message:
    id: str
    conversation_id: str
    from_id: str
    to_id: str
    message: str
    created_time: float
    seq: int
    attachments: list[dict] = field(default_factory=list)


# --- Mastodon -----------------------------------------------------------------------------


@dataclass
class MAccount:
    id: str
    username: str
    display_name: str
    domain: str | None = None  # None: local to the simulated instance
    note: str = ""
    created_at: float = 0.0
    bot: bool = False
    locked: bool = False
    followers_count: int = 0
    following_count: int = 0

    @property
    def acct(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


@dataclass
class Status:
    id: str
    account_id: str
    text: str
    created_at: float
    visibility: str = "public"
    spoiler_text: str = ""
    sensitive: bool = False
    in_reply_to_id: str | None = None
    in_reply_to_account_id: str | None = None
    language: str = "sv"
    mentions: list[str] = field(default_factory=list)
    edited_at: float | None = None
    deleted_at: float | None = None
    history: list[dict] = field(default_factory=list)
    favourited_by: list[str] = field(default_factory=list)
    reblogged_by: list[str] = field(default_factory=list)
    media_attachments: list[dict] = field(default_factory=list)
    application: dict | None = None


@dataclass
class Notification:
    id: str
    account_id: str  # who receives it
    type: str
    from_account_id: str
    status_id: str | None
    created_at: float


@dataclass
class MConversation:
    id: str
    owner_id: str
    participant_ids: list[str]  # the others, not the owner
    root_status_id: str
    last_status_id: str | None
    unread: bool = True


@dataclass
class SimEvent:
    """One thing that happened, as the platform would tell it."""

    seq: int
    time: float
    kind: str  # "fb.feed" | "fb.messaging" | "mastodon.status" | "mastodon.edit" | ...
    subject_id: str  # page id or Mastodon account id the event concerns
    payload: dict
    summary: str = ""

    def to_json(self) -> dict:
        return asdict(self)


_MENTION_RE = re.compile(r"(?<![\w/])@([A-Za-z0-9_]+)(?:@([A-Za-z0-9.\-]+\.[A-Za-z]{2,}))?")


class World:
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

    # --- Facebook: people and pages -----------------------------------------------------

    def create_page(self, name: str, page_id: str | None = None, username: str | None = None) -> Page:
        with self.lock:
            page_id = page_id or self.fb_number(15)
            self._used_ids.add(page_id)
            username = username or re.sub(r"[^a-z0-9]", "", name.lower().replace("å", "a").replace("ä", "a").replace("ö", "o"))
            page = Page(page_id, name, username, followers_count=self.rng.randint(2_000, 30_000))
            self.pages[page_id] = page
            self._touch()
            return page

    def create_user(self, name: str, user_id: str | None = None) -> FbUser:
        with self.lock:
            user_id = user_id or self.fb_number(16)
            self._used_ids.add(user_id)
            first, _, last = name.partition(" ")
            user = FbUser(user_id, name, first, last)
            self.users[user_id] = user
            self._touch()
            return user

    def actor_name(self, actor_id: str) -> str:
        if actor_id in self.pages:
            return self.pages[actor_id].name
        if actor_id in self.users:
            return self.users[actor_id].name
        return ""

    # --- Facebook: feed -----------------------------------------------------------------

    def live_post(self, post_id: str) -> Post:
        post = self.posts.get(post_id)
        if post is None or post.deleted_at is not None:
            raise NotFound(post_id)
        return post

    def live_comment(self, comment_id: str) -> Comment:
        comment = self.comments.get(comment_id)
        if comment is None or comment.deleted_at is not None:
            raise NotFound(comment_id)
        # A comment under a deleted post or a deleted parent is gone with it.
        self.live_post(comment.post_id)
        if comment.parent_id is not None:
            parent = self.comments.get(comment.parent_id)
            if parent is None or parent.deleted_at is not None:
                raise NotFound(comment_id)
        return comment

    def create_post(
        self,
        page_id: str,
        message: str,
        *,
        from_id: str | None = None,
        attachments: list[dict] | None = None,
        at: float | None = None,
        emit: bool = True,
    ) -> Post:
        with self.lock:
            if page_id not in self.pages:
                raise NotFound(page_id)
            t = self.now() if at is None else at
            from_id = from_id or page_id
            post_id = f"{page_id}_{self.fb_number(16)}"
            status_type = "added_photos" if attachments else ("wall_post" if from_id != page_id else "mobile_status_update")
            post = Post(post_id, page_id, from_id, message, t, t, self._next_seq(), list(attachments or []), status_type)
            self.posts[post_id] = post
            self._posts_by_page.setdefault(page_id, []).append(post_id)
            if emit:
                self._emit_feed(page_id, self._post_value(post, "add"), f"post {post_id}")
            self._touch()
            return post

    def edit_post(self, post_id: str, message: str, *, emit: bool = True) -> Post:
        with self.lock:
            post = self.live_post(post_id)
            if not post.history:
                post.history.append({"time": post.created_time, "message": post.message})
            post.message = message
            post.updated_time = max(self.now(), post.created_time)
            post.history.append({"time": post.updated_time, "message": message})
            if emit:
                self._emit_feed(post.page_id, self._post_value(post, "edited"), f"post {post_id} edited")
            self._touch()
            return post

    def delete_post(self, post_id: str, *, emit: bool = True) -> Post:
        with self.lock:
            post = self.live_post(post_id)
            post.deleted_at = self.now()
            if emit:
                value = self._post_value(post, "remove")
                value.pop("message", None)
                self._emit_feed(post.page_id, value, f"post {post_id} removed")
            self._touch()
            return post

    def add_comment(
        self,
        object_id: str,
        from_id: str,
        message: str,
        *,
        attachment: dict | None = None,
        at: float | None = None,
        emit: bool = True,
    ) -> Comment:
        """Comment on a post, or reply to a comment (a reply to a reply joins its thread)."""
        with self.lock:
            if object_id in self.posts:
                post = self.live_post(object_id)
                parent_id = None
            else:
                parent = self.live_comment(object_id)
                post = self.live_post(parent.post_id)
                parent_id = parent.parent_id or parent.id
            t = self.now() if at is None else at
            object_part = post.id.split("_", 1)[1]
            comment_id = f"{object_part}_{self.fb_number(16)}"
            comment = Comment(comment_id, post.id, parent_id, from_id, message, t, self._next_seq(), t, attachment=attachment)
            self.comments[comment_id] = comment
            self._comments_by_post.setdefault(post.id, []).append(comment_id)
            if parent_id:
                self._replies.setdefault(parent_id, []).append(comment_id)
            if emit:
                self._emit_feed(post.page_id, self._comment_value(comment, "add"), f"comment {comment_id}")
            self._touch()
            return comment

    def edit_comment(self, comment_id: str, message: str, *, emit: bool = True) -> Comment:
        with self.lock:
            comment = self.live_comment(comment_id)
            if not comment.history:
                comment.history.append({"time": comment.created_time, "message": comment.message})
            comment.message = message
            comment.updated_time = max(self.now(), comment.created_time)
            comment.history.append({"time": comment.updated_time, "message": message})
            if emit:
                page_id = self.posts[comment.post_id].page_id
                self._emit_feed(page_id, self._comment_value(comment, "edited"), f"comment {comment_id} edited")
            self._touch()
            return comment

    def delete_comment(self, comment_id: str, *, emit: bool = True) -> Comment:
        """Delete a comment; its replies disappear with it (no event of their own)."""
        with self.lock:
            comment = self.live_comment(comment_id)
            comment.deleted_at = self.now()
            if emit:
                page_id = self.posts[comment.post_id].page_id
                value = self._comment_value(comment, "remove")
                value.pop("message", None)
                self._emit_feed(page_id, value, f"comment {comment_id} removed")
            self._touch()
            return comment

    def set_comment_hidden(self, comment_id: str, hidden: bool, *, emit: bool = True) -> Comment:
        with self.lock:
            comment = self.live_comment(comment_id)
            if comment.is_hidden != hidden:
                comment.is_hidden = hidden
                if emit:
                    page_id = self.posts[comment.post_id].page_id
                    value = self._comment_value(comment, "hide" if hidden else "unhide")
                    self._emit_feed(page_id, value, f"comment {comment_id} {'hidden' if hidden else 'unhidden'}")
            self._touch()
            return comment

    def react(self, object_id: str, from_id: str, reaction_type: str = "like") -> None:
        """A reaction: the platform announces it, the simulator keeps no count of it."""
        with self.lock:
            if object_id in self.posts:
                post = self.live_post(object_id)
                parent_id = post.id
            else:
                comment = self.live_comment(object_id)
                post = self.posts[comment.post_id]
                parent_id = comment.id
            value = {
                "item": "reaction",
                "verb": "add",
                "reaction_type": reaction_type,
                "post_id": post.id,
                "parent_id": parent_id,
                "created_time": int(self.now()),
                "from": {"id": from_id, "name": self.actor_name(from_id)},
            }
            self._emit_feed(post.page_id, value, f"reaction on {object_id}")

    def comments_of_post(self, post_id: str) -> list[Comment]:
        return [self.comments[c] for c in self._comments_by_post.get(post_id, [])]

    def replies_of(self, comment_id: str) -> list[Comment]:
        return [self.comments[c] for c in self._replies.get(comment_id, [])]

    def posts_of_page(self, page_id: str) -> list[Post]:
        return [self.posts[p] for p in self._posts_by_page.get(page_id, [])]

    def _emit_feed(self, page_id: str, value: dict, summary: str) -> None:
        page = self.pages[page_id]
        if "feed" in page.subscribed_fields:
            self._emit("fb.feed", page_id, value, summary)

    def _post_value(self, post: Post, verb: str) -> dict:
        value: dict[str, Any] = {
            "item": "photo" if post.attachments else "status",
            "verb": verb,
            "post_id": post.id,
            "created_time": int(post.created_time if verb == "add" else self.now()),
            "from": {"id": post.from_id, "name": self.actor_name(post.from_id)},
            "message": post.message,
            "published": 1,
            "is_hidden": False,
        }
        if post.attachments:
            value["photo_id"] = post.id.split("_", 1)[1]
            value["link"] = post.attachments[0].get("media", {}).get("image", {}).get("src", "")
        return value

    def _comment_value(self, comment: Comment, verb: str) -> dict:
        post = self.posts[comment.post_id]
        value: dict[str, Any] = {
            "item": "comment",
            "verb": verb,
            "comment_id": comment.id,
            "post_id": post.id,
            "parent_id": comment.parent_id or post.id,
            "created_time": int(comment.created_time if verb == "add" else self.now()),
            "from": {"id": comment.from_id, "name": self.actor_name(comment.from_id)},
            "message": comment.message,
            "post": {
                "id": post.id,
                "status_type": post.status_type,
                "is_published": True,
                "updated_time": fb_time(post.updated_time),
                "permalink_url": f"https://www.facebook.com/{post.page_id}/posts/{post.id.split('_', 1)[1]}",
                "promotion_status": "inactive",
            },
        }
        if verb == "add" and comment.attachment:
            value["photo"] = comment.attachment.get("media", {}).get("image", {}).get("src", "")
        return value

    # --- Facebook: Messenger ------------------------------------------------------------

    def conversation_for(self, page_id: str, user_id: str, *, at: float | None = None) -> Conversation:
        with self.lock:
            for conv in self.conversations.values():
                if conv.page_id == page_id and conv.user_id == user_id:
                    return conv
            conv = Conversation(f"t_{self.fb_number(16)}", page_id, user_id, self.now() if at is None else at, self._next_seq())
            self.conversations[conv.id] = conv
            self._touch()
            return conv

    def send_message(
        self,
        page_id: str,
        user_id: str,
        text: str,
        *,
        from_page: bool,
        attachments: list[dict] | None = None,
        at: float | None = None,
        emit: bool = True,
    ) -> Message:
        with self.lock:
            if page_id not in self.pages:
                raise NotFound(page_id)
            if user_id not in self.users:
                raise NotFound(user_id)
            t = self.now() if at is None else at
            conv = self.conversation_for(page_id, user_id, at=t)
            sender, recipient = (page_id, user_id) if from_page else (user_id, page_id)
            mid = "m_" + self._mid()
            message = Message(mid, conv.id, sender, recipient, text, t, self._next_seq(), list(attachments or []))
            self.messages[mid] = message
            self._messages_by_conv.setdefault(conv.id, []).append(mid)
            conv.updated_time = max(conv.updated_time, t)
            conv.seq = self._next_seq()
            conv.unread_count = 0 if from_page else conv.unread_count + 1
            page = self.pages[page_id]
            field_name = "message_echoes" if from_page else "messages"
            if emit and field_name in page.subscribed_fields:
                body: dict[str, Any] = {"mid": mid}
                if from_page:
                    body["is_echo"] = True
                    body["app_id"] = 0
                if text:
                    body["text"] = text
                if attachments:
                    body["attachments"] = [
                        {"type": a.get("type", "image"), "payload": {"url": a.get("image_data", {}).get("url", "")}}
                        for a in attachments
                    ]
                messaging = {
                    "sender": {"id": sender},
                    "recipient": {"id": recipient},
                    "timestamp": int(t * 1000),
                    "message": body,
                }
                self._emit("fb.messaging", page_id, messaging, f"message {mid}")
            self._touch()
            return message

    def messages_of(self, conversation_id: str) -> list[Message]:
        return [self.messages[m] for m in self._messages_by_conv.get(conversation_id, [])]

    def _mid(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return "".join(self.rng.choice(alphabet) for _ in range(40))

    # --- Mastodon -----------------------------------------------------------------------

    def create_maccount(
        self,
        username: str,
        display_name: str,
        *,
        domain: str | None = None,
        note: str = "",
        account_id: str | None = None,
        bot: bool = False,
    ) -> MAccount:
        with self.lock:
            for existing in self.maccounts.values():
                if existing.username.lower() == username.lower() and existing.domain == domain:
                    raise Invalid(f"account {existing.acct} exists")
            account_id = account_id or str(self.rng.randint(100_000, 999_999_999_999))
            while account_id in self.maccounts:
                account_id = str(self.rng.randint(100_000, 999_999_999_999))
            created = self.now() - self.rng.randint(30, 2_000) * 86_400
            account = MAccount(account_id, username, display_name, domain, note, created, bot)
            account.followers_count = self.rng.randint(0, 400)
            account.following_count = self.rng.randint(0, 300)
            self.maccounts[account_id] = account
            self._touch()
            return account

    def account_by_acct(self, acct: str) -> MAccount | None:
        username, _, domain = acct.lstrip("@").partition("@")
        for account in self.maccounts.values():
            if account.username.lower() == username.lower() and (account.domain or "") == domain.lower():
                return account
        return None

    def live_status(self, status_id: str) -> Status:
        status = self.statuses.get(status_id)
        if status is None or status.deleted_at is not None:
            raise NotFound(status_id)
        return status

    def statuses_of(self, account_id: str) -> list[Status]:
        return [self.statuses[s] for s in self._statuses_by_account.get(account_id, [])]

    def children_of(self, status_id: str) -> list[Status]:
        return [self.statuses[s] for s in self._children.get(status_id, [])]

    def _parse_mentions(self, text: str) -> list[str]:
        found: list[str] = []
        for match in _MENTION_RE.finditer(text):
            acct = match.group(1) + (f"@{match.group(2)}" if match.group(2) else "")
            account = self.account_by_acct(acct)
            if account and account.id not in found:
                found.append(account.id)
        return found

    def create_status(
        self,
        account_id: str,
        text: str,
        *,
        visibility: str = "public",
        in_reply_to_id: str | None = None,
        spoiler_text: str = "",
        sensitive: bool = False,
        language: str = "sv",
        idempotency_key: str | None = None,
        media_attachments: list[dict] | None = None,
        application: dict | None = None,
        at: float | None = None,
    ) -> Status:
        with self.lock:
            if account_id not in self.maccounts:
                raise NotFound(account_id)
            if visibility not in VISIBILITIES:
                raise Invalid("Validation failed: Visibility is not included in the list")
            if not text.strip() and not media_attachments:
                raise Invalid("Validation failed: Text can't be blank")
            if idempotency_key:
                key = f"{account_id}:{idempotency_key}"
                known = self.idempotency.get(key)
                if known and self.now() - known[1] < 3600 and known[0] in self.statuses:
                    return self.statuses[known[0]]
            parent = None
            if in_reply_to_id:
                parent = self.statuses.get(in_reply_to_id)
                if parent is None or parent.deleted_at is not None:
                    raise NotFound(in_reply_to_id)
            t = self.now() if at is None else at
            status = Status(
                self.snowflake(t),
                account_id,
                text,
                t,
                visibility,
                spoiler_text,
                sensitive,
                parent.id if parent else None,
                parent.account_id if parent else None,
                language,
                self._parse_mentions(text),
                media_attachments=list(media_attachments or []),
                application=application,
            )
            self.statuses[status.id] = status
            self._statuses_by_account.setdefault(account_id, []).append(status.id)
            if parent:
                self._children.setdefault(parent.id, []).append(status.id)
            if idempotency_key:
                self.idempotency[f"{account_id}:{idempotency_key}"] = [status.id, self.now()]
            for mentioned in status.mentions:
                if mentioned != account_id:
                    self._notify(mentioned, "mention", account_id, status.id, t)
            if visibility == "direct":
                self._update_mconversations(status)
            self._emit("mastodon.status", account_id, {"status_id": status.id, "visibility": visibility}, f"status {status.id}")
            return status

    def edit_status(self, status_id: str, text: str, *, spoiler_text: str | None = None, sensitive: bool | None = None) -> Status:
        with self.lock:
            status = self.live_status(status_id)
            if not text.strip():
                raise Invalid("Validation failed: Text can't be blank")
            if not status.history:
                status.history.append(self._snapshot(status, status.created_at))
            status.text = text
            if spoiler_text is not None:
                status.spoiler_text = spoiler_text
            if sensitive is not None:
                status.sensitive = sensitive
            status.edited_at = max(self.now(), status.created_at + 0.001)
            status.history.append(self._snapshot(status, status.edited_at))
            known = set(status.mentions)
            for mentioned in self._parse_mentions(text):
                if mentioned not in known:
                    status.mentions.append(mentioned)
                    if mentioned != status.account_id:
                        self._notify(mentioned, "mention", status.account_id, status.id, status.edited_at)
            # Mastodon tells only the accounts that boosted a status about its edits.
            for booster in status.reblogged_by:
                self._notify(booster, "update", status.account_id, status.id, status.edited_at)
            self._emit("mastodon.edit", status.account_id, {"status_id": status.id}, f"status {status.id} edited")
            return status

    def delete_status(self, status_id: str) -> Status:
        with self.lock:
            status = self.live_status(status_id)
            status.deleted_at = self.now()
            for notification_id in [n.id for n in self.notifications.values() if n.status_id == status_id]:
                del self.notifications[notification_id]
            for conv_id in [c.id for c in self.mconversations.values() if c.last_status_id == status_id]:
                self._refresh_mconversation(self.mconversations[conv_id])
            self._emit("mastodon.delete", status.account_id, {"status_id": status.id}, f"status {status.id} deleted")
            return status

    def favourite(self, account_id: str, status_id: str) -> Status:
        with self.lock:
            status = self.live_status(status_id)
            if account_id not in status.favourited_by:
                status.favourited_by.append(account_id)
                if status.account_id != account_id:
                    self._notify(status.account_id, "favourite", account_id, status.id, self.now())
            self._touch()
            return status

    def reblog(self, account_id: str, status_id: str) -> Status:
        with self.lock:
            status = self.live_status(status_id)
            if status.visibility in ("private", "direct"):
                raise Invalid("This action is not allowed")
            if account_id not in status.reblogged_by:
                status.reblogged_by.append(account_id)
                if status.account_id != account_id:
                    self._notify(status.account_id, "reblog", account_id, status.id, self.now())
            self._touch()
            return status

    def _snapshot(self, status: Status, at: float) -> dict:
        return {
            "text": status.text,
            "spoiler_text": status.spoiler_text,
            "sensitive": status.sensitive,
            "created_at": at,
            "media_attachments": list(status.media_attachments),
        }

    def _notify(self, account_id: str, kind: str, from_id: str, status_id: str | None, at: float) -> None:
        account = self.maccounts.get(account_id)
        if account is None or account.domain is not None:
            return  # remote accounts are notified by their own instance
        self._notif_seq += 1
        notification_id = str(10_000_000 + self._notif_seq)
        self.notifications[notification_id] = Notification(notification_id, account_id, kind, from_id, status_id, at)
        self._touch()

    def _thread_root(self, status: Status) -> str:
        seen = set()
        current = status
        while current.in_reply_to_id and current.in_reply_to_id in self.statuses and current.id not in seen:
            seen.add(current.id)
            current = self.statuses[current.in_reply_to_id]
        return current.id

    def _update_mconversations(self, status: Status) -> None:
        participants = {status.account_id, *status.mentions}
        root = self._thread_root(status)
        for owner in participants:
            account = self.maccounts.get(owner)
            if account is None or account.domain is not None:
                continue
            others = sorted(participants - {owner})
            conv = next((c for c in self.mconversations.values() if c.owner_id == owner and c.root_status_id == root), None)
            if conv is None:
                self._mconv_seq += 1
                conv = MConversation(str(400_000 + self._mconv_seq), owner, others, root, status.id, owner != status.account_id)
                self.mconversations[conv.id] = conv
            else:
                conv.participant_ids = sorted(set(conv.participant_ids) | set(others))
                conv.last_status_id = status.id
                conv.unread = owner != status.account_id
        self._touch()

    def _refresh_mconversation(self, conv: MConversation) -> None:
        candidates = [
            s
            for s in self.statuses.values()
            if s.deleted_at is None
            and s.visibility == "direct"
            and self._thread_root(s) == conv.root_status_id
            and (s.account_id == conv.owner_id or conv.owner_id in s.mentions)
        ]
        if candidates:
            conv.last_status_id = max(candidates, key=lambda s: int(s.id)).id
        else:
            del self.mconversations[conv.id]

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

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "pages": len(self.pages),
                "fb_users": len(self.users),
                "posts": sum(1 for p in self.posts.values() if p.deleted_at is None),
                "posts_deleted": sum(1 for p in self.posts.values() if p.deleted_at is not None),
                "comments": sum(1 for c in self.comments.values() if c.deleted_at is None),
                "comments_deleted": sum(1 for c in self.comments.values() if c.deleted_at is not None),
                "comments_hidden": sum(1 for c in self.comments.values() if c.is_hidden and c.deleted_at is None),
                "conversations": len(self.conversations),
                "messages": len(self.messages),
                "mastodon_accounts": len(self.maccounts),
                "statuses": sum(1 for s in self.statuses.values() if s.deleted_at is None),
                "statuses_deleted": sum(1 for s in self.statuses.values() if s.deleted_at is not None),
                "notifications": len(self.notifications),
                "mastodon_conversations": len(self.mconversations),
                "events": len(self.events),
            }


def _rng_state_to_json(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _rng_state_from_json(data: list) -> tuple:
    version, internal, gauss = data
    return (version, tuple(internal), gauss)
