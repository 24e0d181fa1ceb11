"""The Instagram Graph API client (Business and Creator accounts through Facebook Login).

Instagram's Graph API is served by the same Graph as Pages — the same host and version
prefix, error objects, usage headers and cursor pagination — so the HTTP side (pacing on
``X-App-Usage`` / ``X-Business-Use-Case-Usage``, routing errors on their ``code``, following
``paging.next`` only to the configured host, keeping the token out of every stored URL) is
``facebook.graph.Graph``, which ``FacebookPage`` uses too. This class adds what differs: the
nodes, the edges and the verbs.

What a poll fetches, page by page:

1. ``GET /{ig-user-id}/media``: the account's media, newest first (cursor pagination; the
   edge has no documented ``since``).
2. ``GET /{ig-media-id}/comments``: top-level comments, each with the first page of its
   ``replies`` expanded. Hidden comments are returned to the owner with ``hidden: true``.
3. ``GET /{ig-comment-id}/replies``: the rest of a comment's replies, only when the
   expanded first page has a ``paging.next``.

**Incremental polling.** ``state`` holds the platform's own values, no cursors:

- ``media_newest``: the ``timestamp`` of the newest media seen. A normal poll walks the
  media listing until a page is entirely older than ``media_newest - lookback`` (30 days).
- ``media``: ``{media_id: comments_count}``, recorded once that media's comments (and
  replies) have been walked completely. They are walked again when ``comments_count`` has
  moved, and always for media within ``fresh`` (3 days) of the newest, where most comments
  arrive. A deleted comment lowers the count too, but deletions are concluded only by a
  full pass (Instagram has no removal event and no tombstone).

A unit's mark goes into ``state`` just before the unit's last page is yielded, so a caller
that stores each page and then persists ``state`` never skips anything after a crash.

A full poll (``full=True``) walks every media and every comment so capture can mark what
is missing as gone; ``refetch`` re-reads one object first (a comment from a user who has
since been restricted is not listed but still exists).

**Direct messages** come only through the ``messaging`` webhook (Instagram Messaging); the
inbox cannot answer them through Insyn (``send_message`` says so).

**Rate limits**: as Facebook's (``Graph``: BUC headers; at 100 % or with a time to regain
access every call raises ``RateLimited`` with ``retry_at``); Instagram's BUC error code
80002 is a rate limit too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from insyn.lib.http import HttpSeam

from ..base import (
    Connection,
    FetchedPage,
    Normalised,
    NotFound,
    Platform,
    PlatformError,
    RateLimited,
)
from ..facebook.graph import (
    FRESH,
    LOOKBACK,
    Graph,
    expect_success,
    json_or_none,
    mark_time,
    parse_mark,
)
from ..facebook.payload import str_or_none, time_or_none
from . import normalise as _normalise

PAGE_SIZE = 50  # Instagram's edges document no maximum `limit`; 50 keeps each page moderate
REPLIES_EXPANDED = 50

MEDIA_FIELDS = (
    "id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,timestamp,"
    "username,comments_count,is_comment_enabled"
)
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},hidden,like_count,parent_id"
COMMENT_FIELDS = (
    "id,text,timestamp,username,from{id,username},hidden,like_count,"
    f"replies.limit({REPLIES_EXPANDED}){{{REPLY_FIELDS}}}"
)
NODE_COMMENT_FIELDS = f"{REPLY_FIELDS},media{{id}}"

IG_RATE_LIMIT_CODES = frozenset({80002})  # Instagram business-use-case limit
NOT_A_COMMENT_CODES = {100, 2500}  # an edge or field the node does not have


class Instagram(Platform):
    """An Instagram professional account. ``connection.external_id`` is the Instagram user
    id (``ig-user-id``) and ``token`` the linked Page's access token with instagram_basic,
    instagram_manage_comments, instagram_manage_messages and pages_read_engagement."""

    name = "instagram"
    unlisted_kinds = ("message",)  # direct messages come only by webhook; a full pass lists none
    lookback = LOOKBACK
    fresh = FRESH

    def __init__(self, connection: Connection, http: HttpSeam):
        super().__init__(connection, http)
        self.graph = Graph(connection, http, rate_limit_codes=IG_RATE_LIMIT_CODES)

    # --- reading ----------------------------------------------------------------------

    def verify_credentials(self) -> dict[str, Any]:
        response = self.graph.send(
            "GET", self.graph.url(self.connection.external_id), params={"fields": "id,username,name"}
        )
        data = json_or_none(response.content)
        if not isinstance(data, dict) or not data.get("id"):
            raise PlatformError("Graph API: the Instagram account answered without an id",
                                status=response.status_code)
        return data

    def poll(self, state: dict[str, Any], *, full: bool = False) -> Iterator[FetchedPage]:
        counts: dict[str, Any] = state.setdefault("media", {})
        anchor = parse_mark(state.get("media_newest"))
        floor = anchor - self.lookback if anchor is not None and not full else None

        def all_older(items: list[dict]) -> bool:
            times = [time_or_none(m.get("timestamp")) for m in items]
            return floor is not None and bool(times) and all(t is not None and t < floor for t in times)

        media: list[tuple[str, Any, datetime | None]] = []  # id, comments_count, timestamp
        newest = anchor
        params = {"fields": MEDIA_FIELDS, "limit": PAGE_SIZE}
        listing = self.graph.walk(f"{self.connection.external_id}/media", params, self._context({"endpoint": "media"}),
                                  stop=all_older if floor else None)
        for step in listing:
            for item in step.items or ():
                media_id, created = str_or_none(item.get("id")), time_or_none(item.get("timestamp"))
                if media_id is None:
                    continue  # normalise quarantines the page
                media.append((media_id, item.get("comments_count"), created))
                if created is not None and (newest is None or created > newest):
                    newest = created
            if step.last and step.items is not None and newest is not None:
                state["media_newest"] = mark_time(newest)
                window = newest - self.lookback
                keep = {m for m, _, c in media if c is None or c >= window}
                for media_id in [m for m in counts if m not in keep]:
                    del counts[media_id]
            yield step.page
        fresh_from = newest - self.fresh if newest is not None and self.fresh else None
        for media_id, count, created in media:
            is_fresh = fresh_from is not None and created is not None and created >= fresh_from
            if not (full or is_fresh or media_id not in counts or counts[media_id] != count):
                continue
            if floor is not None and created is not None and created < floor:
                continue  # listed on the last page but outside the window
            for page, last in _with_last(self._media_comments(media_id)):
                if last:
                    counts[media_id] = count
                yield page

    def _media_comments(self, media_id: str) -> Iterator[FetchedPage]:
        """One media's comments and, where the expanded first page of replies is not all of
        them, the rest through ``/{comment-id}/replies``."""
        more: list[str] = []
        context = self._context({"endpoint": "comments", "media_id": media_id})
        for step in self.graph.walk(f"{media_id}/comments", {"fields": COMMENT_FIELDS, "limit": PAGE_SIZE}, context):
            for comment in step.items or ():
                replies = comment.get("replies")
                paging = replies.get("paging") if isinstance(replies, dict) else None
                comment_id = str_or_none(comment.get("id"))
                if comment_id and isinstance(paging, dict) and isinstance(paging.get("next"), str):
                    more.append(comment_id)
            yield step.page
        for comment_id in more:
            context = self._context({"endpoint": "replies", "media_id": media_id, "comment_id": comment_id})
            for step in self.graph.walk(f"{comment_id}/replies", {"fields": REPLY_FIELDS, "limit": PAGE_SIZE}, context):
                yield step.page

    def refetch(self, platform_id: str) -> FetchedPage | None:
        """Re-read one comment or media object. Instagram ids do not say which, so a comment
        is asked for first; a node without comment fields is read again as media."""
        try:
            page, _ = self.graph.fetch(self.graph.url(platform_id), {"fields": NODE_COMMENT_FIELDS},
                                       self._context({"endpoint": "node"}))
        except (NotFound, RateLimited):
            raise
        except PlatformError as exc:
            if exc.code not in NOT_A_COMMENT_CODES:
                raise
            page, _ = self.graph.fetch(self.graph.url(platform_id), {"fields": MEDIA_FIELDS},
                                       self._context({"endpoint": "node"}))
        return page

    # --- moderation and answering ---------------------------------------------------------

    def reply(self, parent_platform_id: str, text: str, *, idempotency_key: str) -> str:
        """Reply to a top-level comment (``POST /{ig-comment-id}/replies``) or, when the id is
        a media object, comment on it (``POST /{ig-media-id}/comments``); returns the new
        comment's id. Instagram cannot reply to a reply or to a hidden comment.

        Sent once, like Facebook's: Graph has no idempotency key. Trying the media edge
        after the replies edge was refused cannot publish twice: a refusal created nothing.
        """
        try:
            data = self.graph.write("POST", f"{parent_platform_id}/replies", data={"message": text}, idempotent=False)
        except PlatformError as exc:
            if isinstance(exc, (NotFound, RateLimited)) or not exc.permanent or exc.code not in NOT_A_COMMENT_CODES:
                raise
            try:
                data = self.graph.write("POST", f"{parent_platform_id}/comments", data={"message": text},
                                   idempotent=False)
            except PlatformError as second:
                if second.permanent and second.code in NOT_A_COMMENT_CODES:
                    raise exc from None  # the first refusal says more (a reply to a reply)
                raise
        comment_id = data.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise PlatformError("Graph API: the comment was accepted without an id")
        return comment_id

    def set_hidden(self, platform_id: str, hidden: bool) -> None:
        """``POST /{ig-comment-id}?hide=true|false`` (idempotent, retried like a read)."""
        expect_success(self.graph.write("POST", platform_id, data={"hide": "true" if hidden else "false"}))

    def delete(self, platform_id: str) -> None:
        """``DELETE /{ig-comment-id}``; its replies go with it. ``NotFound``: already gone."""
        expect_success(self.graph.write("DELETE", platform_id))

    def send_message(self, recipient_id: str, text: str) -> str:
        raise NotImplementedError("instagram: answering direct messages is not supported through Insyn")

    # --- normalising ----------------------------------------------------------------------

    @staticmethod
    def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
        return _normalise.normalise(body, context)

    def _context(self, context: dict[str, Any]) -> dict[str, Any]:
        """A page's context, with the account's username (who the normaliser treats as the
        account itself when a comment has no ``from``)."""
        return {**context, "account_username": self.connection.handle.lstrip("@")}


def _with_last(pages: Iterator[FetchedPage]) -> Iterator[tuple[FetchedPage, bool]]:
    """Each page with whether it is the last: one page is read ahead."""
    previous: FetchedPage | None = None
    try:
        for page in pages:
            if previous is not None:
                yield previous, False
            previous = page
    except Exception:
        # The walk failed after an unreadable page: hand out what was read (capture keeps
        # it), unmarked, and let the failure through.
        if previous is not None:
            yield previous, False
        raise
    if previous is not None:
        yield previous, True
