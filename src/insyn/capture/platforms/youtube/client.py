"""The YouTube client: one channel's videos and comments over the Data API v3, and the
moderation verbs the inbox uses. Django-free; all HTTP goes through the seam.

Written from developers.google.com/youtube/v3: docs/channels, docs/playlistItems,
docs/commentThreads, docs/comments (list, insert, setModerationStatus, delete),
docs/videos, guides/implementation/comments, getting-started#quota, determine_quota_cost
and docs/errors. Auth is OAuth 2 (``Authorization: Bearer``) for the channel, with the
``youtube.force-ssl`` scope that moderation needs. The stored secret is either an access
token, or Google's "authorized user" JSON (``client_id``, ``client_secret``,
``refresh_token``, optionally ``token_uri``): then a fresh access token is obtained from the
token endpoint for each client, and again when one expires during a poll (they live an hour).

What one poll reads (each page yielded as received; see ``poll``)
-----------------------------------------------------------------
1. ``channels?part=contentDetails&id=CHANNEL`` — the uploads playlist (cached in the state;
   re-read on a full pass).
2. ``playlistItems?part=snippet,contentDetails&playlistId=UPLOADS&maxResults=50`` — the
   channel's videos, newest first. The quota guide recommends this over ``search`` (1 unit
   a page instead of 100).
3. ``commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=CHANNEL
   &moderationStatus=S&order=time&textFormat=plainText&maxResults=100`` for S in
   ``published``, ``heldForReview`` and ``likelySpam``, so held comments are archived too.
   One listing covers every video of the channel.
4. ``commentThreads?part=snippet,replies&videoId=V&textFormat=plainText&maxResults=100`` for
   each video published in the last ``RECENT_DAYS`` (7), at most ``MAX_RECENT`` (20) of them,
   walked whole on every incremental poll: the channel-wide listing is ordered by the
   top-level comment's time, so a new reply in an older thread shows up only as a changed
   ``totalReplyCount``, and this is where most replies arrive. While the whole published
   listing (as last walked) has no more pages than there are recent videos, the poll reads
   that whole listing instead, which costs fewer units and covers every thread.
5. ``comments?part=snippet&parentId=THREAD&maxResults=100`` for threads whose
   ``totalReplyCount`` is more than the replies inlined in the thread (YouTube inlines a
   subset) and has changed since we last read them (every such thread on a full pass).

Pagination: ``nextPageToken`` is passed back as ``pageToken`` until it is absent.

Incremental polls walk each thread listing newest first and stop after the first page that
reaches the newest top-level comment time seen before (the cursor moves only when a walk
ends); videos likewise. Recent videos' threads are read whole (4.). Edits of older comments,
and replies in threads on older videos, are seen by the full pass — the Data API has no
"changed since" and no comment webhooks (guides/implementation/comments).

Quota (getting-started#quota): a project has 10,000 units a day, reset at midnight Pacific
time; a list call costs 1 unit, ``insert``/``update``/``setModerationStatus``/``delete`` 50.
The poll keeps the units it spent today (Pacific date) in ``state["quota"]`` and stops with
``RateLimited`` (retry at the next Pacific midnight) before a request would pass
``poll_budget`` (7,000), leaving the rest for the inbox's replies and moderation, and
paces itself: a poll starts only while today's units are within the share of the budget the
Pacific day has reached, plus a reserve of 10 % of it (otherwise ``RateLimited`` until the
allowance catches up), so a short poll interval cannot spend the day's quota by noon. A
``quotaExceeded`` answer is ``RateLimited`` until the next Pacific midnight;
``rateLimitExceeded``/``userRateLimitExceeded`` (403 or 429) are short-term and retried
after ``Retry-After`` or a minute.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from insyn.lib.http import HttpSeam, TransportFailure, default_retry_after

from ..base import (
    Connection,
    FetchedPage,
    Normalised,
    NotFound,
    Platform,
    PlatformError,
    RateLimited,
    TokenInvalid,
)
from ..readers import parse_time
from ..responses import fetched_page, response_json, safe_json
from . import normalise as normaliser
from .errors import Refused, http_error, is_list_answer, unreadable
from .quota import (
    COST_LIST,
    COST_WRITE,
    PACE_RESERVE,
    PACIFIC,
    POLL_BUDGET,
    next_quota_reset,
    quota_day,
)

API = "/youtube/v3"
TOKEN_URI = "https://oauth2.googleapis.com/token"
MODERATION_STATUSES = ("published", "heldForReview", "likelySpam")
THREADS_PAGE = 100  # commentThreads.list / comments.list maxResults: 1–100
VIDEOS_PAGE = 50  # playlistItems.list maxResults: 0–50
MAX_THREADS_KEPT = 5000
RECENT_DAYS = 7
MAX_RECENT = 20
MAX_PAGES = 10_000
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def oauth_credentials(secret: str) -> dict[str, str] | None:
    """The stored secret read as OAuth credentials (Google's "authorized user" JSON:
    ``client_id``, ``client_secret``, ``refresh_token``, optionally ``token_uri``), or None
    when it is a plain access token."""
    if not secret.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(secret)
    except ValueError:
        return None
    keys = ("client_id", "client_secret", "refresh_token")
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) and data[k] for k in keys
    ):
        return None
    out = {k: data[k] for k in keys}
    if isinstance(data.get("token_uri"), str) and data["token_uri"]:
        out["token_uri"] = data["token_uri"]
    return out


def is_video_id(platform_id: str) -> bool:
    """Video ids are 11 characters; comment ids are longer (``Ugx…``, replies ``Ugx….xyz``)."""
    return bool(_VIDEO_ID.match(platform_id))


class YouTube(Platform):
    """One YouTube channel (``connection.external_id``, ``UC…``) at ``base_url``
    (``https://www.googleapis.com``, or the simulator)."""

    name = "youtube"

    def __init__(
        self,
        connection: Connection,
        http: HttpSeam,
        *,
        now: Callable[[], datetime] | None = None,
        poll_budget: int = POLL_BUDGET,
    ):
        super().__init__(connection, http)
        self.now = now or (lambda: datetime.now(UTC))
        self.poll_budget = poll_budget
        self.quota: dict[str, Any] = {}
        self._budget: int | None = None  # enforced only while polling
        self._authors: dict[str, str] = {}  # comment id -> author channel id, from lookups
        self._credentials = oauth_credentials(connection.token)
        self._access: str | None = None if self._credentials else connection.token

    # --- account -----------------------------------------------------------------------

    def verify_credentials(self) -> dict[str, Any]:
        """The token's own channel (``channels?mine=true``); it must be the connected one."""
        data = self._json(self._get("channels", [("part", "snippet"), ("mine", "true")]))
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise Refused("youtube: the token has no channel")
        channel = items[0]
        expected = self.connection.external_id
        if expected and channel.get("id") != expected:
            raise Refused(
                f"youtube: the token belongs to channel {channel.get('id')}, not to {expected}"
            )
        return channel

    # --- polling -------------------------------------------------------------------------

    def poll(self, state: dict[str, Any], *, full: bool = False) -> Iterator[FetchedPage]:
        """Yield the channel's pages (see the module docstring for which and in what order).

        ``state`` (JSON-serialisable, updated before each page is yielded): ``quota``
        {day, units}; ``uploads`` (the uploads playlist id); ``videos_newest`` and
        ``threads_newest`` {status: time} (the newest item of the last complete walk);
        ``reply_counts`` {thread id: totalReplyCount read in full}; ``pending_replies``
        {thread id: video id} still to read. A page that cannot be read is handed over
        first (kept and quarantined), then the poll stops with a temporary PlatformError.
        """
        self.quota = state.setdefault("quota", {})
        self._budget = self.poll_budget
        self._check_pace()
        try:
            yield from self._poll(state, full)
        finally:
            self._budget = None

    def _poll(self, state: dict[str, Any], full: bool) -> Iterator[FetchedPage]:
        channel = self.connection.external_id
        # 1. the uploads playlist
        uploads = state.get("uploads")
        if full or not uploads:
            params = [("part", "contentDetails"), ("id", channel)]
            page = self._page("channels", params, {"endpoint": "channels"})
            data = safe_json(page.body)
            items = data.get("items") if isinstance(data, dict) else None
            if isinstance(items, list) and items and isinstance(items[0], dict):
                playlists = (items[0].get("contentDetails") or {}).get("relatedPlaylists") or {}
                uploads = playlists.get("uploads") if isinstance(playlists, dict) else None
                if uploads:
                    state["uploads"] = uploads
            yield page
            if not isinstance(items, list):
                raise unreadable(page.url)
            if not items:
                raise NotFound(
                    f"youtube: channel {channel} not found", status=200, code="channelNotFound"
                )

        # 2. the channel's videos
        recent: dict[str, str] = dict(state.get("recent_videos") or {})

        def note_videos(body: Any) -> None:
            for item in _items(body):
                details = (
                    item.get("contentDetails")
                    if isinstance(item.get("contentDetails"), dict)
                    else {}
                )
                video_id, published = details.get("videoId"), _video_time(item)
                if isinstance(video_id, str) and published:
                    recent[video_id] = published
            state["recent_videos"] = self._recent(recent)

        if uploads:
            yield from self._walk(
                state,
                "videos_newest",
                "",
                "playlistItems",
                [
                    ("part", "snippet,contentDetails"),
                    ("playlistId", uploads),
                    ("maxResults", str(VIDEOS_PAGE)),
                ],
                {"endpoint": "playlistItems"},
                full=full,
                time_of=_video_time,
                on_body=note_videos,
                allow=(404,),
            )

        # 3. comment threads, published and held
        pending: dict[str, str] = dict(state.get("pending_replies") or {})
        counts: dict[str, int] = dict(state.get("reply_counts") or {})

        def note_threads(body: Any) -> None:
            for thread in _items(body):
                snippet = thread.get("snippet") if isinstance(thread.get("snippet"), dict) else {}
                thread_id = thread.get("id")
                total = snippet.get("totalReplyCount")
                if not isinstance(thread_id, str) or not isinstance(total, int):
                    continue
                replies = thread.get("replies") if isinstance(thread.get("replies"), dict) else {}
                inlined = (
                    len(replies.get("comments") or [])
                    if isinstance(replies.get("comments"), list)
                    else 0
                )
                if total > inlined and (full or counts.get(thread_id) != total):
                    pending[thread_id] = str(snippet.get("videoId") or "")
                elif total <= inlined:
                    counts[thread_id] = total
            state["pending_replies"] = pending
            state["reply_counts"] = _bounded(counts)

        # Reading the published listing whole costs its pages; reading the recent videos'
        # threads costs at least one unit a video. An incremental poll takes the cheaper way
        # to see new replies in older threads: the whole listing while it is short.
        recent_now = self._recent(recent)
        pages = state.get("threads_pages")
        whole = full or (isinstance(pages, int) and pages <= max(1, len(recent_now)))
        for status in MODERATION_STATUSES:
            walked = yield from self._walk(
                state,
                "threads_newest",
                status,
                "commentThreads",
                [
                    ("part", "snippet,replies"),
                    ("allThreadsRelatedToChannelId", channel),
                    ("moderationStatus", status),
                    ("order", "time"),
                    ("textFormat", "plainText"),
                    ("maxResults", str(THREADS_PAGE)),
                ],
                {"endpoint": "commentThreads", "moderation_status": status},
                full=whole if status == "published" else full,
                time_of=_thread_time,
                on_body=note_threads,
                allow=(403,),
            )
            if (
                status == "published"
                and (whole or not isinstance(pages, int))
                and walked is not None
            ):
                state["threads_pages"] = walked

        # 4. every thread on the recent videos (unless the whole listing was just read)
        if not whole:
            for video_id in sorted(recent_now, key=lambda v: recent_now[v], reverse=True):
                try:
                    yield from self._walk(
                        state,
                        "",
                        video_id,
                        "commentThreads",
                        [
                            ("part", "snippet,replies"),
                            ("videoId", video_id),
                            ("order", "time"),
                            ("textFormat", "plainText"),
                            ("maxResults", str(THREADS_PAGE)),
                        ],
                        {"endpoint": "commentThreads", "moderation_status": "published"},
                        full=True,
                        time_of=_thread_time,
                        on_body=note_threads,
                        allow=(403,),
                    )
                except NotFound:  # videoNotFound: removed since; the full pass records it
                    recent.pop(video_id, None)
                    state["recent_videos"] = self._recent(recent)

        # 5. replies beyond the inlined ones
        for thread_id in sorted(pending):
            video = pending[thread_id]
            total = yield from self._replies(thread_id, video)
            pending.pop(thread_id, None)
            counts[thread_id] = total
            state["pending_replies"] = dict(pending)
            state["reply_counts"] = _bounded(counts)

    def _recent(self, videos: dict[str, str]) -> dict[str, str]:
        """Videos published in the last ``RECENT_DAYS``, the newest ``MAX_RECENT`` of them."""
        horizon = (self.now() - timedelta(days=RECENT_DAYS)).isoformat()
        kept = sorted(((t, v) for v, t in videos.items() if t >= horizon), reverse=True)[
            :MAX_RECENT
        ]
        return {v: t for t, v in kept}

    def _replies(self, parent_id: str, video_id: str) -> Iterator[FetchedPage]:
        """Every page of ``comments?parentId=``; returns how many replies it listed."""
        params = [
            ("part", "snippet"),
            ("parentId", parent_id),
            ("maxResults", str(THREADS_PAGE)),
            ("textFormat", "plainText"),
        ]
        context = {"endpoint": "comments", "parent_id": parent_id, "video_id": video_id}
        count = 0
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = self._page(
                "comments", [*params, *([("pageToken", token)] if token else [])], context
            )
            data = safe_json(page.body)
            yield page
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise unreadable(page.url)
            count += len(data["items"])
            token = (
                data.get("nextPageToken") if isinstance(data.get("nextPageToken"), str) else None
            )
            if not token:
                break
        return count

    def _walk(
        self,
        state: dict[str, Any],
        key: str,
        sub: str,
        resource: str,
        params: list[tuple[str, str]],
        context: dict[str, Any],
        *,
        full: bool,
        time_of: Callable[[dict], str],
        on_body: Callable[[Any], None] | None = None,
        allow: tuple[int, ...] = (),
    ) -> Generator[FetchedPage, None, int | None]:
        """Walk one list by ``nextPageToken``: all of it on a full pass (or without a cursor),
        otherwise until a page reaches the newest time of the last complete walk. Returns the
        number of pages when the list was walked to its end, else None."""
        marks: dict[str, str] = dict(state.get(key) or {}) if key else {}
        cursor = None if full else marks.get(sub)
        newest: str | None = None
        token: str | None = None
        for count in range(1, MAX_PAGES + 1):
            page = self._page(
                resource,
                [*params, *([("pageToken", token)] if token else [])],
                dict(context),
                allow=allow,
            )
            data = safe_json(page.body)
            if page.status >= 400:
                # a documented answer about the list (commentsDisabled, an empty channel's
                # missing uploads playlist): kept as evidence; the list is empty
                reasons = normaliser.error_reasons(data)
                if page.status == 403 and not set(reasons) & normaliser.EMPTY_REASONS:
                    raise http_error(page.status, data, page.headers, self.now())
                yield page
                return count
            items = _items(data)
            times = [t for t in (time_of(i) for i in items) if t]
            if newest is None and times:
                newest = max(times)
            token = data.get("nextPageToken") if isinstance(data, dict) else None
            token = token if isinstance(token, str) and token else None
            reached = bool(cursor is not None and times and min(times) <= cursor)
            last = not token or reached
            if on_body is not None:
                on_body(data)
            if key and last and isinstance(data, dict) and isinstance(data.get("items"), list):
                if newest and (not marks.get(sub) or newest > marks[sub]):
                    marks[sub] = newest
                    state[key] = dict(marks)
            yield page
            if not isinstance(data, dict) or not isinstance(data.get("items"), list):
                raise unreadable(page.url)
            if last:
                return None if token else count
        return None

    # --- re-reading and archiving before moderation ----------------------------------

    def refetch(self, platform_id: str) -> FetchedPage:
        """Re-read one video or comment by id; ``NotFound`` when the listing comes back empty
        (deleted by its author, rejected, or a video removed)."""
        page = self._lookup(platform_id)
        data = safe_json(page.body)
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise unreadable(page.url)  # a garbled answer is no proof that it is gone
        if not _items(data):
            raise NotFound(
                f"youtube: {platform_id} is no longer available", status=200, code="empty"
            )
        return page

    def pages_before_moderation(self, platform_id: str) -> Iterator[FetchedPage]:
        """What must be in the archive before ``platform_id`` is moderated: the comment as it
        is now (``comments?id=``) and, for a top-level comment, all its replies — a rejected
        comment can no longer be listed, and rejecting it hides its replies too. Each page is
        yielded to be stored; an empty lookup is yielded (it proves the comment was gone) and
        then raises ``NotFound``."""
        page = self._lookup(platform_id)
        yield page
        data = safe_json(page.body)
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise unreadable(page.url)
        entries = _items(data)
        if not entries:
            raise NotFound(
                f"youtube: {platform_id} is no longer available", status=200, code="empty"
            )
        snippet = entries[0].get("snippet") if isinstance(entries[0].get("snippet"), dict) else {}
        if not is_video_id(platform_id) and not snippet.get("parentId"):
            yield from self._replies(platform_id, str(snippet.get("videoId") or ""))

    def _lookup(self, platform_id: str) -> FetchedPage:
        if is_video_id(platform_id):
            return self._page(
                "videos",
                [("part", "snippet"), ("id", platform_id)],
                {"endpoint": "videos", "ids": [platform_id]},
            )
        page = self._page(
            "comments",
            [("part", "snippet"), ("id", platform_id), ("textFormat", "plainText")],
            {"endpoint": "comments", "ids": [platform_id]},
        )
        for entry in _items(safe_json(page.body)):
            snippet = entry.get("snippet") if isinstance(entry.get("snippet"), dict) else {}
            author = snippet.get("authorChannelId")
            if (
                isinstance(author, dict)
                and isinstance(author.get("value"), str)
                and isinstance(entry.get("id"), str)
            ):
                self._authors[entry["id"]] = author["value"]
        return page

    # --- answering and moderating ----------------------------------------------------

    def reply(self, parent_platform_id: str, text: str, *, idempotency_key: str) -> str:
        """A reply in the comment's thread (``comments.insert``), or a top-level comment on one
        of our videos (``commentThreads.insert``). YouTube threads are one level deep: a reply
        to a reply goes under the thread's top-level comment, whose id is the part of the
        reply's id before the dot. YouTube has no idempotency key."""
        if is_video_id(parent_platform_id):
            body = {
                "snippet": {
                    "channelId": self.connection.external_id,
                    "videoId": parent_platform_id,
                    "topLevelComment": {"snippet": {"textOriginal": text}},
                }
            }
            created = self._json(
                self._request(
                    "POST", "commentThreads", [("part", "snippet")], cost=COST_WRITE, json=body
                )
            )
            snippet = created.get("snippet") if isinstance(created, dict) else None
            top = snippet.get("topLevelComment") if isinstance(snippet, dict) else None
            new_id = top.get("id") if isinstance(top, dict) else None
        else:
            parent = parent_platform_id.split(".", 1)[0]
            body = {"snippet": {"parentId": parent, "textOriginal": text}}
            created = self._json(
                self._request("POST", "comments", [("part", "snippet")], cost=COST_WRITE, json=body)
            )
            new_id = created.get("id") if isinstance(created, dict) else None
        if not isinstance(new_id, str) or not new_id:
            raise PlatformError("youtube: the created comment has no id")
        return new_id

    def set_hidden(self, platform_id: str, hidden: bool) -> None:
        """Hold a comment for review (hidden from the public, reversible) or publish it."""
        self._refuse_video(platform_id, "hide")
        self.set_moderation_status(platform_id, "heldForReview" if hidden else "published")

    def delete(self, platform_id: str) -> None:
        """Remove a comment: our own with ``comments.delete`` (only the author may), anyone
        else's by rejecting it (``setModerationStatus=rejected``), which YouTube documents as
        the way to remove others' comments from a channel."""
        self._refuse_video(platform_id, "delete")
        author = self._authors.get(platform_id)
        if author is None:
            self.refetch(platform_id)  # NotFound when it is already gone
            author = self._authors.get(platform_id, "")
        if author == self.connection.external_id:
            self._request("DELETE", "comments", [("id", platform_id)], cost=COST_WRITE)
        else:
            self.reject(platform_id)

    def reject(self, platform_id: str, *, ban_author: bool = False) -> None:
        params = [("banAuthor", "true")] if ban_author else []
        self.set_moderation_status(platform_id, "rejected", extra=params)

    def set_moderation_status(
        self, platform_id: str, status: str, *, extra: list[tuple[str, str]] = ()
    ) -> None:
        if status not in ("heldForReview", "published", "rejected"):
            raise ValueError(f"unknown moderation status {status!r}")
        self._request(
            "POST",
            "comments/setModerationStatus",
            [("id", platform_id), ("moderationStatus", status), *extra],
            cost=COST_WRITE,
        )

    def _refuse_video(self, platform_id: str, verb: str) -> None:
        if is_video_id(platform_id):
            raise Refused(
                f"youtube: a video cannot be {'hidden' if verb == 'hide' else 'deleted'} through the "
                "comment API; change or remove it in YouTube Studio"
            )

    # --- HTTP ----------------------------------------------------------------------------

    def _url(self, resource: str, params: list[tuple[str, str]]) -> str:
        base = self.connection.base_url.rstrip("/")
        query = "&".join(f"{quote(k, safe='')}={quote(str(v), safe=',')}" for k, v in params)
        return f"{base}{API}/{resource}" + (f"?{query}" if query else "")

    def _page(
        self,
        resource: str,
        params: list[tuple[str, str]],
        context: dict[str, Any],
        *,
        allow: tuple[int, ...] = (),
    ) -> FetchedPage:
        url = self._url(resource, params)
        response = self._request("GET", resource, params, cost=COST_LIST, allow=allow)
        return fetched_page(url, response, context)

    def _get(self, resource: str, params: list[tuple[str, str]]) -> httpx.Response:
        return self._request("GET", resource, params, cost=COST_LIST)

    def _check_pace(self) -> None:
        """Spread the day's poll budget over the Pacific day: a poll starts only while the
        units spent today are within the share of the budget the day has reached so far, plus
        ``PACE_RESERVE`` of it for bursts (a new day, a full pass). Otherwise ``RateLimited``
        says when the allowance will have caught up."""
        now = self.now()
        day = quota_day(now)
        spent = int(self.quota.get("units", 0)) if self.quota.get("day") == day else 0
        start = datetime.combine(
            now.astimezone(PACIFIC).date(), time(0), tzinfo=PACIFIC
        ).astimezone(UTC)
        end = next_quota_reset(now)
        length = (end - start).total_seconds()
        reserve = self.poll_budget * PACE_RESERVE
        allowed = reserve + self.poll_budget * (now - start).total_seconds() / length
        if spent <= allowed:
            return
        catch_up = start + timedelta(seconds=length * (spent - reserve) / self.poll_budget)
        raise RateLimited(
            f"youtube: {spent} quota units spent today (Pacific time); polling is paced to spread the "
            f"budget of {self.poll_budget} over the day",
            code="pollPace",
            retry_at=min(catch_up, end),
        )

    def _spend(self, cost: int) -> None:
        now = self.now()
        day = quota_day(now)
        if self.quota.get("day") != day:
            self.quota.clear()
            self.quota.update(day=day, units=0)
        if self._budget is not None and self.quota["units"] + cost > self._budget:
            raise RateLimited(
                f"youtube: the poll budget of {self._budget} quota units for {day} (Pacific time) is spent; "
                "the rest of the day's quota is kept for replies and moderation",
                status=None,
                code="pollBudget",
                retry_at=next_quota_reset(now),
            )
        self.quota["units"] = int(self.quota.get("units", 0)) + cost

    def _request(
        self,
        method: str,
        resource: str,
        params: list[tuple[str, str]],
        *,
        cost: int,
        allow: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        self._spend(cost)
        try:
            response = self._send(method, self._url(resource, params), kwargs)
            if response.status_code == 401 and self._credentials and self._access is not None:
                # An access token lives an hour: a poll that outlives it gets a fresh one once.
                self._access = None
                response = self._send(method, self._url(resource, params), kwargs)
        except TransportFailure as exc:
            response = exc.response
            if response is not None and response.status_code == 429:
                raise http_error(
                    429, safe_json(response.content), response.headers, self.now()
                ) from exc
            status = response.status_code if response is not None else None
            raise PlatformError(f"youtube: {exc}", status=status) from exc
        if response.status_code < 300:
            return response
        data = safe_json(response.content)
        if response.status_code in allow and is_list_answer(response.status_code, data):
            return response
        raise http_error(response.status_code, data, response.headers, self.now())

    def _send(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._access_token()}", "Accept": "application/json"}
        return self.http.request(
            method, url, retry_after=self._retry_after, headers=headers, **kwargs
        )

    def _access_token(self) -> str:
        """The stored access token, or one obtained with the stored refresh token."""
        if self._access is None:
            self._access = self._refresh(self._credentials or {})
        return self._access

    def _refresh(self, credentials: dict[str, str]) -> str:
        """Google's OAuth 2 refresh (RFC 6749 §6): POST ``token_uri`` with
        ``grant_type=refresh_token``; the answer's ``access_token`` is used for an hour.
        ``invalid_grant`` (expired or revoked refresh token) and ``invalid_client`` stop the
        account like an invalid token."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": credentials["refresh_token"],
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        }
        try:
            response = self.http.request(
                "POST",
                credentials.get("token_uri") or TOKEN_URI,
                data=form,
                headers={"Accept": "application/json"},
            )
        except TransportFailure as exc:
            raise PlatformError(f"youtube: token refresh failed: {exc}") from exc
        data = safe_json(response.content)
        data = data if isinstance(data, dict) else {}
        token = data.get("access_token")
        if response.status_code == 200 and isinstance(token, str) and token:
            return token
        error = str(data.get("error") or f"HTTP {response.status_code}")
        text = f"youtube: token refresh refused: {error} ({str(data.get('error_description') or '')[:200]})"
        if (
            error in ("invalid_grant", "invalid_client", "unauthorized_client")
            or response.status_code == 401
        ):
            raise TokenInvalid(text, status=response.status_code, code=error)
        raise PlatformError(text, status=response.status_code, code=error)

    def _retry_after(self, response: httpx.Response) -> float | None:
        # 429 and 5xx are retried by the seam (Retry-After when given); a 403 quota answer is not.
        return default_retry_after(response)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        return response_json("youtube", response) if response.content else {}

    # --- the normaliser ----------------------------------------------------------------

    @staticmethod
    def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
        """Read one page; see ``insyn.capture.platforms.youtube.normalise``."""
        return normaliser.normalise(body, context)


# --- small readers -------------------------------------------------------------------------


def _items(data: Any) -> list[dict]:
    items = data.get("items") if isinstance(data, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _video_time(item: dict) -> str:
    details = item.get("contentDetails") if isinstance(item.get("contentDetails"), dict) else {}
    snippet = item.get("snippet") if isinstance(item.get("snippet"), dict) else {}
    return _utc(details.get("videoPublishedAt") or snippet.get("publishedAt"))


def _thread_time(item: dict) -> str:
    snippet = item.get("snippet") if isinstance(item.get("snippet"), dict) else {}
    top = snippet.get("topLevelComment") if isinstance(snippet.get("topLevelComment"), dict) else {}
    inner = top.get("snippet") if isinstance(top.get("snippet"), dict) else {}
    return _utc(inner.get("publishedAt"))


def _utc(value: Any) -> str:
    """A comparable UTC ISO string for an RFC 3339 time, or ''."""
    parsed = parse_time(value)
    return parsed.isoformat() if parsed else ""


def _bounded(counts: dict[str, int]) -> dict[str, int]:
    if len(counts) <= MAX_THREADS_KEPT:
        return counts
    return dict(list(counts.items())[-MAX_THREADS_KEPT:])

