"""The Instagram half of the world: professional accounts linked to Pages, media, comments
and replies, and Instagram direct messages.

Written from Meta's Instagram Platform documentation (IG User, IG Media, IG Comment and
their edges; "Comment Moderation"; Instagram Webhooks and Messaging), not from Insyn's
client. What Instagram does that shapes this store:

- a professional account is reached with the linked Page's token;
- only top-level comments take replies; a reply to a reply is refused;
- a deleted comment takes its replies with it; a deleted or hidden comment sends **no**
  webhook (the ``comments`` field announces new comments only);
- users cannot edit comments; the owner can edit a caption;
- a direct message that its sender unsends is announced as a ``messaging`` event whose
  ``message`` is ``{"mid": …, "is_deleted": true}``.

Nothing is removed: deletion sets ``deleted_at``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from .records import Invalid, NotFound

MEDIA_TYPES = ("IMAGE", "VIDEO", "CAROUSEL_ALBUM")


@dataclass
class IgAccount:
    """An Instagram user: the kommun's professional account (``page_id`` set) or a resident."""

    id: str
    username: str
    name: str = ""
    page_id: str = ""
    followers_count: int = 0
    subscribed_fields: list[str] = field(default_factory=lambda: ["comments", "messages"])


@dataclass
class IgMedia:
    id: str
    owner_id: str
    caption: str
    media_type: str
    timestamp: float
    seq: int
    shortcode: str
    media_product_type: str = "FEED"
    comment_enabled: bool = True
    deleted_at: float | None = None
    history: list[dict] = field(default_factory=list)  # earlier captions, for /_sim/state


@dataclass
class IgComment:
    id: str
    media_id: str
    parent_id: str | None
    from_id: str
    text: str
    timestamp: float
    seq: int
    hidden: bool = False
    like_count: int = 0
    deleted_at: float | None = None


@dataclass
class IgMessage:
    id: str
    owner_id: str  # the professional account
    person_id: str
    from_business: bool
    text: str
    timestamp: float
    seq: int
    deleted_at: float | None = None


