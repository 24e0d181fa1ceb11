"""The YouTube half of the world: channels, videos, comments (threads and replies).

Kept as plain JSON-able dicts in ``world.meta["youtube"]``, so the world's own atomic save
and load carry it without a change to the World's tables. Every verb runs under the world's
lock and marks the world dirty. Nothing is removed: a deleted comment keeps its text with
``deleted`` set, a rejected one keeps ``status: rejected``, so /_sim/state can show what the
platform no longer does.

Ids follow YouTube's forms and come from their own seeded stream (``youtube:{seed}``), so
YouTube traffic changes nothing in the Facebook and Mastodon ids of the same seed:
channel ``UC`` + 22 characters, uploads playlist ``UU`` + the same 22, video 11 characters,
top-level comment ``Ugx`` + 23 characters, reply ``{parent}.{22 characters}``.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from .records import Invalid, NotFound

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
STATUSES = ("published", "heldForReview", "likelySpam", "rejected")


def _ascii(text: str) -> str:
    """A handle's letters: lower case ASCII letters and digits (å, ä → a, ö → o)."""
    text = text.lower().replace("å", "a").replace("ä", "a").replace("ö", "o").replace("é", "e")
    return "".join(c for c in text if c.isascii() and c.isalnum())


def yt_time(t: float) -> str:
    """RFC 3339 in UTC with a Z, as the Data API writes it."""
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class YouTubeStore:
    """Verbs on the simulated YouTube. ``world`` supplies the lock, the clock and tokens."""

    def __init__(self, world) -> None:
        self.world = world

    # --- state -----------------------------------------------------------------------------

    @property
    def data(self) -> dict[str, Any]:
        yt = self.world.meta.setdefault("youtube", {})
        for key in ("channels", "videos", "comments", "users"):
            yt.setdefault(key, {})
        yt.setdefault("kommun_channels", [])
        yt.setdefault("seq", 0)
        return yt

    @property
    def channels(self) -> dict[str, dict]:
        return self.data["channels"]

    @property
    def videos(self) -> dict[str, dict]:
        return self.data["videos"]

    @property
    def comments(self) -> dict[str, dict]:
        return self.data["comments"]

    @property
    def users(self) -> dict[str, dict]:
        return self.data["users"]

    def kommun_channels(self) -> list[dict]:
        return [self.channels[c] for c in self.data["kommun_channels"] if c in self.channels]

    def _next(self) -> int:
        self.data["seq"] += 1
        self.world._touch()
        return self.data["seq"]

    def _id(self, length: int, prefix: str = "") -> str:
        rng = random.Random(f"youtube:{self.world.seed}:{self._next()}")
        return prefix + "".join(rng.choice(ALPHABET) for _ in range(length))

    def new_token(self) -> str:
        """An OAuth 2 access token of Google's shape (``ya29.`` and an opaque string)."""
        return self._id(48, "ya29.")

    def create_oauth_client(self, channel_id: str) -> dict[str, str]:
        """An OAuth client with a refresh token for the channel (Google's "authorized user")."""
        with self.world.lock:
            if channel_id not in self.channels:
                raise NotFound(channel_id)
            grant = {
                "client_id": f"{self._id(12, '')}-{self._id(20, '').lower()}.apps.googleusercontent.com",
                "client_secret": self._id(28, "GOCSPX-"),
                "refresh_token": self._id(60, "1//0"),
            }
            self.data.setdefault("grants", {})[grant["refresh_token"]] = {
                **grant,
                "channel_id": channel_id,
                "revoked": False,
            }
            self.world._touch()
            return grant

    def revoke_grant(self, refresh_token: str) -> None:
        with self.world.lock:
            grant = self.data.get("grants", {}).get(refresh_token)
            if grant is None:
                raise NotFound(refresh_token)
            grant["revoked"] = True
            self.world._touch()

    def exchange(
        self, refresh_token: str, client_id: str, client_secret: str
    ) -> tuple[str, str] | None:
        """A fresh access token for a valid grant: (token, channel id), or None."""
        grant = self.data.get("grants", {}).get(refresh_token)
        if grant is None or grant["revoked"]:
            return None
        if (grant["client_id"], grant["client_secret"]) != (client_id, client_secret):
            raise Invalid("invalid_client")
        return self.new_token(), grant["channel_id"]

    def token_expired(self, token: str) -> bool:
        expiry = self.data.get("token_expiry", {}).get(token)
        return expiry is not None and self.world.now() >= expiry

    def note_expiry(self, token: str, seconds: float) -> None:
        self.data.setdefault("token_expiry", {})[token] = self.world.now() + seconds
        self.world._touch()

    # --- channels and people ------------------------------------------------------------

    def create_channel(
        self,
        title: str,
        *,
        handle: str | None = None,
        channel_id: str | None = None,
        kommun: bool = True,
    ) -> dict:
        with self.world.lock:
            cid = channel_id or self._id(22, "UC")
            if cid in self.channels:
                raise Invalid(f"channel {cid} exists")
            handle = handle or "@" + _ascii(title)[:30]
            channel = {
                "id": cid,
                "title": title,
                "handle": handle,
                "uploads": "UU" + cid[2:],
                "created": self.world.now() - 400 * 86_400,
                "banned": [],
            }
            self.channels[cid] = channel
            if kommun:
                self.data["kommun_channels"].append(cid)
            self.users[cid] = {"id": cid, "name": title, "handle": handle}
            self.world._touch()
            return channel

    def create_user(self, name: str) -> dict:
        with self.world.lock:
            cid = self._id(22, "UC")
            base = _ascii(name)
            user = {"id": cid, "name": name, "handle": f"@{base}{len(self.users)}"}
            self.users[cid] = user
            self.world._touch()
            return user

    # --- videos --------------------------------------------------------------------------

    def upload(
        self,
        channel_id: str,
        title: str,
        description: str = "",
        *,
        at: float | None = None,
        comments_disabled: bool = False,
    ) -> dict:
        with self.world.lock:
            if channel_id not in self.channels:
                raise NotFound(channel_id)
            vid = self._id(11)
            video = {
                "id": vid,
                "channel_id": channel_id,
                "title": title,
                "description": description,
                "published": at if at is not None else self.world.now(),
                "deleted": None,
                "comments_disabled": comments_disabled,
                "seq": self.data["seq"],
            }
            self.videos[vid] = video
            return video

    def videos_of(self, channel_id: str) -> list[dict]:
        """Live videos, newest first (the uploads playlist's order)."""
        live = [
            v
            for v in self.videos.values()
            if v["channel_id"] == channel_id and v["deleted"] is None
        ]
        return sorted(live, key=lambda v: (v["published"], v["seq"]), reverse=True)

    def delete_video(self, video_id: str) -> dict:
        with self.world.lock:
            video = self.live_video(video_id)
            video["deleted"] = self.world.now()
            self.world._touch()
            return video

    def live_video(self, video_id: str) -> dict:
        video = self.videos.get(video_id)
        if video is None or video["deleted"] is not None:
            raise NotFound(video_id)
        return video

    # --- comments ------------------------------------------------------------------------

    def comment(
        self,
        video_id: str,
        author_id: str,
        text: str,
        *,
        at: float | None = None,
        status: str = "published",
    ) -> dict:
        """A top-level comment (a new thread) on a video."""
        with self.world.lock:
            video = self.live_video(video_id)
            if video["comments_disabled"]:
                raise Invalid("comments are disabled")
            if not text.strip():
                raise Invalid("comment text required")
            return self._add(video, author_id, text, None, at, status)

    def reply(
        self,
        parent_id: str,
        author_id: str,
        text: str,
        *,
        at: float | None = None,
        status: str = "published",
    ) -> dict:
        """A reply; YouTube threads are one level deep, so a reply to a reply joins its thread."""
        with self.world.lock:
            parent = self.live_comment(parent_id)
            top = self.comments[parent["parent_id"]] if parent["parent_id"] else parent
            if not text.strip():
                raise Invalid("comment text required")
            return self._add(self.videos[top["video_id"]], author_id, text, top["id"], at, status)

    def _add(
        self,
        video: dict,
        author_id: str,
        text: str,
        parent_id: str | None,
        at: float | None,
        status: str,
    ) -> dict:
        if status not in STATUSES[:3]:
            raise Invalid(f"status must be one of {', '.join(STATUSES[:3])}")
        if author_id not in self.users:
            raise NotFound(author_id)
        channel = self.channels[video["channel_id"]]
        if author_id in channel["banned"]:
            status = "rejected"  # a banned author's comments are hidden at once
        cid = f"{parent_id}.{self._id(22)}" if parent_id else self._id(23, "Ugx")
        t = at if at is not None else self.world.now()
        comment = {
            "id": cid,
            "video_id": video["id"],
            "channel_id": video["channel_id"],
            "parent_id": parent_id,
            "author_id": author_id,
            "text": text,
            "published": t,
            "updated": t,
            "status": status,
            "deleted": None,
            "likes": 0,
            "seq": self.data["seq"],
            "history": [],
        }
        self.comments[cid] = comment
        return comment

    def live_comment(self, comment_id: str) -> dict:
        comment = self.comments.get(comment_id)
        if comment is None or comment["deleted"] is not None or comment["status"] == "rejected":
            raise NotFound(comment_id)
        return comment

    def edit(self, comment_id: str, text: str) -> dict:
        with self.world.lock:
            comment = self.live_comment(comment_id)
            if not text.strip():
                raise Invalid("comment text required")
            comment["history"].append([comment["text"], comment["updated"]])
            comment["text"], comment["updated"] = (
                text,
                max(self.world.now(), comment["published"] + 1),
            )
            self.world._touch()
            return comment

    def delete(self, comment_id: str) -> dict:
        """The author deletes a comment; its replies go with it."""
        with self.world.lock:
            comment = self.live_comment(comment_id)
            now = self.world.now()
            comment["deleted"] = now
            for reply in self.replies_of(comment_id, statuses=STATUSES):
                reply["deleted"] = reply["deleted"] or now
            self.world._touch()
            return comment

    def set_status(self, comment_id: str, status: str, *, ban_author: bool = False) -> dict:
        with self.world.lock:
            comment = self.live_comment(comment_id)
            if status not in ("heldForReview", "published", "rejected"):
                raise Invalid("moderationStatus must be heldForReview, published or rejected")
            if ban_author and status != "rejected":
                raise Invalid("banWithoutReject")
            comment["status"] = status
            if ban_author:
                self.channels[comment["channel_id"]]["banned"].append(comment["author_id"])
            self.world._touch()
            return comment

    def replies_of(
        self, comment_id: str, *, statuses: tuple[str, ...] = ("published",)
    ) -> list[dict]:
        """Live replies in the given states, oldest first."""
        found = [
            c
            for c in self.comments.values()
            if c["parent_id"] == comment_id and c["deleted"] is None and c["status"] in statuses
        ]
        return sorted(found, key=lambda c: (c["published"], c["seq"]))

    def threads_of(
        self, channel_id: str, *, status: str = "published", video_id: str | None = None
    ) -> list[dict]:
        """Live top-level comments of the channel's live videos in one state, newest first."""
        found = [
            c
            for c in self.comments.values()
            if c["channel_id"] == channel_id
            and c["parent_id"] is None
            and c["deleted"] is None
            and c["status"] == status
            and (video_id is None or c["video_id"] == video_id)
            and self.videos[c["video_id"]]["deleted"] is None
        ]
        return sorted(found, key=lambda c: (c["published"], c["seq"]), reverse=True)

    def counts(self) -> dict[str, int]:
        comments = self.comments.values()
        return {
            "youtube_channels": len(self.channels),
            "youtube_videos": sum(1 for v in self.videos.values() if v["deleted"] is None),
            "youtube_comments": sum(
                1 for c in comments if c["deleted"] is None and c["status"] == "published"
            ),
            "youtube_held": sum(
                1
                for c in comments
                if c["deleted"] is None and c["status"] in ("heldForReview", "likelySpam")
            ),
            "youtube_rejected": sum(1 for c in comments if c["status"] == "rejected"),
            "youtube_deleted": sum(1 for c in comments if c["deleted"] is not None),
        }
