"""Bluesky through XRPC on the account's PDS: polling, re-reads, replies, hiding, deleting.

Written from the lexicons (bluesky-social/atproto ``lexicons/``) and docs.bsky.app
(HTTP reference, "Rate Limits", app passwords). Paths are ``{base}/xrpc/{nsid}``.

Sessions
--------
The stored (Fernet-encrypted) credential is an **app password**. ``createSession`` trades it,
with the account's handle, for an access JWT (about two hours) and a refresh JWT (about ninety
days). Neither JWT is ever written anywhere: the poll state lives in the database in clear, and
a refresh token there would be a second, longer-lived credential outside the encrypted store.
They are kept in this process's memory instead (``_SESSIONS``, keyed by PDS, handle and a
hash of the app password), so a long-running worker signs in once, not once per poll
(createSession is limited to 30 per 5 minutes and 300 per day per account). An ``ExpiredToken``
answer is met with ``refreshSession`` and the request repeated once; when the refresh fails
too, a new ``createSession``; when that is refused (``AuthenticationRequired``: the app password
was revoked, or the account taken down) the client raises ``TokenInvalid`` and capture stops
the account and alerts the samordnare.

The session's DID document names the account's PDS (``#atproto_pds``); requests after sign-in
go there, as the protocol requires, when it is an https address or the configured one.

What one poll reads
-------------------
1. ``app.bsky.feed.getAuthorFeed?actor=<did>&filter=posts_with_replies&limit=100``: the
   account's posts and replies, newest first, by ``cursor``.
2. ``app.bsky.notification.listNotifications?limit=100&reasons=reply,mention,quote``: what
   residents addressed to the account, newest first, by ``cursor``. A reply in one of our
   threads queues that thread.
3. ``app.bsky.feed.getPostThread?uri=<root>&depth=1000&parentHeight=0`` for our root posts of
   the last ``THREAD_DAYS`` (and for every root on a full pass, and for threads queued by a
   notification): every reply in the tree, whether or not it notified us (Bluesky notifies the
   authors of a reply's five nearest ancestors only), with the threadgate's ``hiddenReplies``.

Incremental polls walk each list until a page reaches what the last complete walk saw (the
newest ``indexedAt``, kept as ``feed_newest`` / ``notif_newest``); a full pass walks to the
end, so anything missing from it can be re-read with ``getPosts`` (``refetch``) and, if gone,
marked ``deleted_on_platform``. A deleted reply also shows as a ``notFoundPost`` in a thread,
and a deleted root as a 400 ``NotFound`` from getPostThread; both pages are kept as evidence.

Rate limits
-----------
Every response carries ``RateLimit-Limit``, ``-Remaining``, ``-Reset`` (epoch seconds) and
``-Policy``. A 429 ``RateLimitExceeded`` is retried by the seam after the reset when that is
near, otherwise ``RateLimited`` with ``retry_at`` = the reset. Below a tenth of the limit the
client spreads the remaining requests over the rest of the window (as for Mastodon; both
through ``responses.RateLimitPacing``).

Moderation
----------
Replies live in their authors' repositories, so nobody can delete someone else's reply. The
owner of a thread can hide replies in it for everyone: ``set_hidden`` rewrites the root's
``app.bsky.feed.threadgate`` record (rkey = the root's rkey, in our repository) with the reply
added to or removed from ``hiddenReplies`` (at most 300), keeping its ``allow`` rules, with
``swapRecord`` so a concurrent change is not overwritten. Replies are
``app.bsky.feed.post`` records with ``reply: {root, parent}`` strong refs; their rkey is a TID
derived from the inbox's idempotency key, so a retried reply finds the first one instead of
posting twice. ``delete`` removes the account's own posts only (``deleteRecord``).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from insyn.lib.http import HttpSeam, TransportFailure

from ..base import (
    Connection,
    FetchedPage,
    MalformedPayload,
    NotFound,
    Platform,
    PlatformError,
    RateLimited,
    TokenInvalid,
)
from ..readers import parse_time
from ..responses import (
    RateLimitPacing,
    fetched_page,
    int_or_none,
    response_json,
    safe_json,
    unreadable_page,
)
from . import normalise as reader

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
PAGE_LIMIT = 100  # getAuthorFeed and listNotifications: 1-100
THREAD_DEPTH = 1000  # getPostThread depth: 0-1000
THREAD_DAYS = 7
MAX_RECENT = 200
MAX_PENDING = 1000
MAX_PAGES = 10_000
MAX_HIDDEN = 300  # app.bsky.feed.threadgate#hiddenReplies
MAX_GRAPHEMES = 300  # app.bsky.feed.post#text
REASONS = ("reply", "mention", "quote")
SESSION_ERRORS = ("ExpiredToken", "InvalidToken")
ACCOUNT_GONE = ("AccountTakedown", "AccountDeactivated", "AccountSuspended", "AccountNotFound")
S32 = "234567abcdefghijklmnopqrstuvwxyz"
_URL_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


class Refused(PlatformError):
    """A request Bluesky will never grant as asked (bad input, blocked, not ours to change)."""

    permanent = True


@dataclass
class _Session:
    access: str
    refresh: str
    did: str
    pds: str


_SESSIONS: dict[tuple[str, str, str], _Session] = {}
_SESSIONS_LOCK = threading.Lock()


def forget_sessions() -> None:
    """Drop every session this process holds (tests; an operator after rotating passwords)."""
    with _SESSIONS_LOCK:
        _SESSIONS.clear()


def tid_for_key(key: str) -> str:
    """A record key in TID syntax, fixed by the idempotency key (top bit zero, 13 characters)."""
    value = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") & ((1 << 63) - 1)
    out = []
    for _ in range(13):
        out.append(S32[value & 31])
        value >>= 5
    return "".join(reversed(out))


class Bluesky(RateLimitPacing, Platform):
    """One Bluesky account: ``external_id`` its DID, ``handle`` its handle, ``base_url`` its PDS,
    ``token`` an app password."""

    name = "bluesky"
    thread_days = THREAD_DAYS
    ratelimit_prefix = "ratelimit-"
    default_limit = 3000
    rate_limited_code = "RateLimitExceeded"

    def __init__(
        self, connection: Connection, http: HttpSeam, *, now: Callable[[], datetime] | None = None
    ):
        super().__init__(connection, http)
        self.now = now or (lambda: datetime.now(UTC))
        self._pause = 0.0
        self._pause_until: datetime | None = None

    normalise = staticmethod(reader.normalise)

    # --- account -----------------------------------------------------------------------

    def verify_credentials(self) -> dict[str, Any]:
        data = self._json(self._call("GET", "com.atproto.server.getSession"))
        if not isinstance(data, dict):
            raise PlatformError("bluesky: getSession: unexpected response")
        expected = self.connection.external_id
        if expected and data.get("did") != expected:
            raise Refused(
                f"the app password belongs to {data.get('did')} (@{data.get('handle')}), not to {expected}"
            )
        return data

    # --- polling -----------------------------------------------------------------------

    def poll(self, state: dict[str, Any], *, full: bool = False) -> Iterator[FetchedPage]:
        """Yield the account's pages (module docstring). ``state`` (JSON, updated before each
        page is handed over): ``feed_newest``, ``notif_newest`` (the newest ``indexedAt`` of the
        last complete walk), ``recent_roots`` {root uri: createdAt} whose threads are re-read,
        ``pending_threads`` queued by notifications. A page that cannot be read is handed over
        (kept, quarantined) and the poll stops with a temporary ``PlatformError``."""
        account = self._did()
        own_roots: dict[str, str] = {}
        pending: list[str] = [u for u in state.get("pending_threads") or [] if isinstance(u, str)]

        def on_feed(body: dict) -> None:
            for entry in body.get("feed") or []:
                post = entry.get("post") if isinstance(entry, dict) else None
                if not isinstance(post, dict) or not isinstance(post.get("record"), dict):
                    continue
                reason = entry.get("reason")
                if isinstance(reason, dict) and str(reason.get("$type", "")).endswith(
                    "#reasonRepost"
                ):
                    continue
                uri = post.get("uri")
                author = post.get("author") if isinstance(post.get("author"), dict) else {}
                if (
                    isinstance(uri, str)
                    and author.get("did") == account
                    and not post["record"].get("reply")
                ):
                    own_roots[uri] = str(
                        post["record"].get("createdAt") or post.get("indexedAt") or ""
                    )
            state["recent_roots"] = self._recent(state.get("recent_roots"), own_roots)

        yield from self._walk(
            state,
            "feed_newest",
            "app.bsky.feed.getAuthorFeed",
            [("actor", account), ("filter", "posts_with_replies"), ("limit", str(PAGE_LIMIT))],
            "feed",
            {"endpoint": "author_feed"},
            full=full,
            on_page=on_feed,
        )

        def on_notifications(body: dict) -> None:
            for notification in body.get("notifications") or []:
                if not isinstance(notification, dict) or notification.get("reason") != "reply":
                    continue
                record = (
                    notification.get("record")
                    if isinstance(notification.get("record"), dict)
                    else {}
                )
                root = (
                    ((record.get("reply") or {}).get("root") or {}).get("uri")
                    if isinstance(record.get("reply"), dict)
                    else None
                )
                if (
                    isinstance(root, str)
                    and root.startswith(f"at://{account}/{POST}/")
                    and root not in pending
                ):
                    pending.append(root)
            state["pending_threads"] = pending[-MAX_PENDING:]

        yield from self._walk(
            state,
            "notif_newest",
            "app.bsky.notification.listNotifications",
            [("limit", str(PAGE_LIMIT)), *(("reasons", r) for r in REASONS)],
            "notifications",
            {"endpoint": "notifications"},
            full=full,
            on_page=on_notifications,
        )

        recent = dict(state.get("recent_roots") or {})
        roots = sorted(set(pending) | set(recent) | (set(own_roots) if full else set()))
        for uri in roots:
            params = [("uri", uri), ("depth", str(THREAD_DEPTH)), ("parentHeight", "0")]
            response = self._call(
                "GET", "app.bsky.feed.getPostThread", params, allow_not_found=True
            )
            page = self._page(
                "app.bsky.feed.getPostThread", params, response, {"endpoint": "thread", "uri": uri}
            )
            if uri in pending:
                pending.remove(uri)
            state["pending_threads"] = list(pending)
            body = safe_json(response.content)
            if response.status_code != 200:
                state["recent_roots"] = {
                    k: v for k, v in (state.get("recent_roots") or {}).items() if k != uri
                }
            yield page
            if response.status_code == 200 and not (
                isinstance(body, dict) and isinstance(body.get("thread"), dict)
            ):
                raise _unreadable(page.url)

    def _walk(
        self,
        state: dict,
        key: str,
        nsid: str,
        params: list[tuple[str, str]],
        list_key: str,
        context: dict,
        *,
        full: bool,
        on_page: Callable[[dict], None],
    ) -> Iterator[FetchedPage]:
        """Walk one newest-first list by ``cursor``: to its end on a full pass (or without a
        mark), else until a page reaches the mark. The mark moves only after a complete walk."""
        mark = None if full else state.get(key)
        newest: str | None = None
        cursor: str | None = None
        seen_cursors: set[str] = set()
        for _ in range(MAX_PAGES):
            query = [*params, ("cursor", cursor)] if cursor else list(params)
            response = self._call("GET", nsid, query)
            page = self._page(nsid, query, response, dict(context))
            body = safe_json(response.content)
            entries = body.get(list_key) if isinstance(body, dict) else None
            if not isinstance(entries, list):
                yield page
                raise _unreadable(page.url)
            times = [t for e in entries if (t := _indexed_at(e))]
            if times and (newest is None or max(times) > newest):
                newest = max(times)
            on_page(body)
            next_cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            reached = bool(mark) and any(t <= mark for t in times)
            done = not entries or not next_cursor or reached or next_cursor in seen_cursors
            if done and newest and (not state.get(key) or newest > state[key]):
                state[key] = newest
            yield page
            if done:
                return
            seen_cursors.add(next_cursor)
            cursor = next_cursor

    def _recent(self, previous: Any, own: dict[str, str]) -> dict[str, str]:
        horizon = self.now() - timedelta(days=self.thread_days)
        merged = {**(previous if isinstance(previous, dict) else {}), **own}
        kept = {
            k: v for k, v in merged.items() if (t := parse_time(v)) is not None and t >= horizon
        }
        newest = sorted(kept, key=lambda k: kept[k])[-MAX_RECENT:]
        return {k: kept[k] for k in sorted(newest)}

    def refetch(self, platform_id: str) -> FetchedPage:
        """Re-read one post (``getPosts``); ``NotFound`` when Bluesky no longer has it."""
        params = [("uris", platform_id)]
        response = self._call("GET", "app.bsky.feed.getPosts", params)
        body = self._json(response)
        posts = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(posts, list):
            raise PlatformError("bluesky: getPosts: unexpected response")
        if not any(isinstance(p, dict) and p.get("uri") == platform_id for p in posts):
            raise NotFound(f"bluesky: {platform_id} no longer exists", code="NotFound")
        return self._page(
            "app.bsky.feed.getPosts", params, response, {"endpoint": "posts", "uris": [platform_id]}
        )

    # --- answering and moderating --------------------------------------------------------

    def pages_before_moderation(self, platform_id: str) -> Iterator[FetchedPage]:
        """The post as it is now, for the archive before it is hidden or deleted (``NotFound``
        when it is already gone). Hiding destroys nothing on Bluesky, but a deletion does."""
        yield self.refetch(platform_id)

    def reply(self, parent_platform_id: str, text: str, *, idempotency_key: str) -> str:
        if _graphemes(text) > MAX_GRAPHEMES:
            raise Refused(
                f"bluesky: a post holds at most {MAX_GRAPHEMES} characters ({_graphemes(text)} given)"
            )
        parent = self._post_view(parent_platform_id)
        record = parent.get("record") if isinstance(parent.get("record"), dict) else {}
        parent_ref = {"uri": parent_platform_id, "cid": parent.get("cid")}
        root_ref = (
            (record.get("reply") or {}).get("root")
            if isinstance(record.get("reply"), dict)
            else None
        )
        if not (isinstance(root_ref, dict) and root_ref.get("uri") and root_ref.get("cid")):
            root_ref = parent_ref
        account, rkey = self._did(), tid_for_key(idempotency_key)
        value: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": _iso(self.now()),
            "langs": ["sv"],
            "reply": {
                "root": {"uri": root_ref["uri"], "cid": root_ref["cid"]},
                "parent": parent_ref,
            },
        }
        facets = _link_facets(text)
        if facets:
            value["facets"] = facets
        try:
            created = self._json(
                self._call(
                    "POST",
                    "com.atproto.repo.createRecord",
                    body={"repo": account, "collection": POST, "rkey": rkey, "record": value},
                )
            )
        except Refused:
            # A retry after a lost answer: the record with this key is the reply we already made.
            existing = self._get_record(account, POST, rkey)
            if (
                existing
                and ((existing.get("value") or {}).get("reply") or {}).get("parent", {}).get("uri")
                == parent_platform_id
            ):
                return str(existing["uri"])
            raise
        uri = created.get("uri") if isinstance(created, dict) else None
        if not isinstance(uri, str):
            raise PlatformError("bluesky: createRecord: the answer has no uri")
        return uri

    def set_hidden(self, platform_id: str, hidden: bool) -> None:
        """Hide (or show again) a reply in one of our threads, through the root's threadgate."""
        account = self._did()
        view = self._post_view(platform_id)
        record = view.get("record") if isinstance(view.get("record"), dict) else {}
        root = (
            ((record.get("reply") or {}).get("root") or {}).get("uri")
            if isinstance(record.get("reply"), dict)
            else None
        )
        if not isinstance(root, str):
            raise Refused(
                "bluesky: only replies can be hidden; a post of its own can only be reported or blocked"
            )
        root_parts = reader._post_uri(root)
        if not root_parts or root_parts[0] != account:
            raise Refused(
                "bluesky: replies can be hidden only in the account's own threads; this thread belongs to "
                f"{root_parts[0] if root_parts else root}"
            )
        if reader._did_of(platform_id) == account:
            raise Refused("bluesky: the account's own replies are deleted, not hidden")
        rkey = root_parts[2]
        for _attempt in range(3):
            gate = self._get_record(account, THREADGATE, rkey)
            value = dict(gate["value"]) if gate and isinstance(gate.get("value"), dict) else None
            current = [u for u in (value or {}).get("hiddenReplies") or [] if isinstance(u, str)]
            if hidden:
                wanted = current if platform_id in current else [*current, platform_id]
            else:
                wanted = [u for u in current if u != platform_id]
            if wanted == current and (value is not None or not hidden):
                return  # already as asked
            if len(wanted) > MAX_HIDDEN:
                raise Refused(f"bluesky: a thread can hide at most {MAX_HIDDEN} replies")
            try:
                if value is None:
                    self._call(
                        "POST",
                        "com.atproto.repo.createRecord",
                        body={
                            "repo": account,
                            "collection": THREADGATE,
                            "rkey": rkey,
                            "record": {
                                "$type": THREADGATE,
                                "post": root,
                                "createdAt": _iso(self.now()),
                                "hiddenReplies": wanted,
                            },
                        },
                    )
                else:
                    value.update({"$type": THREADGATE, "hiddenReplies": wanted})
                    self._call(
                        "POST",
                        "com.atproto.repo.putRecord",
                        body={
                            "repo": account,
                            "collection": THREADGATE,
                            "rkey": rkey,
                            "record": value,
                            "swapRecord": gate.get("cid"),
                        },
                    )
                return
            except Refused as exc:
                if exc.code not in ("InvalidSwap", "InvalidRequest"):
                    raise
                # Someone changed the threadgate between our read and write: read it again.
        raise PlatformError("bluesky: the threadgate kept changing; try again")

    def delete(self, platform_id: str) -> None:
        parts = reader._post_uri(platform_id)
        if not parts or parts[0] != self._did():
            raise Refused(
                "bluesky: only the account's own posts can be deleted; hide the reply in our thread, "
                "or block or report its author"
            )
        self._post_view(platform_id)  # NotFound when it is already gone
        self._call(
            "POST",
            "com.atproto.repo.deleteRecord",
            body={"repo": parts[0], "collection": POST, "rkey": parts[2]},
        )

    def _post_view(self, uri: str) -> dict:
        body = self._json(self._call("GET", "app.bsky.feed.getPosts", [("uris", uri)]))
        for post in (body.get("posts") if isinstance(body, dict) else None) or []:
            if isinstance(post, dict) and post.get("uri") == uri:
                return post
        raise NotFound(f"bluesky: {uri} no longer exists", code="NotFound")

    def _get_record(self, repo: str, collection: str, rkey: str) -> dict | None:
        try:
            data = self._json(
                self._call(
                    "GET",
                    "com.atproto.repo.getRecord",
                    [("repo", repo), ("collection", collection), ("rkey", rkey)],
                )
            )
        except NotFound:
            return None
        return data if isinstance(data, dict) else None

    # --- sessions ----------------------------------------------------------------------

    def _did(self) -> str:
        return self.connection.external_id or self._session().did

    def _key(self) -> tuple[str, str, str]:
        c = self.connection
        return (
            c.base_url.rstrip("/"),
            (c.handle or c.external_id).lstrip("@").lower(),
            hashlib.sha256(c.token.encode()).hexdigest(),
        )

    def _session(self) -> _Session:
        with _SESSIONS_LOCK:
            session = _SESSIONS.get(self._key())
        return session or self._create_session()

    def _create_session(self) -> _Session:
        c = self.connection
        base = c.base_url.rstrip("/")
        response = self._send(
            "POST",
            f"{base}/xrpc/com.atproto.server.createSession",
            json={"identifier": (c.handle or c.external_id).lstrip("@"), "password": c.token},
        )
        if response.status_code >= 300:
            error = _error(response)
            if response.status_code == 401 or isinstance(error, TokenInvalid):
                raise TokenInvalid(
                    f"bluesky: sign-in with the app password refused: {error}",
                    status=response.status_code,
                    code=error.code,
                )
            raise error
        data = self._json(response)
        session = self._store_session(data, base)
        if c.external_id and session.did != c.external_id:
            raise Refused(
                f"bluesky: the app password belongs to {session.did}, not to {c.external_id}"
            )
        return session

    def _refresh_session(self, session: _Session) -> _Session:
        response = self._send(
            "POST",
            f"{session.pds}/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {session.refresh}"},
        )
        if response.status_code >= 300:
            self._drop_session()
            return self._create_session()
        return self._store_session(self._json(response), self.connection.base_url.rstrip("/"))

    def _store_session(self, data: Any, base: str) -> _Session:
        if not isinstance(data, dict) or not all(
            isinstance(data.get(k), str) for k in ("accessJwt", "refreshJwt", "did")
        ):
            raise PlatformError("bluesky: the session answer lacks its tokens")
        session = _Session(
            data["accessJwt"], data["refreshJwt"], data["did"], _pds(data.get("didDoc"), base)
        )
        with _SESSIONS_LOCK:
            _SESSIONS[self._key()] = session
        return session

    def _drop_session(self) -> None:
        with _SESSIONS_LOCK:
            _SESSIONS.pop(self._key(), None)

    # --- HTTP --------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        nsid: str,
        params: list[tuple[str, str]] | None = None,
        *,
        body: dict | None = None,
        allow_not_found: bool = False,
    ) -> httpx.Response:
        """One XRPC call with the session; an expired session is renewed and the call repeated once."""
        session = self._session()
        for attempt in range(2):
            url = _url(session.pds, nsid, params or [])
            kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {session.access}"}}
            if body is not None:
                kwargs["json"] = body
            response = self._send(method, url, **kwargs)
            if response.status_code < 300:
                return response
            error = _error(response)
            if (
                attempt == 0
                and (isinstance(error, TokenInvalid) or error.code in SESSION_ERRORS)
                and error.code not in ACCOUNT_GONE
            ):
                session = self._refresh_session(session)
                continue
            if allow_not_found and isinstance(error, NotFound):
                return response
            raise error
        raise TokenInvalid("bluesky: the renewed session was refused too", code="InvalidToken")

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self._wait_for_quota()
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        try:
            response = self.http.request(
                method, url, retry_after=self._retry_after, headers=headers, **kwargs
            )
        except TransportFailure as exc:
            raise self._transport_error(exc) from exc
        self._note_quota(response)
        return response

    def _seconds_until_reset(self, value: str | None, server_now: datetime) -> float | None:
        reset = int_or_none(value)  # RateLimit-Reset is in epoch seconds
        return None if reset is None else reset - server_now.timestamp()

    def _page(
        self,
        nsid: str,
        params: list[tuple[str, str]],
        response: httpx.Response,
        context: dict[str, Any],
    ) -> FetchedPage:
        return fetched_page(
            _url(self.connection.base_url.rstrip("/"), nsid, params), response, context
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        return response_json("bluesky", response)


# --- helpers ------------------------------------------------------------------------------


def _error(response: httpx.Response) -> PlatformError:
    """An XRPC error object as the matching PlatformError."""
    body = safe_json(response.content)
    name = (
        body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else ""
    )
    message = (
        body.get("message")
        if isinstance(body, dict) and isinstance(body.get("message"), str)
        else ""
    )
    status = response.status_code
    text = f"bluesky: {name or 'HTTP ' + str(status)}: {message or response.reason_phrase} (HTTP {status})"
    if name in ACCOUNT_GONE or status == 401 or name in ("AuthMissing", "AuthenticationRequired"):
        return TokenInvalid(text, status=status, code=name or None)
    if name in SESSION_ERRORS:
        return TokenInvalid(text, status=status, code=name)
    if status == 429 or name == "RateLimitExceeded":
        return RateLimited(text, status=status, code=name or None)
    if name in reader.NOT_FOUND_ERRORS or status in (404, 410):
        return NotFound(text, status=status, code=name or None)
    if 400 <= status < 500:
        return Refused(text, status=status, code=name or None)
    return PlatformError(text, status=status, code=name or None)


def _pds(did_doc: Any, base: str) -> str:
    """The account's PDS from its DID document, when it is https or the configured address."""
    services = did_doc.get("service") if isinstance(did_doc, dict) else None
    for service in services if isinstance(services, list) else []:
        if not isinstance(service, dict) or not str(service.get("id", "")).endswith("#atproto_pds"):
            continue
        endpoint = service.get("serviceEndpoint")
        if isinstance(endpoint, str) and (
            endpoint.startswith("https://") or endpoint.rstrip("/") == base
        ):
            return endpoint.rstrip("/")
    return base


def _url(base: str, nsid: str, params: list[tuple[str, str]]) -> str:
    query = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in params)
    return f"{base}/xrpc/{nsid}" + (f"?{query}" if query else "")


def _indexed_at(entry: Any) -> str | None:
    """A list entry's ``indexedAt`` (a feed entry's post's), normalised to sort as text."""
    if not isinstance(entry, dict):
        return None
    source = entry.get("post") if isinstance(entry.get("post"), dict) else entry
    t = parse_time(source.get("indexedAt"))
    return _iso(t) if t else None


def _iso(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _unreadable(url: str) -> PlatformError:
    return unreadable_page("bluesky", url)


def _graphemes(text: str) -> int:
    import unicodedata

    return sum(1 for ch in text if not unicodedata.combining(ch) and ch not in "\u200d\ufe0f\ufe0e")


def _link_facets(text: str) -> list[dict]:
    """Links in a reply made clickable: Bluesky renders only what a facet marks (byte offsets)."""
    facets = []
    for match in _URL_RE.finditer(text):
        start = len(text[: match.start()].encode())
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": start + len(match.group(0).encode())},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": match.group(0)}],
            }
        )
    return facets


__all__ = ["Bluesky", "MalformedPayload", "Refused", "forget_sessions", "tid_for_key"]