class InstagramWorld:
    """Verbs on Instagram. Mixed into World, which supplies the lock, ids and _emit."""

    # --- ids -----------------------------------------------------------------------------

    def ig_number(self, prefix: str) -> str:
        """Instagram ids are 17–18 digit numbers (users 1784…, media and comments 17…/18…)."""
        while True:
            value = prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(17 - len(prefix)))
            if value not in self._used_ids:
                self._used_ids.add(value)
                return value

    def _ig_mid(self, owner_id: str) -> str:
        raw = f"ig_message_item:1:IGMessageThread:{owner_id}:{self.ig_number('3')}"
        return base64.b64encode(raw.encode()).decode().rstrip("=")

    # --- accounts ----------------------------------------------------------------------------

    def create_ig_account(self, page_id: str, username: str, name: str = "") -> IgAccount:
        """The professional account linked to a Page (reached with that Page's token)."""
        with self.lock:
            if page_id not in self.pages:
                raise NotFound(page_id)
            account = IgAccount(self.ig_number("1784"), username, name or self.pages[page_id].name, page_id,
                                followers_count=self.rng.randint(800, 12_000))
            self.ig_accounts[account.id] = account
            self._touch()
            return account

    def create_ig_person(self, username: str, name: str = "") -> IgAccount:
        with self.lock:
            person = IgAccount(self.ig_number("1784"), username, name)
            self.ig_accounts[person.id] = person
            self._touch()
            return person

    def ig_business_accounts(self) -> list[IgAccount]:
        return sorted((a for a in self.ig_accounts.values() if a.page_id), key=lambda a: a.id)

    def ig_account_of_page(self, page_id: str) -> IgAccount | None:
        return next((a for a in self.ig_business_accounts() if a.page_id == page_id), None)

    # --- media -------------------------------------------------------------------------------

    def live_media(self, media_id: str) -> IgMedia:
        media = self.ig_media.get(media_id)
        if media is None or media.deleted_at is not None:
            raise NotFound(media_id)
        return media

    def live_ig_comment(self, comment_id: str) -> IgComment:
        comment = self.ig_comments.get(comment_id)
        if comment is None or comment.deleted_at is not None:
            raise NotFound(comment_id)
        self.live_media(comment.media_id)
        if comment.parent_id is not None:
            self.live_ig_comment(comment.parent_id)  # replies go with their comment
        return comment

    def create_media(self, owner_id: str, caption: str, *, media_type: str = "IMAGE",
                     media_product_type: str = "FEED", at: float | None = None) -> IgMedia:
        with self.lock:
            owner = self.ig_accounts.get(owner_id)
            if owner is None or not owner.page_id:
                raise NotFound(owner_id)
            if media_type not in MEDIA_TYPES:
                raise Invalid(f"media_type must be one of {', '.join(MEDIA_TYPES)}")
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
            shortcode = "".join(self.rng.choice(alphabet) for _ in range(11))
            t = self.now() if at is None else at
            media = IgMedia(self.ig_number("179"), owner_id, caption, media_type, t, self._next_seq(), shortcode,
                            media_product_type)
            self.ig_media[media.id] = media
            self._touch()
            return media

    def edit_caption(self, media_id: str, caption: str) -> IgMedia:
        with self.lock:
            media = self.live_media(media_id)
            if not media.history:
                media.history.append({"time": media.timestamp, "caption": media.caption})
            media.caption = caption
            media.history.append({"time": self.now(), "caption": caption})
            self._touch()
            return media

    def delete_media(self, media_id: str) -> IgMedia:
        with self.lock:
            media = self.live_media(media_id)
            media.deleted_at = self.now()
            self._touch()
            return media

    def set_comment_enabled(self, media_id: str, enabled: bool) -> IgMedia:
        with self.lock:
            media = self.live_media(media_id)
            media.comment_enabled = enabled
            self._touch()
            return media

    def media_of(self, owner_id: str) -> list[IgMedia]:
        return [m for m in self.ig_media.values() if m.owner_id == owner_id]

    # --- comments ---------------------------------------------------------------------------

    def add_ig_comment(self, target_id: str, from_id: str, text: str, *, at: float | None = None,
                       emit: bool = True) -> IgComment:
        """Comment on a media object, or reply to a top-level comment."""
        with self.lock:
            if target_id in self.ig_media:
                media = self.live_media(target_id)
                parent_id = None
            else:
                parent = self.live_ig_comment(target_id)
                if parent.parent_id is not None:
                    raise Invalid("replies can only be made to top-level comments")
                media, parent_id = self.live_media(parent.media_id), parent.id
            if not media.comment_enabled:
                raise Invalid("comments are turned off on this media")
            if from_id not in self.ig_accounts:
                raise NotFound(from_id)
            t = self.now() if at is None else at
            comment = IgComment(self.ig_number("180"), media.id, parent_id, from_id, text, t, self._next_seq())
            self.ig_comments[comment.id] = comment
            self._ig_comments_by_media.setdefault(media.id, []).append(comment.id)
            if parent_id:
                self._ig_replies.setdefault(parent_id, []).append(comment.id)
            owner = self.ig_accounts[media.owner_id]
            if emit and "comments" in owner.subscribed_fields:
                self._emit("ig.comments", owner.id, self._ig_comment_value(comment), f"ig comment {comment.id}")
            self._touch()
            return comment

    def set_ig_comment_hidden(self, comment_id: str, hidden: bool) -> IgComment:
        with self.lock:
            comment = self.live_ig_comment(comment_id)
            comment.hidden = hidden
            self._touch()
            return comment

    def delete_ig_comment(self, comment_id: str) -> IgComment:
        """The author or the owner deletes it; Instagram announces nothing."""
        with self.lock:
            comment = self.live_ig_comment(comment_id)
            comment.deleted_at = self.now()
            self._touch()
            return comment

    def ig_comments_of(self, media_id: str) -> list[IgComment]:
        return [self.ig_comments[c] for c in self._ig_comments_by_media.get(media_id, [])]

    def ig_replies_of(self, comment_id: str) -> list[IgComment]:
        return [self.ig_comments[c] for c in self._ig_replies.get(comment_id, [])]

    def _ig_comment_value(self, comment: IgComment) -> dict[str, Any]:
        """The ``comments`` webhook change value (Meta, Instagram Webhooks reference)."""
        author = self.ig_accounts[comment.from_id]
        media = self.ig_media[comment.media_id]
        value: dict[str, Any] = {
            "from": {"id": author.id, "username": author.username},
            "media": {"id": media.id, "media_product_type": media.media_product_type},
            "id": comment.id,
        }
        if comment.parent_id:
            value["parent_id"] = comment.parent_id
        value["text"] = comment.text
        return value

    # --- direct messages -------------------------------------------------------------------

    def send_ig_message(self, owner_id: str, person_id: str, text: str, *, from_business: bool,
                        at: float | None = None, emit: bool = True) -> IgMessage:
        with self.lock:
            owner = self.ig_accounts.get(owner_id)
            if owner is None or not owner.page_id:
                raise NotFound(owner_id)
            if person_id not in self.ig_accounts:
                raise NotFound(person_id)
            t = self.now() if at is None else at
            message = IgMessage(self._ig_mid(owner_id), owner_id, person_id, from_business, text, t,
                                self._next_seq())
            self.ig_messages[message.id] = message
            if emit and "messages" in owner.subscribed_fields:
                body: dict[str, Any] = {"mid": message.id, "text": text}
                if from_business:
                    body["is_echo"] = True
                self._emit_ig_messaging(message, body, t)
            self._touch()
            return message

    def unsend_ig_message(self, mid: str, *, emit: bool = True) -> IgMessage:
        """The sender unsends a message: Instagram tells the app with ``is_deleted``."""
        with self.lock:
            message = self.ig_messages.get(mid)
            if message is None or message.deleted_at is not None:
                raise NotFound(mid)
            message.deleted_at = self.now()
            if emit and "messages" in self.ig_accounts[message.owner_id].subscribed_fields:
                self._emit_ig_messaging(message, {"mid": mid, "is_deleted": True}, self.now())
            self._touch()
            return message

    def _emit_ig_messaging(self, message: IgMessage, body: dict, t: float) -> None:
        sender, recipient = ((message.owner_id, message.person_id) if message.from_business
                             else (message.person_id, message.owner_id))
        event = {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": int(t * 1000),
                 "message": body}
        self._emit("ig.messaging", message.owner_id, event, f"ig message {message.id}")

    # --- indexes ---------------------------------------------------------------------------

    def _reindex_instagram(self) -> None:
        self._ig_comments_by_media: dict[str, list[str]] = {}
        self._ig_replies: dict[str, list[str]] = {}
        for comment in sorted(self.ig_comments.values(), key=lambda c: c.seq):
            self._ig_comments_by_media.setdefault(comment.media_id, []).append(comment.id)
            if comment.parent_id:
                self._ig_replies.setdefault(comment.parent_id, []).append(comment.id)

    def instagram_counts(self) -> dict[str, int]:
        return {
            "ig_accounts": sum(1 for a in self.ig_accounts.values() if a.page_id),
            "ig_media": sum(1 for m in self.ig_media.values() if m.deleted_at is None),
            "ig_comments": sum(1 for c in self.ig_comments.values() if c.deleted_at is None),
            "ig_comments_hidden": sum(1 for c in self.ig_comments.values() if c.hidden and c.deleted_at is None),
            "ig_messages": len(self.ig_messages),
        }
