"""Mastodon: one account's statuses, mentions, threads, direct messages and edit history.

A client over the HTTP seam (``poll``, ``reply``, ``delete``) and a pure normaliser. Written
from docs.joinmastodon.org: methods/accounts (#statuses), methods/statuses (#context,
#history, #create with ``Idempotency-Key``, #delete, #get), methods/notifications,
methods/conversations, entities/Status, StatusEdit, MediaAttachment, api/guidelines
(#pagination, #formatting) and api/rate-limits.

What one poll reads
-------------------
1. ``GET /api/v1/accounts/:id/statuses?limit=40`` — the account's own statuses, replies and
   boosts included.
2. ``GET /api/v1/notifications?types[]=mention&types[]=update&limit=80`` — residents' mentions,
   replies that mention us and direct messages (a DM is a mention), and edits of statuses we
   boosted. ``status`` notifications are *not* read: that type means "someone you enabled
   notifications for has posted" (methods/notifications), i.e. posts not addressed to us.
3. ``GET /api/v1/conversations?limit=40`` — direct conversations (their ``last_status``).
4. ``GET /api/v1/statuses/:id/context`` for own statuses (and new conversations' last status):
   the descendants are residents' replies in our threads whether or not they mention us, the
   ancestors rebuild a DM thread. Statuses already seen as a descendant in this pass are not
   read again (a reply's subtree is inside its root's descendants).
5. ``GET /api/v1/statuses/:id/history`` for every status whose ``edited_at`` is newer than the
   one we recorded (Mastodon keeps every version, so a late look loses nothing).

Pagination follows the ``Link`` header only (api/guidelines#pagination; notifications and
conversations page on ids the bodies do not carry). The cursor kept per list is the ``min_id``
of the newest page's ``rel="prev"`` link. Incremental polls start at ``min_id=<cursor>`` and
walk forward by ``rel="prev"`` until an empty page, saving the cursor after every page; a full
pass (or a list with no cursor yet) walks backward by ``rel="next"`` and saves the cursor at
the end.

A 404 on a context or history read (the status was deleted) is handed over as a page too:
kept as evidence, it normalises to a ``deleted_on_platform`` signal, and the poll goes on.

Comments arrive on old posts, and a reply that drops the ``@mention`` reaches us only through
``/context``: every poll re-reads the context of own statuses from the last ``CONTEXT_DAYS``
(7) days, at most ``MAX_RECENT`` of them — one request each, less those covered by a root
read in the same pass. Older threads are covered by mention notifications (Mastodon's web UI
mentions the author of the status replied to) and by the periodic full pass, which reads the
context of every own status.

Own boosts are kept as the account's own post (``[Boost av @acct] url`` plus the boosted
text): sharing a post on the official account is the authority's act. Boosts by others are
not our records and are skipped.

Rate limits (api/rate-limits: 300 requests per 5 minutes per account, ``X-RateLimit-Reset``
an ISO 8601 time): a 429 is retried by the seam after the reset (``RateLimited`` when that is
further away than the seam will wait). Below ``LOW_WATER`` of the limit the client spreads
the remaining requests over the rest of the window: before each request it sleeps
``seconds_to_reset / (remaining + 1)``, measured against the response's ``Date`` header so a
skewed local clock does not matter, and stops with ``RateLimited`` when that pause would be
longer than the seam's ``max_wait``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import httpx

from insyn.lib.http import HttpSeam, TransportFailure, default_retry_after

from .base import (
    Connection,
    FetchedPage,
    MalformedPayload,
    MediaRef,
    Normalised,
    NormalizedItem,
    NotFound,
    Platform,
    PlatformError,
    RateLimited,
    StateSignal,
    TokenInvalid,
)

STATUSES_LIMIT = 40  # methods/accounts#statuses: default 20, max 40
NOTIFICATIONS_LIMIT = 80  # methods/notifications: default 40, max 80 (since 4.1)
CONVERSATIONS_LIMIT = 40  # methods/conversations: default 20, max 40
NOTIFICATION_TYPES = ("mention", "update")
CONTEXT_DAYS = 7
MAX_RECENT = 200
MAX_EDITS_SEEN = 5000
MAX_PENDING = 1000
MAX_PAGES = 10_000  # a guard against a server whose links go round in circles
LOW_WATER = 0.1  # pace requests below this share of X-RateLimit-Limit
VISIBILITIES = ("public", "unlisted", "private", "direct")
NOT_FOUND_BODY = "Record not found"  # Api::BaseController's 404 (methods/statuses)


class Refused(PlatformError):
    """A request Mastodon will never grant as asked (403, 422, other 4xx, a missing verb)."""

    permanent = True


# --- the client --------------------------------------------------------------------------


class Mastodon(Platform):
    """One Mastodon account (``connection.external_id``) on its instance (``base_url``)."""

    name = "mastodon"
    context_days = CONTEXT_DAYS

    def __init__(
        self,
        connection: Connection,
        http: HttpSeam,
        *,
        now: Callable[[], datetime] | None = None,
    ):
        super().__init__(connection, http)
        self.now = now or (lambda: datetime.now(UTC))
        self._pause = 0.0
        self._pause_until: datetime | None = None

    # --- account and moderation verbs ------------------------------------------------

    def verify_credentials(self) -> dict[str, Any]:
        data = self._json(self._request("GET", self._url("/api/v1/accounts/verify_credentials")))
        if not isinstance(data, dict):
            raise PlatformError("verify_credentials: unexpected response")
        expected = self.connection.external_id
        if expected and str(data.get("id")) != str(expected):
            raise Refused(
                f"the token belongs to account {data.get('id')} (@{data.get('acct')}), "
                f"not to {expected}"
            )
        return data

    def fetch_status(self, status_id: str) -> FetchedPage:
        """Re-read one known status (``GET /api/v1/statuses/:id``); ``NotFound`` once it is gone.

        Capture can confirm that an item missing from a full pass is really deleted: a mention
        can drop out of the notifications list without being deleted (notifications can be
        dismissed), so absence alone is no proof on Mastodon.
        """
        url = self._url(f"/api/v1/statuses/{_path_id(status_id)}")
        response = self._request("GET", url)
        return self._page(url, response, {"endpoint": "status"})

    def refetch(self, platform_id: str) -> FetchedPage:
        return self.fetch_status(platform_id)

    def reply(self, parent_platform_id: str, text: str, *, idempotency_key: str) -> str:
        """Answer a status with the same visibility (a DM gets a DM), mentioning its author.

        A ``direct`` status reaches only the accounts it mentions (entities/Status
        #visibility), so the author of the parent and the accounts it mentions are put in
        front of the text unless the text already names them — as Mastodon's own composer
        does. ``Idempotency-Key`` makes a retried POST return the same status for an hour
        (methods/statuses#create).
        """
        parent = self._json(
            self._request("GET", self._url(f"/api/v1/statuses/{_path_id(parent_platform_id)}"))
        )
        if not isinstance(parent, dict):
            raise PlatformError("reply: unexpected response for the parent status")
        visibility = parent.get("visibility")
        if visibility not in VISIBILITIES:
            visibility = "public"
        status = _with_mentions(text, _reply_mentions(parent, self.connection.external_id))
        created = self._json(
            self._request(
                "POST",
                self._url("/api/v1/statuses"),
                data={
                    "status": status,
                    "in_reply_to_id": str(parent_platform_id),
                    "visibility": visibility,
                },
                headers={"Idempotency-Key": idempotency_key},
            )
        )
        new_id = _id(created.get("id")) if isinstance(created, dict) else None
        if not new_id:
            raise PlatformError("reply: the created status has no id")
        return new_id

    def delete(self, platform_id: str) -> None:
        """Delete one of the account's own statuses (Mastodon deletes nothing else)."""
        url = self._url(f"/api/v1/statuses/{_path_id(platform_id)}")
        status = self._json(self._request("GET", url))
        author = status.get("account") if isinstance(status, dict) else None
        author_id = _id(author.get("id")) if isinstance(author, dict) else None
        if author_id != str(self.connection.external_id):
            acct = author.get("acct") if isinstance(author, dict) else "?"
            raise Refused(
                f"Mastodon cannot delete statuses by other accounts (status {platform_id} is by "
                f"@{acct}); block, mute or report the author instead"
            )
        self._request("DELETE", url)

    def set_hidden(self, platform_id: str, hidden: bool) -> None:
        raise Refused(
            "Mastodon has no way to hide replies by other accounts; block, mute or report "
            "the author instead"
        )

    # --- polling -----------------------------------------------------------------------

    def poll(self, state: dict[str, Any], *, full: bool = False) -> Iterator[FetchedPage]:
        """Yield the account's pages; see the module docstring for what and in which order.

        ``state`` (JSON-serialisable, updated before each page is yielded):
        ``statuses_cursor``, ``notifications_cursor``, ``conversations_cursor`` (the newest
        ``min_id`` seen per list); ``recent_own`` {own status id: created_at} whose context is
        re-read; ``edits_seen`` {status id: edited_at} whose history we have;
        ``pending_context`` and ``pending_history``: reads found due but not yet done, kept so
        an interrupted poll does not forget them. Nothing changes after the last page is
        handed over, so persisting after each page is enough. Without a cursor a list is
        walked whole; threads are read for every own status only when ``full``.

        A page that cannot be read (a truncated 200) is handed over first, so it is kept and
        quarantined, and then the poll stops with a temporary ``PlatformError``: a pass that
        ends without an exception has seen everything it should have.
        """
        account = str(self.connection.external_id)
        own: dict[str, str] = {}  # own status id -> created_at, from this pass
        covered: set[str] = set()
        pending_history: dict[str, dict] = dict(state.get("pending_history") or {})
        pending_context: list[str] = list(state.get("pending_context") or [])
        edits_seen: dict[str, str] = dict(state.get("edits_seen") or {})

        def note_edits(page: FetchedPage, statuses: list[dict]) -> None:
            """Queue a history read for every status edited since we last looked."""
            edited = {
                sid
                for s in statuses
                if (sid := _id(s.get("id"))) and _time(s.get("edited_at")) is not None
            }
            if not edited:
                return
            try:
                items = self.normalise(page.body, {**page.context, "account_external_id": account})
            except MalformedPayload:
                return
            for item in items.items:
                if item.platform_id not in edited or item.edited_at is None:
                    continue
                seen = _time(edits_seen.get(item.platform_id))
                if seen is None or item.edited_at > seen:
                    pending_history[item.platform_id] = _history_meta(item)
            _store_pending(state, pending_history, pending_context)

        # 1. own statuses
        def own_statuses(page: FetchedPage, body: Any) -> None:
            statuses = [s for s in _list(body) if isinstance(s, dict)]
            for s in statuses:
                sid, author = _id(s.get("id")), _account_id(s)
                if sid and author == account and not isinstance(s.get("reblog"), dict):
                    own[sid] = str(s.get("created_at") or "")
            state["recent_own"] = self._recent(state.get("recent_own"), own)
            note_edits(page, statuses)

        yield from self._walk(
            state,
            "statuses_cursor",
            f"/api/v1/accounts/{_path_id(account)}/statuses",
            [("limit", str(STATUSES_LIMIT))],
            {"endpoint": "statuses"},
            full=full,
            on_page=own_statuses,
        )

        # 2. mentions, DMs that mention us, edits of statuses we boosted
        def notifications(page: FetchedPage, body: Any) -> None:
            note_edits(page, [n["status"] for n in _list(body) if _notification_status(n)])

        yield from self._walk(
            state,
            "notifications_cursor",
            "/api/v1/notifications",
            [*(("types[]", t) for t in NOTIFICATION_TYPES), ("limit", str(NOTIFICATIONS_LIMIT))],
            {"endpoint": "notifications"},
            full=full,
            on_page=notifications,
        )

        # 3. direct conversations
        def conversations(page: FetchedPage, body: Any) -> None:
            lasts = [
                c["last_status"]
                for c in _list(body)
                if isinstance(c, dict) and isinstance(c.get("last_status"), dict)
            ]
            for last in lasts:
                sid = _id(last.get("id"))
                if sid and sid not in pending_context:
                    pending_context.append(sid)
            _store_pending(state, pending_history, pending_context)
            note_edits(page, lasts)

        yield from self._walk(
            state,
            "conversations_cursor",
            "/api/v1/conversations",
            [("limit", str(CONVERSATIONS_LIMIT))],
            {"endpoint": "conversations"},
            full=full,
            on_page=conversations,
        )

        # 4. threads: own statuses (all of them on a full pass, the recent ones otherwise)
        #    and conversations that moved, oldest first so a root covers its replies.
        recent = dict(state.get("recent_own") or {})
        candidates = set(pending_context) | set(recent) | (set(own) if full else set())
        for sid in sorted(candidates, key=id_key):
            if sid in covered:
                _drop(state, pending_context, sid)
                continue
            url = self._url(f"/api/v1/statuses/{_path_id(sid)}/context")
            response = self._request("GET", url, allow=(404,))
            page = self._page(url, response, {"endpoint": "context", "status_id": sid})
            _drop(state, pending_context, sid)
            if response.status_code == 404:
                state["recent_own"] = {k: v for k, v in recent.items() if k != sid}
                recent = state["recent_own"]
            else:
                body = _safe_json(response.content)
                thread = [
                    s
                    for part in ("ancestors", "descendants")
                    for s in (body.get(part) if isinstance(body, dict) else None) or []
                    if isinstance(s, dict)
                ]
                covered.update(
                    sid2
                    for s in (body.get("descendants") or [] if isinstance(body, dict) else [])
                    if isinstance(s, dict) and (sid2 := _id(s.get("id")))
                )
                note_edits(page, thread)
            yield page
            if response.status_code != 404 and not isinstance(body, dict):
                raise _unreadable(url)

        # 5. edit histories
        for sid in sorted(pending_history, key=id_key):
            meta = pending_history[sid]
            url = self._url(f"/api/v1/statuses/{_path_id(sid)}/history")
            response = self._request("GET", url, allow=(404,))
            page = self._page(
                url, response, {"endpoint": "history", "status_id": sid, "status": meta}
            )
            body = _safe_json(response.content)
            readable = response.status_code == 404 or isinstance(body, list)
            if response.status_code != 404 and readable:
                newest = _time(meta.get("edited_at"))
                if body and isinstance(body[-1], dict):
                    last = _time(body[-1].get("created_at"))
                    newest = max(filter(None, (newest, last)), default=None)
                if newest is not None:
                    edits_seen[sid] = _iso(newest)
                    state["edits_seen"] = _bounded(edits_seen, MAX_EDITS_SEEN)
            if readable:
                state["pending_history"] = {
                    k: v for k, v in state.get("pending_history", {}).items() if k != sid
                }
            yield page
            if not readable:
                raise _unreadable(url)

    def _recent(self, previous: Any, own: dict[str, str]) -> dict[str, str]:
        """Own statuses from the last ``context_days``, newest ``MAX_RECENT`` of them."""
        horizon = self.now() - timedelta(days=self.context_days)
        merged = {**(previous if isinstance(previous, dict) else {}), **own}
        kept = {k: v for k, v in merged.items() if (t := _time(v)) is not None and t >= horizon}
        return _bounded(kept, MAX_RECENT)

    def _walk(
        self,
        state: dict[str, Any],
        key: str,
        path: str,
        params: list[tuple[str, str]],
        context: dict[str, Any],
        *,
        full: bool,
        on_page: Callable[[FetchedPage, Any], None],
    ) -> Iterator[FetchedPage]:
        """Walk one list by its Link header: forward from the cursor, or backward over all."""
        cursor = None if full else state.get(key)
        forward = bool(cursor)
        url: str | None = self._url(path, [*params, ("min_id", cursor)] if forward else params)
        newest: str | None = None
        visited: set[str] = set()
        while url and url not in visited and len(visited) < MAX_PAGES:
            visited.add(url)
            response = self._request("GET", url)
            page = self._page(url, response, dict(context))
            body = _safe_json(response.content)
            items = _list(body)
            links = parse_link_header(response.headers.get("link", ""))
            page_cursor = _link_cursor(links.get("prev")) or _data_cursor(items, context)
            following: str | None = None
            if forward:
                # The next newer page is the prev link's min_id with this list's own
                # parameters (a since_id prev link would jump to the newest page instead).
                if items and page_cursor:
                    state[key] = max_id(state.get(key), page_cursor)
                    following = self._url(path, [*params, ("min_id", page_cursor)])
            else:
                if newest is None and items:
                    newest = page_cursor
                if items and links.get("next"):
                    following = self._follow(links["next"])
                elif newest and isinstance(body, list):
                    # Only a walk that reached its end moves the cursor: an unreadable page
                    # in the middle leaves it, so the next poll walks the whole list again.
                    state[key] = max_id(state.get(key), newest)
            on_page(page, body)
            yield page
            if not isinstance(body, list):
                raise _unreadable(url)
            url = following

    # --- HTTP --------------------------------------------------------------------------

    def _url(self, path: str, params: Iterable[tuple[str, str]] = ()) -> str:
        base = self.connection.base_url.rstrip("/")
        query = "&".join(f"{quote(k, safe='[]')}={quote(str(v), safe='')}" for k, v in params)
        return f"{base}{path}" + (f"?{query}" if query else "")

    def _follow(self, link: str) -> str:
        """A pagination link on the instance's own origin: the token goes nowhere else."""
        base = httpx.URL(self.connection.base_url)
        target = httpx.URL(link)
        if target.host and (target.host, target.port) != (base.host, base.port):
            raise Refused(f"pagination link leads to another host: {target.host}")
        return str(base.copy_with(raw_path=target.raw_path))

    def _request(
        self, method: str, url: str, *, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        self._wait_for_quota()
        headers = {
            "Authorization": f"Bearer {self.connection.token}",
            "Accept": "application/json",
            **kwargs.pop("headers", {}),
        }
        try:
            response = self.http.request(
                method, url, retry_after=self._retry_after, headers=headers, **kwargs
            )
        except TransportFailure as exc:
            raise self._transport_error(exc) from exc
        self._note_quota(response)
        if response.status_code < 300 or response.status_code in allow:
            return response
        raise _http_error(response)

    def _retry_after(self, response: httpx.Response) -> float | None:
        if response.status_code == 429:
            wait = self._seconds_to_reset(response)
            return wait if wait is not None else default_retry_after(response)
        return default_retry_after(response)

    def _seconds_to_reset(self, response: httpx.Response) -> float | None:
        reset = _time(response.headers.get("x-ratelimit-reset"))
        if reset is None:
            return None
        try:
            server_now = parsedate_to_datetime(response.headers.get("date", ""))
        except (TypeError, ValueError, IndexError):
            server_now = None
        if server_now is None or server_now.tzinfo is None:
            server_now = self.now()
        return max(0.0, (reset - server_now).total_seconds())

    def _note_quota(self, response: httpx.Response) -> None:
        remaining = _int(response.headers.get("x-ratelimit-remaining"))
        limit = _int(response.headers.get("x-ratelimit-limit")) or 300
        self._pause, self._pause_until = 0.0, None
        if remaining is None or remaining >= max(5, int(limit * LOW_WATER)):
            return
        seconds = self._seconds_to_reset(response)
        if seconds is None:
            return
        self._pause = seconds / (remaining + 1)
        self._pause_until = self.now() + timedelta(seconds=seconds)

    def _wait_for_quota(self) -> None:
        pause, until = self._pause, self._pause_until
        self._pause, self._pause_until = 0.0, None
        if pause <= 0:
            return
        if pause > self.http.max_wait:
            raise RateLimited(
                f"mastodon: rate limit nearly used up; waiting {pause:.0f}s is left to the "
                "scheduler",
                status=429,
                retry_at=until,
            )
        self.http.sleep(pause)

    def _transport_error(self, exc: TransportFailure) -> PlatformError:
        response = exc.response
        if response is not None and response.status_code == 429:
            seconds = self._seconds_to_reset(response)
            retry_at = self.now() + timedelta(seconds=seconds if seconds is not None else 60)
            return RateLimited(f"mastodon: {exc}", status=429, retry_at=retry_at)
        status = response.status_code if response is not None else None
        return PlatformError(f"mastodon: {exc}", status=status)

    def _page(self, url: str, response: httpx.Response, context: dict[str, Any]) -> FetchedPage:
        return FetchedPage(
            url=url,
            status=response.status_code,
            headers=dict(response.headers),
            body=response.content,
            context=context,
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise PlatformError(f"mastodon: unreadable response ({exc})") from exc

    # --- the normaliser ----------------------------------------------------------------

    @staticmethod
    def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
        """Read one page. ``context["endpoint"]`` says which; ``account_external_id`` whose.

        statuses / status / notifications / conversations / context / history pages give
        NormalizedItems; a ``{"error": "Record not found"}`` body for a context, history or
        status read (a 404 kept as evidence) gives a ``deleted_on_platform`` signal.
        """
        try:
            return _normalise(body, context)
        except MalformedPayload:
            raise
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            IndexError,
            RecursionError,
            AssertionError,
            OverflowError,
        ) as exc:
            raise MalformedPayload(
                f"mastodon: unreadable payload ({type(exc).__name__}: {exc})"
            ) from exc


def _unreadable(url: str) -> PlatformError:
    return PlatformError(f"mastodon: unreadable page from {url}; the poll stops here")


def _http_error(response: httpx.Response) -> PlatformError:
    """Map a final non-2xx answer (methods/* document 401, 403, 404, 410, 422)."""
    message = f"HTTP {response.status_code}"
    body = _safe_json(response.content)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = body["error"]
    status = response.status_code
    text = f"mastodon: {message} (HTTP {status})"
    if status == 401:
        return TokenInvalid(text, status=status, code=message)
    if status in (404, 410):
        return NotFound(text, status=status, code=message)
    if 400 <= status < 500:
        return Refused(text, status=status, code=message)
    return PlatformError(text, status=status, code=message)


# --- normalising ------------------------------------------------------------------------


def _normalise(body: bytes, context: dict[str, Any]) -> Normalised:
    if not isinstance(context, dict):
        raise MalformedPayload("mastodon: context is not a mapping")
    endpoint = context.get("endpoint")
    account = _id(context.get("account_external_id")) or ""
    if isinstance(body, (bytes, bytearray)):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPayload(f"mastodon: body is not UTF-8 ({exc})") from exc
    elif isinstance(body, str):
        text = body
    else:
        raise MalformedPayload("mastodon: body is not bytes")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MalformedPayload(f"mastodon: body is not JSON ({exc})") from exc

    if isinstance(data, dict) and "error" in data and "id" not in data:
        status_id = _id(context.get("status_id"))
        if data.get("error") == NOT_FOUND_BODY and endpoint in ("context", "history", "status"):
            if status_id:
                return Normalised(signals=[StateSignal(status_id, "deleted_on_platform")])
        raise MalformedPayload(f"mastodon: error body {str(data.get('error'))[:200]!r}")

    if endpoint == "statuses":
        return _items(_expect_list(data, endpoint), account)
    if endpoint == "status":
        if not isinstance(data, dict):
            raise MalformedPayload("mastodon: status is not an object")
        return _items([data], account)
    if endpoint == "notifications":
        statuses = []
        for notification in _expect_list(data, endpoint):
            if not isinstance(notification, dict):
                raise MalformedPayload("mastodon: notification is not an object")
            status = _notification_status(notification)
            if status is None:
                continue
            # A mention is addressed to us by definition; an edit of a status we boosted
            # counts only when that status concerns us (our boosts are our own records).
            if notification.get("type") == "mention" or _concerns(status, account):
                statuses.append(status)
        return _items(statuses, account)
    if endpoint == "conversations":
        lasts = []
        for conversation in _expect_list(data, endpoint):
            if not isinstance(conversation, dict):
                raise MalformedPayload("mastodon: conversation is not an object")
            if isinstance(conversation.get("last_status"), dict):
                lasts.append(conversation["last_status"])
        return _items(lasts, account)
    if endpoint == "context":
        if not isinstance(data, dict):
            raise MalformedPayload("mastodon: context is not an object")
        focal = _id(context.get("status_id"))
        ancestors = _expect_list(data.get("ancestors", []), "context.ancestors")
        descendants = _expect_list(data.get("descendants", []), "context.descendants")
        extra: dict[str, str | None] = {}
        if focal:
            top = (
                _id(ancestors[-1].get("id"))
                if ancestors and isinstance(ancestors[-1], dict)
                else None
            )
            extra[focal] = top
        return _items([*ancestors, *descendants], account, extra_parents=extra)
    if endpoint == "history":
        return _history(data, context, account)
    raise MalformedPayload(f"mastodon: unknown endpoint {str(endpoint)[:50]!r}")


def _items(
    statuses: list, account: str, *, extra_parents: dict[str, str | None] | None = None
) -> Normalised:
    parents: dict[str, str | None] = dict(extra_parents or {})
    for status in statuses:
        if not isinstance(status, dict):
            raise MalformedPayload("mastodon: status is not an object")
        sid = _id(status.get("id"))
        if sid:
            parents.setdefault(
                sid,
                None
                if isinstance(status.get("reblog"), dict)
                else _id(status.get("in_reply_to_id")),
            )
    out = Normalised()
    seen: set[str] = set()
    for status in statuses:
        item = _status_item(status, account, lambda sid: _root(sid, parents))
        if item is not None and item.platform_id not in seen:
            seen.add(item.platform_id)
            out.items.append(item)
    return out


def _root(status_id: str, parents: dict[str, str | None]) -> str:
    """The top of the thread as far as the page shows: the farthest known ancestor id."""
    current, seen = status_id, set()
    while current in parents and current not in seen:
        seen.add(current)
        parent = parents[current]
        if not parent:
            return current
        current = parent
    return current


def _status_item(
    status: dict, account: str, thread_of: Callable[[str], str]
) -> NormalizedItem | None:
    sid = _id(status.get("id"))
    author = status.get("account")
    if not sid or not isinstance(author, dict) or not _id(author.get("id")):
        raise MalformedPayload("mastodon: status without id or account")
    author_id = _id(author.get("id")) or ""
    own = bool(account) and author_id == account
    reblog = status.get("reblog")
    if isinstance(reblog, dict):
        if not own:
            return None  # someone else's boost: the boosted status is not addressed to us
        return _own_boost(status, sid, author_id, author, reblog)
    visibility = status.get("visibility")
    parent = _id(status.get("in_reply_to_id"))
    kind, direction, record_type = _classify(
        own, visibility, parent, _id(status.get("in_reply_to_account_id")), account
    )
    return NormalizedItem(
        platform_id=sid,
        kind=kind,
        direction=direction,
        record_type=record_type,
        text=_status_text(status),
        author_id=author_id,
        author_name=_author_name(author),
        created_at=_time(status.get("created_at")),
        parent_platform_id=parent,
        thread_platform_id=thread_of(sid),
        edited_at=_time(status.get("edited_at")),
        state="visible",
        url=_str(status.get("url")) or _str(status.get("uri")),
        media=_media(status.get("media_attachments")),
    )


def _own_boost(
    status: dict, sid: str, author_id: str, author: dict, reblog: dict
) -> NormalizedItem:
    original = reblog.get("account") if isinstance(reblog.get("account"), dict) else {}
    acct = _str(original.get("acct")) or "?"
    url = _str(reblog.get("url")) or _str(reblog.get("uri"))
    heading = f"[Boost av @{acct}] {url}".rstrip()
    return NormalizedItem(
        platform_id=sid,
        kind="post",
        direction="upprattad",
        record_type="own_post",
        text=f"{heading}\n\n{_status_text(reblog)}".strip(),
        author_id=author_id,
        author_name=_author_name(author),
        created_at=_time(status.get("created_at")),
        thread_platform_id=sid,
        state="visible",
        url=_str(status.get("url")) or _str(status.get("uri")) or url,
        media=_media(reblog.get("media_attachments")),
    )


def _classify(
    own: bool, visibility: Any, parent: str | None, parent_account: str | None, account: str
) -> tuple[str, str, str]:
    """(kind, direction, record_type) from the status alone, so every page agrees."""
    if own:
        if visibility == "direct":
            return "message", "upprattad", "own_post"
        return ("reply" if parent else "post"), "upprattad", "own_post"
    if visibility == "direct":
        return "message", "inkommen", "direct_message"
    if not parent:
        return "post", "inkommen", "public_comment"  # a resident's own post mentioning us
    if account and parent_account == account:
        return "comment", "inkommen", "public_comment"  # a reply to one of our statuses
    return "reply", "inkommen", "public_comment"  # a reply to someone else in the thread


def _history(data: Any, context: dict[str, Any], account: str) -> Normalised:
    edits = _expect_list(data, "history")
    if not edits:
        return Normalised()
    status_id = _id(context.get("status_id"))
    if not status_id:
        raise MalformedPayload("mastodon: history without status_id in its context")
    versions: list[tuple[str, datetime | None]] = []
    for edit in edits:
        if not isinstance(edit, dict):
            raise MalformedPayload("mastodon: history entry is not an object")
        versions.append((_status_text(edit), _time(edit.get("created_at"))))
    last = edits[-1]
    author = last.get("account") if isinstance(last.get("account"), dict) else {}
    author_id = _id(author.get("id")) or ""
    meta = context.get("status") if isinstance(context.get("status"), dict) else {}
    kind, direction, record_type = _classify(
        bool(account) and author_id == account,
        meta.get("visibility"),
        _id(meta.get("parent_platform_id")),
        _id(meta.get("in_reply_to_account_id")),
        account,
    )
    if meta.get("kind") in ("post", "comment", "reply", "message"):
        kind = meta["kind"]
    if meta.get("direction") in ("inkommen", "upprattad"):
        direction = meta["direction"]
    if meta.get("record_type") in ("public_comment", "direct_message", "own_post"):
        record_type = meta["record_type"]
    return Normalised(
        items=[
            NormalizedItem(
                platform_id=status_id,
                kind=kind,  # type: ignore[arg-type]
                direction=direction,  # type: ignore[arg-type]
                record_type=record_type,  # type: ignore[arg-type]
                text=versions[-1][0],
                author_id=author_id,
                author_name=_author_name(author),
                created_at=_time(meta.get("created_at")) or versions[0][1],
                parent_platform_id=_id(meta.get("parent_platform_id")),
                thread_platform_id=_id(meta.get("thread_platform_id")) or status_id,
                edited_at=versions[-1][1] if len(versions) > 1 else None,
                state="visible",
                url=_str(meta.get("url")),
                media=_media(last.get("media_attachments")),
                history=tuple(versions[:-1]),
            )
        ]
    )


def _history_meta(item: NormalizedItem) -> dict[str, Any]:
    """What a history page needs to stand on its own (kept in its context)."""
    return {
        "kind": item.kind,
        "direction": item.direction,
        "record_type": item.record_type,
        "parent_platform_id": item.parent_platform_id,
        "thread_platform_id": item.thread_platform_id,
        "url": item.url,
        "created_at": _iso(item.created_at) if item.created_at else None,
        "edited_at": _iso(item.edited_at) if item.edited_at else None,
    }


def _notification_status(notification: Any) -> dict | None:
    if not isinstance(notification, dict):
        return None
    if notification.get("type") not in ("mention", "update", "status"):
        return None
    status = notification.get("status")
    return status if isinstance(status, dict) else None


def _concerns(status: dict, account: str) -> bool:
    if not account:
        return False
    if _account_id(status) == account or _id(status.get("in_reply_to_account_id")) == account:
        return True
    mentions = status.get("mentions")
    return isinstance(mentions, list) and any(
        isinstance(m, dict) and _id(m.get("id")) == account for m in mentions
    )


def _status_text(status: dict) -> str:
    """Content warning, a blank line, then the text (``text`` when a delete returned it)."""
    content = status.get("content")
    body = html_to_text(content) if isinstance(content, str) else _str(status.get("text")).strip()
    spoiler = _str(status.get("spoiler_text")).strip()
    return "\n\n".join(part for part in (spoiler, body) if part)


def _author_name(account: dict) -> str:
    return (
        _str(account.get("display_name")).strip()
        or _str(account.get("acct"))
        or _str(account.get("username"))
    )


_MIME_BY_EXTENSION = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
    "webp": "image/webp", "avif": "image/avif", "heic": "image/heic",
    "mp4": "video/mp4", "m4v": "video/mp4", "webm": "video/webm", "mov": "video/quicktime",
    "mp3": "audio/mpeg", "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg",
    "m4a": "audio/mp4", "wav": "audio/wav", "flac": "audio/flac", "aac": "audio/aac",
}  # fmt: skip
# entities/MediaAttachment#type; gifv is served as MP4 ("looping, soundless animation").
_MIME_BY_TYPE = {"image": "image/*", "gifv": "video/mp4", "video": "video/*", "audio": "audio/*"}


def _media(attachments: Any) -> tuple[MediaRef, ...]:
    refs = []
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict):
            continue
        url = _str(attachment.get("url")) or _str(attachment.get("remote_url"))
        if not url:
            continue
        kind = _str(attachment.get("type"))
        extension = url.split("?", 1)[0].rsplit("/", 1)[-1].rpartition(".")[2].lower()
        mime = _MIME_BY_EXTENSION.get(extension, "")
        if not mime or (kind in _MIME_BY_TYPE and kind != "gifv" and not mime.startswith(kind)):
            mime = _MIME_BY_TYPE.get(kind, mime)
        refs.append(MediaRef(url=url, mime_type=mime, platform_id=_id(attachment.get("id")) or ""))
    return tuple(refs)


# --- HTML to text -------------------------------------------------------------------------

_BLOCKS = {
    "p", "div", "blockquote", "pre", "ul", "ol", "dl", "table", "section", "article",
    "header", "footer", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
_LINES = {"br", "li", "dt", "dd", "tr", "figcaption"}
_HIDDEN = {"script", "style", "template", "head", "title"}
_SPACE = " \t\n\r\f\v"


class _TextExtractor(HTMLParser):
    """Mastodon's sanitized HTML as the reader sees it (api/guidelines#formatting).

    Paragraphs become blank-line separated blocks, ``<br>`` a newline, a link its text (the
    ``invisible`` spans included, so a shortened URL comes back whole), entities unescaped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[list[str]] = [[""]]
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self._block()
        elif tag in _LINES:
            self.blocks[-1].append("")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCKS:
            self._block()
        elif tag in _LINES:
            self.blocks[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self._block()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.blocks[-1][-1] += "".join(" " if c in _SPACE else c for c in data)

    def _block(self) -> None:
        if any(line.strip(_SPACE) for line in self.blocks[-1]):
            self.blocks.append([""])
        else:
            self.blocks[-1] = [""]

    def text(self) -> str:
        paragraphs = []
        for lines in self.blocks:
            cleaned = [" ".join(part for part in line.split(" ") if part) for line in lines]
            while cleaned and not cleaned[0]:
                cleaned.pop(0)
            while cleaned and not cleaned[-1]:
                cleaned.pop()
            if cleaned:
                paragraphs.append("\n".join(cleaned))
        return "\n\n".join(paragraphs)


def html_to_text(content: str) -> str:
    """Plain text of a status's HTML ``content``; never raises on odd markup."""
    for source in (content, content.replace("<!", "&lt;!")):
        parser = _TextExtractor()
        try:
            parser.feed(source)
            parser.close()
        except AssertionError:  # html.parser's marked-section checks (``<![foo[``)
            continue
        return parser.text()
    return " ".join(content.split())  # unreachable in practice: no "<!" left to trip on


# --- Link headers and ids -----------------------------------------------------------------


def parse_link_header(value: str) -> dict[str, str]:
    """``<url>; rel="next", <url>; rel="prev"`` → {"next": url, "prev": url}."""
    links: dict[str, str] = {}
    for part in _split_outside_brackets(value or ""):
        target, _, params = part.partition(">")
        url = target.strip().removeprefix("<").strip()
        if not url:
            continue
        for param in params.split(";"):
            name, _, rel = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for relation in rel.strip().strip('"').split():
                    links.setdefault(relation.lower(), url)
    return links


def _split_outside_brackets(value: str) -> list[str]:
    parts, current, depth = [], [], 0
    for char in value:
        if char == "<":
            depth += 1
        elif char == ">":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _link_cursor(link: str | None) -> str | None:
    """The id a ``rel="prev"`` link pages forward from (``min_id``, or ``since_id``)."""
    if not link:
        return None
    params = httpx.URL(link).params
    return params.get("min_id") or params.get("since_id") or None


def _data_cursor(items: list, context: dict[str, Any]) -> str | None:
    """Fallback when a page carries no ``prev`` link: the newest id the page itself shows."""
    if context.get("endpoint") == "conversations":
        ids = [
            _id(c["last_status"].get("id"))
            for c in items
            if isinstance(c, dict) and isinstance(c.get("last_status"), dict)
        ]
    else:
        ids = [_id(i.get("id")) for i in items if isinstance(i, dict)]
    return max((i for i in ids if i), key=id_key, default=None)


def id_key(value: str) -> tuple[int, str]:
    """Mastodon ids sort as numbers in strings: longer is newer, then lexically (guidelines#id)."""
    return (len(value), value)


def max_id(a: str | None, b: str | None) -> str | None:
    return max((x for x in (a, b) if x), key=id_key, default=None)


def _bounded(mapping: dict[str, Any], size: int) -> dict[str, Any]:
    return {k: mapping[k] for k in sorted(mapping, key=id_key)[-size:]}


def _store_pending(state: dict, history: dict[str, dict], context: list[str]) -> None:
    state["pending_history"] = _bounded(history, MAX_PENDING)
    state["pending_context"] = sorted(context, key=id_key)[-MAX_PENDING:]


def _drop(state: dict, pending_context: list[str], status_id: str) -> None:
    if status_id in pending_context:
        pending_context.remove(status_id)
    state["pending_context"] = list(pending_context)


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _path_id(value: Any) -> str:
    return quote(str(value), safe="")


def _account_id(status: dict) -> str | None:
    account = status.get("account")
    return _id(account.get("id")) if isinstance(account, dict) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _time(value: Any) -> datetime | None:
    """Mastodon datetimes (``2019-12-05T11:34:47.196Z``) as aware UTC; None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _list(body: Any) -> list:
    return body if isinstance(body, list) else []


def _expect_list(data: Any, what: str) -> list:
    if not isinstance(data, list):
        raise MalformedPayload(f"mastodon: {what} is not a list")
    return data


def _safe_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _reply_mentions(parent: dict, account: str) -> list[str]:
    """The accounts Mastodon's composer mentions in a reply: the author, then those mentioned."""
    accts: list[str] = []
    author = parent.get("account") if isinstance(parent.get("account"), dict) else {}
    candidates = [author, *(m for m in parent.get("mentions") or [] if isinstance(m, dict))]
    for candidate in candidates:
        acct = _str(candidate.get("acct"))
        if acct and _id(candidate.get("id")) != str(account) and acct not in accts:
            accts.append(acct)
    return accts


def _with_mentions(text: str, accts: list[str]) -> str:
    named = {word.rstrip(".,:;!?)").lower() for word in text.split()}
    missing = [f"@{acct}" for acct in accts if f"@{acct}".lower() not in named]
    return " ".join([*missing, text]) if missing else text
