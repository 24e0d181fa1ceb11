"""Facebook Pages through the Graph API: the Page's feed, comments and replies, Messenger
conversations, the Page's webhooks, and the moderation verbs the inbox uses.

What a poll fetches, page by page, each page yielded as received (``FetchedPage.context``
says what it is):

1. ``GET /{page-id}/feed``: posts on the Page, its own and visitors', newest first.
2. ``GET /{post-id}/comments?filter=stream&order=chronological``: comments and replies in
   one flat list. Each reply carries ``parent{id}``. Hidden comments are still returned,
   with ``is_hidden: true``.
3. ``GET /{page-id}/conversations?platform=messenger``: Messenger threads, newest first.
4. ``GET /{conversation-id}/messages``: the messages of one thread, newest first.

Pagination follows ``paging.next`` until it is absent. Meta's "Paginated Results" page says
that an absent ``next`` is the only end-of-list signal, that a page can be empty and still
have a ``next``, and that apps should not store cursors.

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

**Rate limits** (Meta, "Rate Limits"). Page tokens fall under Business Use Case limits.
``X-App-Usage``, ``X-Page-Usage`` and ``X-Business-Use-Case-Usage`` report percentages of
the limit (``call_count``, ``total_time``, ``total_cputime``). The BUC header also gives
``estimated_time_to_regain_access`` in minutes. The client keeps the highest figure it has
seen and acts on it:

- from 80 % it pauses before each request, linearly up to 15 s;
- from 95 % a poll stops with ``RateLimited``, which leaves the rest of the budget to the
  inbox's replies and moderation;
- at 100 %, or when time to regain access is given, every call raises ``RateLimited``
  with ``retry_at``. No request is made.

Errors are routed on the Graph error ``code``, not on the HTTP status (see ``_error``).

**Tokens** travel as the ``access_token`` parameter, the way Meta's Graph API reference
documents every call, so any server that implements the documented API accepts them. No
URL we store or log ever holds the token: ``FetchedPage.url``, error messages and the
seam's messages are built from the URL without it, and Insyn's logging keeps httpx (which
logs full request URLs at INFO) at WARNING. ``paging.next`` links are followed only to the
configured host, with their own ``access_token`` replaced by ours.

Pure Python and httpx. Nothing here imports Django or the simulator.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from insyn.lib.http import HttpSeam, TransportFailure

from .base import (
    Connection,
    Direction,
    FetchedPage,
    MalformedPayload,
    MediaRef,
    Normalised,
    NormalizedItem,
    NotFound,
    Platform,
    PlatformError,
    RateLimited,
    RecordType,
    State,
    StateSignal,
    TokenInvalid,
)

GRAPH_VERSION = "v23.0"
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

LOOKBACK = timedelta(days=30)
FRESH = timedelta(days=3)

SLOWDOWN_FROM = 80.0  # percent of a rate limit: start pausing between requests
POLL_YIELDS_AT = 95.0  # percent: polling stops, the rest is for the inbox's actions
MAX_PAUSE = 15.0  # seconds, the pause at 100 %
RATE_LIMIT_WAIT = timedelta(minutes=5)  # when throttled and Graph does not say for how long
POLL_YIELD_WAIT = timedelta(minutes=10)

TOKEN_CODES = {102, 104, 190}  # 190 with any subcode (458, 459, 460, 463, 464, 467)
RATE_LIMIT_CODES = {4, 17, 32, 341, 613, 80001}
TRANSIENT_CODES = {1, 2, 368}  # unknown, service, temporarily blocked: try again later

# Feed webhook `item` values that are posts. Reactions and likes are not records.
POST_ITEMS = {"status", "post", "photo", "video", "share", "link", "note", "event", "album"}
CONTENT_VERBS = {"add", "edited", "edit", "update"}
REMOVE_VERBS = {"remove", "delete"}


class FacebookPage(Platform):
    """A Facebook Page. ``connection.external_id`` is the Page id and ``token`` a Page
    access token with pages_read_engagement, pages_read_user_content,
    pages_manage_engagement and pages_messaging."""

    name = "facebook_page"
    lookback = LOOKBACK
    fresh = FRESH

    def __init__(self, connection: Connection, http: HttpSeam):
        super().__init__(connection, http)
        # The highest usage percentage the last answer reported, and when.
        self._usage = 0.0
        self._usage_at: datetime | None = None
        self._blocked_until: datetime | None = None

    # --- reading ----------------------------------------------------------------------

    def verify_credentials(self) -> dict[str, Any]:
        response = self._send(
            "GET", self._url(self.connection.external_id), params={"fields": "id,name,link"}
        )
        data = _json_or_none(response.content)
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
        anchor = _parse_mark(state.get("feed_newest"))
        params: dict[str, Any] = {"fields": FEED_FIELDS, "limit": PAGE_SIZE}
        if anchor is not None and not full:
            params["since"] = int((anchor - self.lookback).timestamp())
        posts: list[tuple[str, str, datetime | None]] = []  # id, updated_time, created
        newest = anchor
        for step in self._walk(f"{page_id}/feed", params, {"endpoint": "feed"}):
            for post in step.items or ():
                post_id, created = (
                    _str_or_none(post.get("id")),
                    _time_or_none(post.get("created_time")),
                )
                if post_id is None:
                    continue  # normalise quarantines the page; nothing to walk here
                updated = str(post.get("updated_time") or post.get("created_time") or "")
                posts.append((post_id, updated, created))
                if created is not None and (newest is None or created > newest):
                    newest = created
            if step.last and step.items is not None and newest is not None:
                state["feed_newest"] = _mark(newest)
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
            for step in self._walk(f"{post_id}/comments", params, context):
                if step.last and step.items is not None:
                    seen[post_id] = updated
                yield step.page

    def _poll_conversations(self, state: dict[str, Any], full: bool) -> Iterator[FetchedPage]:
        known: dict[str, dict[str, Any]] = state.setdefault("conversations", {})
        mark = None if full else _parse_mark(state.get("conversations_hw"))
        newest = _parse_mark(state.get("conversations_hw"))
        pending: list[tuple[str, dict[str, Any]]] = []

        def all_older(items: list[dict], mark: datetime | None = mark) -> bool:
            times = [_time_or_none(c.get("updated_time")) for c in items]
            return (
                mark is not None and bool(times) and all(t is not None and t < mark for t in times)
            )

        params = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": PAGE_SIZE}
        listing = self._walk(
            f"{self.connection.external_id}/conversations",
            params,
            {"endpoint": "conversations"},
            stop=all_older if mark else None,
        )
        for step in listing:
            for conv in step.items or ():
                conv_id, updated = (
                    _str_or_none(conv.get("id")),
                    _time_or_none(conv.get("updated_time")),
                )
                if conv_id is None:
                    continue
                entry = {
                    "updated": _mark(updated) if updated else None,
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
            since = None if full else _parse_mark(known.get(conv_id, {}).get("newest"))
            latest = since

            def reached_known(items: list[dict], since: datetime | None = since) -> bool:
                return (
                    any(
                        (t := _time_or_none(m.get("created_time"))) is not None and t < since
                        for m in items
                    )
                    if since
                    else False
                )

            context = {"endpoint": "messages", "conversation_id": conv_id}
            params = {"fields": MESSAGE_FIELDS, "limit": PAGE_SIZE}
            for step in self._walk(f"{conv_id}/messages", params, context, stop=reached_known):
                for message in step.items or ():
                    created = _time_or_none(message.get("created_time"))
                    if created is not None and (latest is None or created > latest):
                        latest = created
                if step.last and step.items is not None:
                    known[conv_id] = {**entry, "newest": _mark(latest) if latest else None}
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
        state["conversations_hw"] = _mark(newest)
        cutoff = newest - self.lookback
        for conv_id in [
            c
            for c, e in known.items()
            if (t := _parse_mark(e.get("updated"))) is not None and t < cutoff
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
        data = self._write(
            "POST", f"{parent_platform_id}/comments", data={"message": text}, idempotent=False
        )
        comment_id = data.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise PlatformError("Graph API: the comment was accepted without an id")
        return comment_id

    def set_hidden(self, platform_id: str, hidden: bool) -> None:
        """Hide or unhide a comment (idempotent, so retried like a read)."""
        self._expect_success(
            self._write("POST", platform_id, data={"is_hidden": "true" if hidden else "false"})
        )

    def delete(self, platform_id: str) -> None:
        """Delete a comment (its replies go with it). ``NotFound`` means it is already gone,
        which after a timed-out first attempt may have been our own doing."""
        self._expect_success(self._write("DELETE", platform_id))

    def send_message(self, recipient_id: str, text: str) -> str:
        """Answer a person in Messenger (Send API, ``messaging_type=RESPONSE``, which is
        allowed within 24 hours of their last message); returns the message id. Sent once,
        like ``reply``."""
        body = {
            "recipient": {"id": recipient_id},
            "messaging_type": "RESPONSE",
            "message": {"text": text},
        }
        data = self._write(
            "POST", f"{self.connection.external_id}/messages", json_body=body, idempotent=False
        )
        message_id = data.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise PlatformError("Graph API: the message was accepted without a message_id")
        return message_id

    # --- normalising ----------------------------------------------------------------------

    @staticmethod
    def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
        try:
            data = _load(body)
            if not isinstance(context, dict):
                raise MalformedPayload("context is not a mapping")
            if context.get("source") == "webhook":
                account = context.get("account_external_id") or context.get("page_id")
                return _normalise_webhook(data, _str_or_none(account))
            endpoint = context.get("endpoint")
            page_id = _str_or_none(context.get("account_external_id"))
            if endpoint not in ("feed", "comments", "conversations", "messages"):
                raise MalformedPayload(f"unknown Graph endpoint in context: {endpoint!r}")
            if page_id is None:
                raise MalformedPayload("context has no account_external_id (the Page id)")
            items = _data(data, endpoint)
            if endpoint == "feed":
                return Normalised(items=[_post(p, page_id) for p in items])
            if endpoint == "comments":
                post_id = _str_or_none(context.get("post_id"))
                if post_id is None:
                    raise MalformedPayload("a comments page needs post_id in its context")
                return Normalised(items=[_comment(c, page_id, post_id) for c in items])
            if endpoint == "messages":
                conversation_id = _str_or_none(context.get("conversation_id"))
                if conversation_id is None:
                    raise MalformedPayload("a messages page needs conversation_id in its context")
                return Normalised(items=[_message(m, page_id, conversation_id) for m in items])
            for conv in items:  # conversations hold no records of their own
                _need_id(conv, "id", "conversation")
            return Normalised()
        except MalformedPayload:
            raise
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            IndexError,
            OverflowError,
            RecursionError,
        ) as exc:  # a safety net: the readers above check explicitly
            raise MalformedPayload(
                f"unreadable Graph payload ({type(exc).__name__}: {exc})"
            ) from exc

    # --- the HTTP side --------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.connection.base_url.rstrip('/')}/{GRAPH_VERSION}/{path.lstrip('/')}"

    def _walk(
        self,
        path: str,
        params: dict[str, Any],
        context: dict[str, Any],
        *,
        stop: Callable[[list[dict]], bool] | None = None,
    ) -> Iterator[_Step]:
        """Cursor pagination over one edge. ``last`` is known before the step is handed out,
        so the caller can record its mark before it yields the last page. A page that is not
        a readable Graph list is still handed out (capture keeps it and quarantines it),
        then the walk fails with a retryable PlatformError so the marks stay where they were."""
        url, query = self._url(path), dict(params)
        while True:
            page, data = self._fetch(url, query, context)
            items = _list_or_none(data)
            if items is None:
                yield _Step(page, None, True)
                raise PlatformError(
                    f"Graph API: unreadable page from {page.url}", status=page.status
                )
            try:
                follow = self._next(data, url, query)
            except PlatformError:
                yield _Step(page, None, True)  # keep what we have; mark nothing
                raise
            last = follow is None or (stop is not None and stop(items))
            yield _Step(page, items, last)
            if last or follow is None:
                return
            url, query = follow

    def _next(self, data: dict, url: str, query: dict[str, Any]) -> tuple[str, dict] | None:
        paging = data.get("paging")
        if not isinstance(paging, dict) or not isinstance(paging.get("next"), str):
            return None
        try:
            link = httpx.URL(paging["next"])
            base = httpx.URL(self.connection.base_url)
        except (httpx.InvalidURL, TypeError):
            link = base = None
        if (
            link is not None
            and base is not None
            and (link.scheme, link.host, link.port) == (base.scheme, base.host, base.port)
        ):
            params = [(k, v) for k, v in link.params.multi_items() if k != "access_token"]
            return str(link.copy_with(query=None)), dict(params)
        # Never send the token to another host: rebuild the request from the cursor instead.
        cursors = paging.get("cursors")
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if not isinstance(after, str) or not after:
            raise PlatformError(
                f"Graph API: paging.next points elsewhere and has no cursor ({url})"
            )
        return url, {**query, "after": after}

    def _fetch(
        self, url: str, params: dict[str, Any], context: dict[str, Any]
    ) -> tuple[FetchedPage, Any]:
        response = self._send("GET", url, params=params, polling=True)
        page = FetchedPage(
            url=str(httpx.URL(url, params=params)),
            status=response.status_code,
            headers=dict(response.headers.items()),
            body=response.content,
            context=dict(context),
        )
        return page, _json_or_none(response.content)

    def _write(
        self,
        method: str,
        path: str,
        *,
        data: dict | None = None,
        json_body: dict | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        response = self._send(
            method, self._url(path), data=data, json_body=json_body, idempotent=idempotent
        )
        body = _json_or_none(response.content)
        if not isinstance(body, dict):
            raise PlatformError(
                f"Graph API: unreadable answer to {method} /{path}", status=response.status_code
            )
        return body

    @staticmethod
    def _expect_success(body: dict[str, Any]) -> None:
        if body.get("success") is not True:
            raise PlatformError(f"Graph API did not confirm the change: {body!r}")

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        data: dict | None = None,
        json_body: dict | None = None,
        idempotent: bool = True,
        polling: bool = False,
    ) -> httpx.Response:
        self._pace(polling)
        headers: dict[str, str] = {}
        # A write Graph cannot deduplicate goes out once: a retry might post it twice.
        seam = self.http if idempotent else dataclasses.replace(self.http, max_attempts=1)
        try:
            clean = str(httpx.URL(url, params=params or {}))  # stored and logged: no token
            response = seam.request(
                method,
                url,
                retry_after=self._retry_after if idempotent else _never_retry,
                params={**(params or {}), "access_token": self.connection.token},
                headers=headers,
                data=data,
                json=json_body,
            )
        except TransportFailure as exc:
            if exc.response is not None:
                self._note_usage(exc.response.headers)
                raise self._error(exc.response, method, clean) from None
            raise PlatformError(self._scrub(f"{method} {clean}: {exc}")) from None
        except httpx.InvalidURL as exc:
            error = PlatformError(
                self._scrub(f"invalid Graph URL ({self.connection.base_url}): {exc}")
            )
            error.permanent = True
            raise error from None
        finally:
            # The one-shot seam's own client; an injected transport belongs to its owner.
            if seam is not self.http and seam.transport is None:
                seam.close()
        self._note_usage(response.headers)
        if response.status_code >= 400 or _graph_error(response.content) is not None:
            raise self._error(response, method, clean)
        return response

    def _scrub(self, text: str) -> str:
        token = self.connection.token
        return text.replace(token, "***") if token else text

    def _retry_after(self, response: httpx.Response) -> float | None:
        """The seam's question: retry this answer now, after how long? 429 and 5xx yes, and
        Graph's transient errors (codes 1, 2, or ``is_transient`` outside the rate-limit
        codes), waiting at least as long as Retry-After or the usage headers say."""
        status = response.status_code
        error = _graph_error(response.content)
        code = _code(error)
        transient = (
            status == 429
            or status >= 500
            or (
                error is not None
                and code not in RATE_LIMIT_CODES | TOKEN_CODES
                and (code in (1, 2) or error.get("is_transient") is True)
            )
        )
        if not transient:
            return None
        header = response.headers.get("Retry-After", "").strip()
        _, regain = _usage(response.headers)
        return max(float(header) if header.isdigit() else 0.0, regain)

    def _pace(self, polling: bool) -> None:
        now = datetime.now(UTC)
        if self._blocked_until is not None:
            if now < self._blocked_until:
                raise RateLimited(
                    f"Graph API usage is at its limit ({self._usage:.0f} %)",
                    retry_at=self._blocked_until,
                )
            self._blocked_until, self._usage = None, 0.0  # served its time: ask again
        if self._usage_at is not None and now - self._usage_at > POLL_YIELD_WAIT:
            self._usage = 0.0  # usage is a rolling hour; an old figure says little
        if polling and self._usage >= POLL_YIELDS_AT:
            raise RateLimited(
                f"Graph API usage at {self._usage:.0f} %: polling pauses, the inbox keeps the rest",
                retry_at=now + POLL_YIELD_WAIT,
            )
        if self._usage >= SLOWDOWN_FROM:
            share = min(1.0, (self._usage - SLOWDOWN_FROM) / (100 - SLOWDOWN_FROM))
            self.http.sleep(MAX_PAUSE * share)

    def _note_usage(self, headers: httpx.Headers) -> None:
        if not any(name in headers for name in _USAGE_HEADERS):
            return  # absent does not mean zero (Meta): keep what we knew
        usage, regain = _usage(headers)
        self._usage, self._usage_at = usage, datetime.now(UTC)
        if usage >= 100 or regain > 0:
            wait = timedelta(seconds=regain) if regain > 0 else RATE_LIMIT_WAIT
            self._blocked_until = self._usage_at + wait
        else:
            self._blocked_until = None

    def _error(self, response: httpx.Response, method: str = "", url: str = "") -> PlatformError:
        """Route on the Graph error code (Meta, "Handling Errors"): the HTTP status is
        usually 400 whatever went wrong."""
        status = response.status_code
        error = _graph_error(response.content)
        code, subcode = _code(error), _code(error, "error_subcode")
        where = f" ({method} {url})" if method else ""
        if error is not None:
            number = f"{code}/{subcode}" if subcode is not None else f"{code}"
            trace = f" [fbtrace_id {error['fbtrace_id']}]" if error.get("fbtrace_id") else ""
            text = (
                f"Graph API error {number} ({error.get('type', '')}): "
                f"{error.get('message', '')}{trace}{where}"
            )
        else:
            text = f"Graph API answered HTTP {status}{where}"
        text = self._scrub(text)
        usage, _ = _usage(response.headers)
        if code in TOKEN_CODES:
            return TokenInvalid(text, status=status, code=code)
        if code in RATE_LIMIT_CODES or status == 429 or (status >= 400 and usage >= 100):
            return RateLimited(text, status=status, code=code, retry_at=self._retry_at(response))
        if code == 100 and subcode == 33:
            return NotFound(text, status=status, code=code)
        failure = PlatformError(text, status=status, code=code)
        transient = (
            status >= 500
            or code in TRANSIENT_CODES
            or (error is not None and error.get("is_transient") is True)
        )
        failure.permanent = not transient
        return failure

    def _retry_at(self, response: httpx.Response) -> datetime:
        _, regain = _usage(response.headers)
        header = response.headers.get("Retry-After", "").strip()
        wait = max(regain, float(header) if header.isdigit() else 0.0)
        return datetime.now(UTC) + (timedelta(seconds=wait) if wait > 0 else RATE_LIMIT_WAIT)


@dataclass(frozen=True)
class _Step:
    page: FetchedPage
    items: list[dict] | None  # None: the page is not a readable Graph list
    last: bool


def _never_retry(response: httpx.Response) -> float | None:
    return None


# --- webhook signatures --------------------------------------------------------------------


def verify_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """Check ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw request body
    keyed with the app secret (Meta, Webhooks "Getting Started"). It is computed over the
    bytes as received: Meta escapes non-ASCII and "/" in the JSON, so re-serialising would
    not match. Constant-time. A missing or malformed header, or an empty secret, is False."""
    if not isinstance(header, str) or not header or not isinstance(app_secret, str):
        return False
    if not app_secret or not isinstance(body, (bytes, bytearray)):
        return False
    scheme, sep, digest = header.strip().partition("=")
    digest = digest.strip().lower()
    if sep != "=" or scheme.strip().lower() != "sha256" or len(digest) != 64:
        return False
    if any(c not in string.hexdigits for c in digest):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest)


# --- reading Graph answers (client side) ---------------------------------------------------

_USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
_USAGE_KEYS = ("call_count", "total_time", "total_cputime")


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _graph_error(raw: bytes) -> dict | None:
    data = _json_or_none(raw)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"]
    return None


def _code(error: dict | None, key: str = "code") -> int | None:
    value = error.get(key) if error else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return number if number == number and abs(number) != float("inf") else 0.0


def _usage(headers: httpx.Headers) -> tuple[float, float]:
    """(highest percentage of any limit, seconds until access is regained) from the usage
    headers; unreadable headers count as nothing."""
    percent, regain = 0.0, 0.0
    for name in ("x-app-usage", "x-page-usage"):
        data = _json_or_none(headers.get(name, "").encode())
        if isinstance(data, dict):
            percent = max([percent] + [_number(data.get(k)) for k in _USAGE_KEYS])
    buc = _json_or_none(headers.get("x-business-use-case-usage", "").encode())
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict):
                    percent = max([percent] + [_number(entry.get(k)) for k in _USAGE_KEYS])
                    regain = max(regain, _number(entry.get("estimated_time_to_regain_access")) * 60)
    return percent, regain


def _list_or_none(data: Any) -> list[dict] | None:
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return None
    items = data["data"]
    return items if all(isinstance(i, dict) for i in items) else None


def _str_or_none(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value else None


def _time_or_none(value: Any) -> datetime | None:
    try:
        return _time(value, "time")
    except MalformedPayload:
        return None


def _mark(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _parse_mark(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- normalising (pure) --------------------------------------------------------------------


def _load(body: bytes) -> Any:
    if not isinstance(body, (bytes, bytearray)):
        raise MalformedPayload("the payload is not bytes")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"the payload is not UTF-8 JSON ({exc.reason})") from None
    except RecursionError:
        raise MalformedPayload("the payload is nested too deeply to read") from None
    except ValueError as exc:
        raise MalformedPayload(f"the payload is not JSON ({exc})") from None


def _data(obj: Any, endpoint: str) -> list[dict]:
    if isinstance(obj, dict) and "error" in obj:
        raise MalformedPayload(
            f"a Graph error object, not a {endpoint} page: {obj['error']!r:.200}"
        )
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        raise MalformedPayload(f"a {endpoint} page must be an object with a 'data' list")
    for index, item in enumerate(obj["data"]):
        if not isinstance(item, dict):
            raise MalformedPayload(f"{endpoint} item {index} is not an object")
    return obj["data"]


def _need_id(obj: dict, key: str, what: str) -> str:
    value = _str_or_none(obj.get(key))
    if value is None:
        raise MalformedPayload(f"{what} without a usable {key!r}: {obj.get(key)!r:.80}")
    return value


def _opt_id(obj: dict, key: str, what: str) -> str | None:
    if obj.get(key) is None:
        return None
    return _need_id(obj, key, what)


def _text(obj: dict, key: str, what: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedPayload(f"{what} {key!r} is not text: {value!r:.80}")
    return value


def _actor(value: Any, what: str) -> tuple[str, str]:
    """(id, name) of a ``from`` object; ("", "") when Graph leaves it out."""
    if value is None:
        return "", ""
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} 'from' is not an object")
    return _opt_id(value, "id", f"{what} author") or "", _text(value, "name", f"{what} author")


def _time(value: Any, what: str) -> datetime | None:
    """Graph's ``2026-11-25T09:30:00+0000`` (or any ISO 8601 with an offset) or unix
    seconds, as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedPayload(f"{what} is not a time: {value!r}")
    if isinstance(value, (int, float)):
        return _epoch(value, what, millis=False)
    if not isinstance(value, str):
        raise MalformedPayload(f"{what} is not a time: {value!r:.80}")
    try:
        # Python 3.11+ reads Graph's "+0000" offsets too, and far faster than strptime.
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedPayload(f"{what} is not a time: {value!r:.80}") from None
    if moment.tzinfo is None:
        raise MalformedPayload(f"{what} has no UTC offset: {value!r:.80}")
    return moment.astimezone(UTC)


