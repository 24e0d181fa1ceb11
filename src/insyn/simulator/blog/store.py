"""A simulated WordPress blog: users, posts and comments, kept as plain records.

Invariants: one re-entrant lock guards everything; nothing is ever removed from the tables
(a force delete sets ``deleted``; WordPress then answers 404), so /_sim/state can show what
the blog no longer does. Post and comment ids count up separately, as WordPress's
``wp_posts`` and ``wp_comments`` tables do.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from ..clock import Clock

# comment_approved as the REST API writes it (prepare_status_response)
COMMENT_STATUSES = ("approved", "hold", "spam", "trash")
POST_STATUSES = ("publish", "draft", "pending", "private", "trash")


class BlogNotFound(Exception):
    pass


@dataclass
class WpUser:
    id: int
    username: str
    name: str
    slug: str


@dataclass
class WpPost:
    id: int
    author: int
    title: str
    content: str  # as stored: paragraphs separated by blank lines; rendered by wpautop()
    date: float
    modified: float
    slug: str
    status: str = "publish"
    comment_status: str = "open"
    deleted: bool = False


@dataclass
class WpComment:
    id: int
    post: int
    parent: int
    author: int  # 0 for a visitor
    author_name: str
    author_email: str
    content: str
    date: float
    status: str = "approved"
    deleted: bool = False
    history: list[dict] = field(default_factory=list)
    kind: str = ""  # the scenario's label (question, threat, …); not on the wire


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "inlagg"


def wp_gmt(t: float) -> str:
    """``date_gmt`` / ``modified_gmt``: ISO 8601 to the second, no offset."""
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%S")


def wp_local(t: float) -> str:
    """``date``: the site's time zone (Europe/Stockholm; +01:00 is close enough here)."""
    return datetime.fromtimestamp(int(t) + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class BlogStore:
    """One blog. Use the verbs; read the dicts under ``lock``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.title = ""
        self.description = ""
        self.users: dict[int, WpUser] = {}
        self.posts: dict[int, WpPost] = {}
        self.comments: dict[int, WpComment] = {}
        self.next_post_id = 1
        self.next_comment_id = 1
        self.tick_count = 0
        self.dirty = False

    def now(self) -> float:
        return self.clock.now()

    # --- verbs ----------------------------------------------------------------------

    def create_user(self, username: str, name: str) -> WpUser:
        with self.lock:
            user = WpUser(len(self.users) + 1, username, name, slugify(username))
            self.users[user.id] = user
            self.dirty = True
            return user

    def create_post(
        self, author: int, title: str, content: str, *, at: float | None = None
    ) -> WpPost:
        with self.lock:
            t = self.now() if at is None else at
            # Post ids are shared with pages, revisions and attachments: they skip numbers.
            # wp_unique_post_slug(): a taken slug gets -2, -3, …
            base = slug = slugify(title)
            taken = {p.slug for p in self.posts.values()}
            n = 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            post = WpPost(self.next_post_id, author, title, content, t, t, slug)
            self.next_post_id += 3
            self.posts[post.id] = post
            self.dirty = True
            return post

    def edit_post(self, post_id: int, content: str) -> WpPost:
        with self.lock:
            post = self.live_post(post_id)
            post.content, post.modified = content, self.now()
            self.dirty = True
            return post

    def set_post_status(self, post_id: int, status: str) -> WpPost:
        with self.lock:
            post = self.live_post(post_id, any_status=True)
            post.status, post.modified = status, self.now()
            self.dirty = True
            return post

    def add_comment(
        self,
        post_id: int,
        content: str,
        *,
        author: int = 0,
        author_name: str = "",
        author_email: str = "",
        parent: int = 0,
        status: str = "approved",
        at: float | None = None,
        kind: str = "",
    ) -> WpComment:
        with self.lock:
            post = self.live_post(post_id)
            if parent:
                parent_comment = self.live_comment(parent)
                if parent_comment.post != post.id:
                    raise ValueError("the parent comment belongs to another post")
            if author:
                user = self.users[author]
                author_name, author_email = user.name, f"{user.username}@example.se"
            t = self.now() if at is None else at
            comment = WpComment(
                self.next_comment_id,
                post.id,
                parent,
                author,
                author_name,
                author_email,
                content,
                t,
                status,
                kind=kind,
            )
            self.next_comment_id += 1
            self.comments[comment.id] = comment
            self.dirty = True
            return comment

    def edit_comment(self, comment_id: int, content: str) -> WpComment:
        with self.lock:
            comment = self.live_comment(comment_id)
            comment.history.append({"content": comment.content, "at": self.now()})
            comment.content = content
            self.dirty = True
            return comment

    def set_comment_status(self, comment_id: int, status: str) -> WpComment:
        if status not in COMMENT_STATUSES:
            raise ValueError(f"status must be one of {', '.join(COMMENT_STATUSES)}")
        with self.lock:
            comment = self.live_comment(comment_id)
            comment.status = status
            self.dirty = True
            return comment

    def delete_comment(self, comment_id: int) -> WpComment:
        """Deleted for good (``force=true``, or emptied from the trash)."""
        with self.lock:
            comment = self.live_comment(comment_id)
            comment.deleted = True
            self.dirty = True
            return comment

    # --- reads ----------------------------------------------------------------------

    def live_post(self, post_id: int, *, any_status: bool = True) -> WpPost:
        post = self.posts.get(post_id)
        if post is None or post.deleted:
            raise BlogNotFound(f"post {post_id}")
        return post

    def live_comment(self, comment_id: int) -> WpComment:
        comment = self.comments.get(comment_id)
        if comment is None or comment.deleted:
            raise BlogNotFound(f"comment {comment_id}")
        return comment

    def counts(self) -> dict[str, int]:
        with self.lock:
            out = {
                "posts": sum(
                    1 for p in self.posts.values() if not p.deleted and p.status == "publish"
                )
            }
            for status in COMMENT_STATUSES:
                out[f"comments_{status}"] = sum(
                    1 for c in self.comments.values() if not c.deleted and c.status == status
                )
            out["comments_deleted"] = sum(1 for c in self.comments.values() if c.deleted)
            return out

    # --- persistence ------------------------------------------------------------------

    def to_json(self) -> dict:
        with self.lock:
            return {
                "title": self.title,
                "description": self.description,
                "next_post_id": self.next_post_id,
                "next_comment_id": self.next_comment_id,
                "tick_count": self.tick_count,
                "users": [asdict(u) for u in self.users.values()],
                "posts": [asdict(p) for p in self.posts.values()],
                "comments": [asdict(c) for c in self.comments.values()],
            }

    @classmethod
    def from_json(cls, data: dict, clock: Clock | None = None) -> BlogStore:
        store = cls(clock)
        store.title, store.description = data.get("title", ""), data.get("description", "")
        store.next_post_id, store.next_comment_id = (
            data.get("next_post_id", 1),
            data.get("next_comment_id", 1),
        )
        store.tick_count = data.get("tick_count", 0)
        store.users = {u["id"]: WpUser(**u) for u in data.get("users", [])}
        store.posts = {p["id"]: WpPost(**p) for p in data.get("posts", [])}
        store.comments = {c["id"]: WpComment(**c) for c in data.get("comments", [])}
        return store

    def save(self, path: str) -> None:
        with self.lock:
            data = self.to_json()
            self.dirty = False
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".blog-", suffix=".json", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str, clock: Clock | None = None) -> BlogStore:
        with open(path, encoding="utf-8") as handle:
            return cls.from_json(json.load(handle), clock)
