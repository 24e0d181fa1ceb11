"""The Facebook Page client: polling the Page's feed, comments and replies and its Messenger
conversations, and the moderation verbs the inbox uses. The HTTP side (pacing, errors,
paging, the token) is ``graph.Graph``, shared with Instagram.

What a poll fetches, page by page, each page yielded as received (``FetchedPage.context``
says what it is):

1. ``GET /{page-id}/feed``: posts on the Page, its own and visitors', newest first.
2. ``GET /{post-id}/comments?filter=stream&order=chronological``: comments and replies in
   one flat list. Each reply carries ``parent{id}``. Hidden comments are still returned,
   with ``is_hidden: true``.
3. ``GET /{page-id}/conversations?platform=messenger``: Messenger threads, newest first.
4. ``GET /{conversation-id}/messages``: the messages of one thread, newest first.

Pagination follows ``paging.next`` until it is absent (``Graph.walk``); no cursor is stored.

**Incremental polling.** ``state`` holds no cursors, only the platform's own times:

- ``feed_newest``: the ``created_time`` of the newest post seen. A normal poll asks for
  posts created since ``feed_newest - lookback`` (30 days). The window is anchored on the
  Page's newest post, not on our clock, because comments keep arriving on older posts.
- ``posts``: ``{post_id: updated_time}``, recorded once that post's comments have been
  walked completely. A post's comments are walked again when its ``updated_time`` has
  moved, which Graph does when a post is edited or commented on (recalled from the Post
  reference, not re-verified). Posts created within ``fresh`` (3 days) of the newest post
  are walked on every poll anyway, so missing that behaviour costs nothing where most
  comments arrive.
- ``conversations``: ``{conversation_id: {"updated", "count", "newest"}}``.
  ``conversations_hw`` is the newest ``updated_time`` of a complete pass. Conversations
  have no ``since`` (Meta's conversations reference). The listing is newest first, so it
  stops at the first page that is entirely older than the high-water mark. A thread's
  messages are fetched only when its ``updated_time`` or ``message_count`` changed, and
  only back to the newest message we already have.

A unit's mark goes into ``state`` just before the unit's last page is yielded. A caller
that stores each page and then persists ``state`` therefore never skips anything after a
crash. At worst it fetches a page twice, and normalising is idempotent.

A full poll (``full=True``) ignores all of this and walks everything, so capture can mark
what is missing as gone. Edits, hides and deletions of comments on posts that are otherwise
quiet reach us through the webhooks (the primary path) or the full pass.

Rate limits, errors and tokens: see ``graph``. Nothing here imports Django or the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from insyn.lib.http import HttpSeam

from ..base import Connection, FetchedPage, Normalised, Platform, PlatformError
from . import normalise as _normalise
from .graph import FRESH, LOOKBACK, Graph, expect_success, json_or_none, mark_time, parse_mark
from .payload import str_or_none, time_or_none

PAGE_SIZE = 100  # Graph's maximum `limit` on these edges

FEED_FIELDS = (
    "id,message,created_time,updated_time,permalink_url,from,"
    "attachments{media_type,url,media,target,subattachments},is_hidden,status_type"
)
COMMENT_FIELDS = (
    "id,message,from,created_time,parent{id},is_hidden,permalink_url,attachment,comment_count"
)
CONVERSATION_FIELDS = "id,updated_time,link,participants,message_count"
MESSAGE_FIELDS = "id,message,from,to,created_time,attachments"


class FacebookPage(Platform):
    """A Facebook Page. ``connection.external_id`` is the Page id and ``token`` a Page
    access token with pages_read_engagement, pages_read_user_content,
    pages_manage_engagement and pages_messaging."""

    name = "facebook_page"
    lookback = LOOKBACK
    fresh = FRESH

    def __init__(self, connection: Connection, http: HttpSeam):
        super().__init__(connection, http)
        self.graph = Graph(connection, http)

    # --- reading ----------------------------------------------------------------------

    def verify_credentials(self) -> dict[str, Any]:
        response = self.graph.send(
            "GET", self.graph.url(self.connection.external_id), params={"fields": "id,name,link"}
        )
        data = json_or_none(response.content)
        if not isinstance(data, dict) or not data.get("id"):
            raise PlatformError(
                "Graph API: the Page answered without an id", status=response.status_code
            )
        return data

    def poll(self, state: dict[str, Any], *, full: bool = False) -> Iterator[FetchedPage]:
        yield from self._poll_feed(state, full)
        yield from self._poll_conversations(state, full)

    def _poll_feed(self, state: dict[str, Any], full: bool) -> Iterator[FetchedPage]:
        page_id = self.connection.external_id
        seen: dict[str, str] = state.setdefault("posts", {})
        anchor = parse_mark(state.get("feed_newest"))
        params: dict[str, Any] = {"fields": FEED_FIELDS, "limit": PAGE_SIZE}
        if anchor is not None and not full:
            params["since"] = int((anchor - self.lookback).timestamp())
        posts: list[tuple[str, str, datetime | None]] = []  # id, updated_time, created
        newest = anchor
        for step in self.graph.walk(f"{page_id}/feed", params, {"endpoint": "feed"}):
            for post in step.items or ():
                post_id, created = (
                    str_or_none(post.get("id")),
                    time_or_none(post.get("created_time")),
                )
                if post_id is None:
                    continue  # normalise quarantines the page; nothing to walk here
                updated = str(post.get("updated_time") or post.get("created_time") or "")
                posts.append((post_id, updated, created))
                if created is not None and (newest is None or created > newest):
                    newest = created
            if step.last and step.items is not None and newest is not None:
                state["feed_newest"] = mark_time(newest)
                window = newest - self.lookback
                keep = {p for p, _, c in posts if c is None or c >= window}
                for post_id in [p for p in seen if p not in keep]:
                    del seen[post_id]
            yield step.page
        fresh_from = newest - self.fresh if newest is not None and self.fresh else None
        for post_id, updated, created in posts:
            is_fresh = fresh_from is not None and created is not None and created >= fresh_from
            if not (full or is_fresh or seen.get(post_id) != updated):
                continue
            context = {"endpoint": "comments", "post_id": post_id}
            params = {
                "filter": "stream",
                "order": "chronological",
                "fields": COMMENT_FIELDS,
                "limit": PAGE_SIZE,
            }
            for step in self.graph.walk(f"{post_id}/comments", params, context):
                if step.last and step.items is not None:
                    seen[post_id] = updated
                yield step.page

    def _poll_conversations(self, state: dict[str, Any], full: bool) -> Iterator[FetchedPage]:
        known: dict[str, dict[str, Any]] = state.setdefault("conversations", {})
        mark = None if full else parse_mark(state.get("conversations_hw"))
        newest = parse_mark(state.get("conversations_hw"))
        pending: list[tuple[str, dict[str, Any]]] = []

        def all_older(items: list[dict], mark: datetime | None = mark) -> bool:
            times = [time_or_none(c.get("updated_time")) for c in items]
            return (
                mark is not None and bool(times) and all(t is not None and t < mark for t in times)
            )

        params = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": PAGE_SIZE}
        listing = self.graph.walk(
            f"{self.connection.external_id}/conversations",
            params,
            {"endpoint": "conversations"},
            stop=all_older if mark else None,
        )
        for step in listing:
            for conv in step.items or ():
                conv_id, updated = (
                    str_or_none(conv.get("id")),
                    time_or_none(conv.get("updated_time")),
                )
                if conv_id is None:
                    continue
                entry = {
                    "updated": mark_time(updated) if updated else None,
                    "count": conv.get("message_count"),
                }
                previous = known.get(conv_id, {})
                changed = (previous.get("updated"), previous.get("count")) != (
                    entry["updated"],
                    entry["count"],
                )
                if full or changed or entry["updated"] is None:
                    pending.append((conv_id, entry))
                if updated is not None and (newest is None or updated > newest):
                    newest = updated
            if step.last and step.items is not None and not pending:
                self._close_conversations(state, known, newest)
            yield step.page
        for index, (conv_id, entry) in enumerate(pending):
            since = None if full else parse_mark(known.get(conv_id, {}).get("newest"))
            latest = since

            def reached_known(items: list[dict], since: datetime | None = since) -> bool:
                return (
                    any(
                        (t := time_or_none(m.get("created_time"))) is not None and t < since
                        for m in items
                    )
                    if since
                    else False
                )

            context = {"endpoint": "messages", "conversation_id": conv_id}
            params = {"fields": MESSAGE_FIELDS, "limit": PAGE_SIZE}
            for step in self.graph.walk(f"{conv_id}/messages", params, context, stop=reached_known):
                for message in step.items or ():
                    created = time_or_none(message.get("created_time"))
                    if created is not None and (latest is None or created > latest):
                        latest = created
                if step.last and step.items is not None:
                    known[conv_id] = {**entry, "newest": mark_time(latest) if latest else None}
                    if index == len(pending) - 1:
                        self._close_conversations(state, known, newest)
                yield step.page

    def _close_conversations(
        self, state: dict[str, Any], known: dict[str, dict[str, Any]], newest: datetime | None
    ) -> None:
        """A complete pass over the conversations: raise the mark, forget threads long quiet
        (should one of them wake up, its messages are fetched again, which is harmless)."""
        if newest is None:
            return
        state["conversations_hw"] = mark_time(newest)
        cutoff = newest - self.lookback
        for conv_id in [
            c
            for c, e in known.items()
            if (t := parse_mark(e.get("updated"))) is not None and t < cutoff
        ]:
            del known[conv_id]

    # --- moderation and answering ---------------------------------------------------------

    def reply(self, parent_platform_id: str, text: str, *, idempotency_key: str) -> str:
        """Comment on a post or reply to a comment; returns the new comment's id.

        Graph has no idempotency key, so the request is sent exactly once: no retry on a
        timeout or a 5xx, because the first attempt may have gone through. The inbox
        records the action under ``idempotency_key`` before calling. After an unclear
        outcome (a non-permanent PlatformError) it must look for the Page's comment with
        this text under the parent (a normal poll brings it in) before it tries again.
        """
        data = self.graph.write(
            "POST", f"{parent_platform_id}/comments", data={"message": text}, idempotent=False
        )
        comment_id = data.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise PlatformError("Graph API: the comment was accepted without an id")
        return comment_id

    def set_hidden(self, platform_id: str, hidden: bool) -> None:
        """Hide or unhide a comment (idempotent, so retried like a read)."""
        expect_success(
            self.graph.write("POST", platform_id, data={"is_hidden": "true" if hidden else "false"})
        )

    def delete(self, platform_id: str) -> None:
        """Delete a comment (its replies go with it). ``NotFound`` means it is already gone,
        which after a timed-out first attempt may have been our own doing."""
        expect_success(self.graph.write("DELETE", platform_id))

    def send_message(self, recipient_id: str, text: str) -> str:
        """Answer a person in Messenger (Send API, ``messaging_type=RESPONSE``, which is
        allowed within 24 hours of their last message); returns the message id. Sent once,
        like ``reply``."""
        body = {
            "recipient": {"id": recipient_id},
            "messaging_type": "RESPONSE",
            "message": {"text": text},
        }
        data = self.graph.write(
            "POST", f"{self.connection.external_id}/messages", json_body=body, idempotent=False
        )
        message_id = data.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise PlatformError("Graph API: the message was accepted without a message_id")
        return message_id

    # --- normalising ----------------------------------------------------------------------

    @staticmethod
    def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
        return _normalise.normalise(body, context)