def _epoch(value: Any, what: str, *, millis: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MalformedPayload(f"{what} is not a unix time: {value!r:.80}")
    try:
        return datetime.fromtimestamp(value / 1000 if millis else value, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedPayload(f"{what} is out of range: {value!r:.80}") from None


def _hidden(value: Any, what: str) -> State | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise MalformedPayload(f"{what} is_hidden is not true/false: {value!r:.80}")
    return "hidden" if value else "visible"


def _ref(url: Any, what: str, *, mime: Any = "", platform_id: Any = None) -> MediaRef | None:
    if url is None or url == "":
        return None
    if not isinstance(url, str):
        raise MalformedPayload(f"{what} media url is not text")
    return MediaRef(
        url=url,
        mime_type=mime if isinstance(mime, str) else "",
        platform_id=_str_or_none(platform_id) or "",
    )


def _obj(value: Any, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} is not an object")
    return value


def _attachment_media(attachment: Any, what: str, depth: int = 0) -> list[MediaRef]:
    """A post's or comment's StoryAttachment: ``media.image.src`` (or ``media.source`` for
    video), with album items under ``subattachments``."""
    att = _obj(attachment, what)
    media = _obj(att.get("media"), f"{what} media")
    target = _obj(att.get("target"), f"{what} target")
    src = media.get("source") or _obj(media.get("image"), f"{what} image").get("src")
    refs = [r for r in [_ref(src, what, platform_id=target.get("id"))] if r]
    if depth == 0:
        for sub in _obj(att.get("subattachments"), f"{what} subattachments").get("data") or []:
            refs.extend(_attachment_media(sub, what, depth + 1))
    return refs


def _post_media(value: Any, what: str) -> tuple[MediaRef, ...]:
    data = _obj(value, f"{what} attachments").get("data") or []
    if not isinstance(data, list):
        raise MalformedPayload(f"{what} attachments.data is not a list")
    return tuple(ref for att in data for ref in _attachment_media(att, what))


def _direction(author_id: str, page_id: str | None) -> tuple[Direction, RecordType]:
    """(direction, record_type) of a post or comment."""
    if page_id and author_id == page_id:
        return "upprattad", "own_post"
    return "inkommen", "public_comment"


def _post(post: dict, page_id: str) -> NormalizedItem:
    post_id = _need_id(post, "id", "post")
    author_id, author_name = _actor(post.get("from"), "post")
    direction, record_type = _direction(author_id, page_id)
    return NormalizedItem(
        platform_id=post_id,
        kind="post",
        direction=direction,
        record_type=record_type,
        text=_text(post, "message", "post"),
        author_id=author_id,
        author_name=author_name,
        created_at=_time(post.get("created_time"), "post created_time"),
        thread_platform_id=post_id,
        state=_hidden(post.get("is_hidden"), "post"),
        url=_text(post, "permalink_url", "post"),
        media=_post_media(post.get("attachments"), "post"),
    )


def _comment(comment: dict, page_id: str, post_id: str) -> NormalizedItem:
    comment_id = _need_id(comment, "id", "comment")
    author_id, author_name = _actor(comment.get("from"), "comment")
    direction, record_type = _direction(author_id, page_id)
    parent = _obj(comment.get("parent"), "comment parent")
    parent_id = _opt_id(parent, "id", "comment parent")
    is_reply = parent_id is not None and parent_id != post_id
    return NormalizedItem(
        platform_id=comment_id,
        kind="reply" if is_reply else "comment",
        direction=direction,
        record_type=record_type,
        text=_text(comment, "message", "comment"),
        author_id=author_id,
        author_name=author_name,
        created_at=_time(comment.get("created_time"), "comment created_time"),
        parent_platform_id=parent_id if is_reply else post_id,
        thread_platform_id=post_id,
        state=_hidden(comment.get("is_hidden"), "comment"),
        url=_text(comment, "permalink_url", "comment"),
        media=tuple(_attachment_media(comment.get("attachment"), "comment attachment")),
    )


def _message(message: dict, page_id: str, conversation_id: str) -> NormalizedItem:
    message_id = _need_id(message, "id", "message")
    author_id, author_name = _actor(message.get("from"), "message")
    media = []
    data = _obj(message.get("attachments"), "message attachments").get("data") or []
    if not isinstance(data, list):
        raise MalformedPayload("message attachments.data is not a list")
    for att in data:
        att = _obj(att, "message attachment")
        url = (
            _obj(att.get("image_data"), "image_data").get("url")
            or _obj(att.get("video_data"), "video_data").get("url")
            or att.get("file_url")
        )
        ref = _ref(url, "message attachment", mime=att.get("mime_type"), platform_id=att.get("id"))
        if ref:
            media.append(ref)
    return NormalizedItem(
        platform_id=message_id,
        kind="message",
        direction="upprattad" if author_id == page_id else "inkommen",
        record_type="direct_message",
        text=_text(message, "message", "message"),
        author_id=author_id,
        author_name=author_name,
        created_at=_time(message.get("created_time"), "message created_time"),
        thread_platform_id=conversation_id,
        media=tuple(media),
    )


# --- webhooks ------------------------------------------------------------------------------


def _normalise_webhook(obj: Any, account_id: str | None) -> Normalised:
    """A Page webhook POST body: ``feed`` changes and Messenger events (Meta, "Webhooks for
    Pages" and the Messenger Platform's webhook event reference). One POST may batch entries
    for several Pages: with ``account_id`` only that Page's entries are read."""
    if not isinstance(obj, dict) or obj.get("object") != "page":
        raise MalformedPayload("not a Page webhook: 'object' must be \"page\"")
    entries = obj.get("entry")
    if not isinstance(entries, list):
        raise MalformedPayload("a Page webhook needs an 'entry' list")
    out = Normalised()
    for entry in entries:
        if not isinstance(entry, dict):
            raise MalformedPayload("a webhook entry is not an object")
        entry_id = _str_or_none(entry.get("id"))
        if account_id and entry_id and entry_id != account_id:
            continue  # another Page's entry: it belongs to that account's copy of the body
        page_id = entry_id or account_id
        changes = entry.get("changes") or []
        if not isinstance(changes, list):
            raise MalformedPayload("webhook 'changes' is not a list")
        for change in changes:
            change = _obj(change, "webhook change")
            value = change.get("value")
            if change.get("field") == "feed":
                _feed_change(_obj(value, "feed change value"), page_id, entry.get("time"), out)
            elif change.get("field") in ("messages", "message_echoes", "message_edits"):
                _messaging_event(_obj(value, "messaging change value"), page_id, out)
        for key in ("messaging", "standby"):
            events = entry.get(key) or []
            if not isinstance(events, list):
                raise MalformedPayload(f"webhook {key!r} is not a list")
            for event in events:
                _messaging_event(_obj(event, "messaging event"), page_id, out)
    return out


def _webhook_time(value: Any, what: str) -> datetime | None:
    """Feed webhook times are unix seconds (an ISO string is read too)."""
    return _time(value, what) if value is not None else None


def _feed_change(value: dict, page_id: str | None, entry_time: Any, out: Normalised) -> None:
    item, verb = value.get("item"), value.get("verb")
    if item != "comment" and item not in POST_ITEMS:
        return  # reactions, likes, follows, ...: not records
    what = f"feed {item} {verb}"
    if item == "comment":
        platform_id = _need_id(value, "comment_id", what)
        post_id = _need_id(value, "post_id", what)
    else:
        platform_id = (
            _opt_id(value, "post_id", what)
            or _opt_id(value, "photo_id", what)
            or _opt_id(value, "video_id", what)
        )
        if platform_id is None:
            raise MalformedPayload(f"{what} without post_id")
        post_id = platform_id
    at = _webhook_time(value.get("created_time"), f"{what} created_time")
    if at is None and entry_time is not None and not isinstance(entry_time, bool):
        at = _epoch(
            entry_time,
            "entry time",
            millis=isinstance(entry_time, (int, float)) and entry_time > 10**11,
        )
    if verb in REMOVE_VERBS:
        out.signals.append(StateSignal(platform_id, "deleted_on_platform", at))
        return
    if verb in ("hide", "unhide"):
        out.signals.append(StateSignal(platform_id, "hidden" if verb == "hide" else "visible", at))
        return
    if verb not in CONTENT_VERBS:
        return  # block, unblock, mute, follow: nothing about the item's content
    author_id, author_name = _actor(value.get("from"), what)
    if not author_id:  # older payloads: sender_id / sender_name
        author_id = _opt_id(value, "sender_id", what) or ""
        author_name = author_name or _text(value, "sender_name", what)
    direction, record_type = _direction(author_id, page_id)
    added = verb == "add"
    media: list[MediaRef] = []
    if item == "comment":
        parent_id = _opt_id(value, "parent_id", what)
        is_reply = parent_id is not None and parent_id != post_id
        kind, parent = ("reply", parent_id) if is_reply else ("comment", post_id)
        ref = _ref(value.get("photo"), what)
        media = [ref] if ref else []
        url = ""
    else:
        kind, parent = "post", None
        if item in ("photo", "video"):
            ref = _ref(
                value.get("link"), what, platform_id=value.get("photo_id") or value.get("video_id")
            )
            media = [ref] if ref else []
        photos = value.get("photos") or []
        if not isinstance(photos, list):
            raise MalformedPayload(f"{what} photos is not a list")
        media += [r for r in (_ref(p, what) for p in photos) if r]
        post = _obj(value.get("post"), f"{what} post")
        url = _text(post, "permalink_url", what) if _str_or_none(post.get("id")) == post_id else ""
    out.items.append(
        NormalizedItem(
            platform_id=platform_id,
            kind=kind,
            direction=direction,
            record_type=record_type,
            text=_text(value, "message", what),
            author_id=author_id,
            author_name=author_name,
            # An edit's created_time is not reliably the creation time: say nothing then.
            created_at=at if added else None,
            edited_at=None if added else at,
            parent_platform_id=parent,
            thread_platform_id=post_id,
            state=_hidden(value.get("is_hidden"), what),
            url=url,
            media=tuple(media),
        )
    )


def _messaging_event(event: dict, page_id: str | None, out: Normalised) -> None:
    """One Messenger event: ``message`` (incoming, or an echo of the Page's own when
    ``is_echo``), ``message_edit``; deliveries, reads, reactions and postbacks are ignored.
    Webhooks do not name the conversation, so ``thread_platform_id`` stays None; the
    ``mid`` is the message id the conversations edge uses."""
    sender = _opt_id(_obj(event.get("sender"), "messaging sender"), "id", "messaging sender") or ""
    at = _epoch(event.get("timestamp"), "messaging timestamp", millis=True)
    if "message" in event:
        message = _obj(event.get("message"), "messaging message")
        mid = _need_id(message, "mid", "messaging message")
        if message.get("is_deleted") is True:  # an unsent message (Instagram documents this)
            out.signals.append(StateSignal(mid, "deleted_on_platform", at))
            return
        media = []
        attachments = message.get("attachments") or []
        if not isinstance(attachments, list):
            raise MalformedPayload("messaging attachments is not a list")
        for att in attachments:
            payload = _obj(_obj(att, "messaging attachment").get("payload"), "attachment payload")
            ref = _ref(payload.get("url"), "messaging attachment")
            if ref:
                media.append(ref)
        own = message.get("is_echo") is True or (page_id is not None and sender == page_id)
        out.items.append(_dm(mid, message, sender, own, at, None, tuple(media)))
    elif "message_edit" in event:
        edit = _obj(event.get("message_edit"), "message_edit")
        mid = _need_id(edit, "mid", "message_edit")
        own = page_id is not None and sender == page_id
        out.items.append(_dm(mid, edit, sender, own, None, at, ()))


def _dm(
    mid: str,
    message: dict,
    sender: str,
    own: bool,
    created: datetime | None,
    edited: datetime | None,
    media: tuple[MediaRef, ...],
) -> NormalizedItem:
    return NormalizedItem(
        platform_id=mid,
        kind="message",
        direction="upprattad" if own else "inkommen",
        record_type="direct_message",
        text=_text(message, "text", "message"),
        author_id=sender,
        author_name="",
        created_at=created,
        edited_at=edited,
        media=media,
    )
