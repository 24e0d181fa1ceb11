"""The Facebook half of the world: pages, people, the feed, comments and Messenger."""

from __future__ import annotations

import re
from typing import Any

from ..clock import fb_time
from .records import Comment, Conversation, FbUser, Message, NotFound, Page, Post


class FacebookWorld:
    """Verbs on Pages. Mixed into World, which supplies the lock, ids and _emit."""

    # --- Facebook: people and pages -----------------------------------------------------

    def create_page(
        self, name: str, page_id: str | None = None, username: str | None = None
    ) -> Page:
        with self.lock:
            page_id = page_id or self.fb_number(15)
            self._used_ids.add(page_id)
            username = username or re.sub(
                r"[^a-z0-9]", "", name.lower().replace("å", "a").replace("ä", "a").replace("ö", "o")
            )
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
            status_type = (
                "added_photos"
                if attachments
                else ("wall_post" if from_id != page_id else "mobile_status_update")
            )
            post = Post(
                post_id,
                page_id,
                from_id,
                message,
                t,
                t,
                self._next_seq(),
                list(attachments or []),
                status_type,
            )
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
                self._emit_feed(
                    post.page_id, self._post_value(post, "edited"), f"post {post_id} edited"
                )
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
            comment = Comment(
                comment_id,
                post.id,
                parent_id,
                from_id,
                message,
                t,
                self._next_seq(),
                t,
                attachment=attachment,
            )
            self.comments[comment_id] = comment
            self._comments_by_post.setdefault(post.id, []).append(comment_id)
            if parent_id:
                self._replies.setdefault(parent_id, []).append(comment_id)
            if emit:
                self._emit_feed(
                    post.page_id, self._comment_value(comment, "add"), f"comment {comment_id}"
                )
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
                self._emit_feed(
                    page_id, self._comment_value(comment, "edited"), f"comment {comment_id} edited"
                )
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
                    self._emit_feed(
                        page_id, value, f"comment {comment_id} {'hidden' if hidden else 'unhidden'}"
                    )
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
            # A Page's own text update is a "status"; a visitor's post is a "post".
            "item": "photo"
            if post.attachments
            else ("status" if post.from_id == post.page_id else "post"),
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

    def conversation_for(
        self, page_id: str, user_id: str, *, at: float | None = None
    ) -> Conversation:
        with self.lock:
            for conv in self.conversations.values():
                if conv.page_id == page_id and conv.user_id == user_id:
                    return conv
            conv = Conversation(
                f"t_{self.fb_number(16)}",
                page_id,
                user_id,
                self.now() if at is None else at,
                self._next_seq(),
            )
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
            message = Message(
                mid, conv.id, sender, recipient, text, t, self._next_seq(), list(attachments or [])
            )
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
                        {
                            "type": a.get("type", "image"),
                            "payload": {"url": a.get("image_data", {}).get("url", "")},
                        }
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
