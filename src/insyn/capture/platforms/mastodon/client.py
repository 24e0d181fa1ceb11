"""The Mastodon client: one account's statuses, mentions, threads, direct messages and edit
history, polled over the HTTP seam, and the verbs ``reply`` and ``delete``. Written
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

Rate limits (api/rate-limits: 300 requests per 5 minutes per account, ``X-RateLimit-Reset``
an ISO 8601 time) are paced by ``responses.RateLimitPacing``: a 429 is retried by the seam
after the reset, and below a tenth of the limit the remaining requests are spread over the
rest of the window.

The normaliser (own boosts, who wrote what, edit histories) is ``normalise``; ``paging`` reads
Link headers and orders ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from insyn.lib.http import HttpSeam, TransportFailure

from ..base import (
    Connection,
    FetchedPage,
    MalformedPayload,
    Normalised,
    NotFound,
    Platform,
    PlatformError,
    TokenInvalid,
)
from ..responses import (
    RateLimitPacing,
    fetched_page,
    response_json,
    safe_json,
    unreadable_page,
)
from . import normalise as _normalise
from .normalise import (
    account_id_of,
    as_id,
    as_str,
    history_meta,
    notification_status,
    parse_time,
    to_iso,
)
from .paging import data_cursor, id_key, link_cursor, max_id, parse_link_header

STATUSES_LIMIT = 40  # methods/accounts#statuses: default 20, max 40
NOTIFICATIONS_LIMIT = 80  # methods/notifications: default 40, max 80 (since 4.1)
CONVERSATIONS_LIMIT = 40  # methods/conversations: default 20, max 40
NOTIFICATION_TYPES = ("mention", "update")
CONTEXT_DAYS = 7
MAX_RECENT = 200
MAX_EDITS_SEEN = 5000
MAX_PENDING = 1000
MAX_PAGES = 10_000  # a guard against a server whose links go round in circles
VISIBILITIES = ("public", "unlisted", "private", "direct")


class Refused(PlatformError):
    """A request Mastodon will never grant as asked (403, 422, other 4xx, a missing verb)."""

    permanent = True


# --- the client --------------------------------------------------------------------------


class Mastodon(RateLimitPacing, Platform):
    """One Mastodon account (``connection.external_id``) on its instance (``base_url``)."""

    name = "mastodon"
    context_days = CONTEXT_DAYS
    ratelimit_prefix = "x-ratelimit-"  # api/rate-limits
    default_limit = 300

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
        return fetched_page(url, response, {"endpoint": "status"})

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
        new_id = as_id(created.get("id")) if isinstance(created, dict) else None
        if not new_id:
            raise PlatformError("reply: the created status has no id")
        return new_id

    def delete(self, platform_id: str) -> None:
        """Delete one of the account's own statuses (Mastodon deletes nothing else)."""
        url = self._url(f"/api/v1/statuses/{_path_id(platform_id)}")
        status = self._json(self._request("GET", url))
        author = status.get("account") if isinstance(status, dict) else None
        author_id = as_id(author.get("id")) if isinstance(author, dict) else None
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
                if (sid := as_id(s.get("id"))) and parse_time(s.get("edited_at")) is not None
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
                seen = parse_time(edits_seen.get(item.platform_id))
                if seen is None or item.edited_at > seen:
                    pending_history[item.platform_id] = history_meta(item)
            _store_pending(state, pending_history, pending_context)

        # 1. own statuses
        def own_statuses(page: FetchedPage, body: Any) -> None:
            statuses = [s for s in _list(body) if isinstance(s, dict)]
            for s in statuses:
                sid, author = as_id(s.get("id")), account_id_of(s)
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
            note_edits(page, [n["status"] for n in _list(body) if notification_status(n)])

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
                sid = as_id(last.get("id"))
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
            page = fetched_page(url, response, {"endpoint": "context", "status_id": sid})
            _drop(state, pending_context, sid)
            if response.status_code == 404:
                state["recent_own"] = {k: v for k, v in recent.items() if k != sid}
                recent = state["recent_own"]
            else:
                body = safe_json(response.content)
                thread = [
                    s
                    for part in ("ancestors", "descendants")
                    for s in (body.get(part) if isinstance(body, dict) else None) or []
                    if isinstance(s, dict)
                ]
                covered.update(
                    sid2
                    for s in (body.get("descendants") or [] if isinstance(body, dict) else [])
                    if isinstance(s, dict) and (sid2 := as_id(s.get("id")))
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
            page = fetched_page(
                url, response, {"endpoint": "history", "status_id": sid, "status": meta}
            )
            body = safe_json(response.content)
            readable = response.status_code == 404 or isinstance(body, list)
            if response.status_code != 404 and readable:
                newest = parse_time(meta.get("edited_at"))
                if body and isinstance(body[-1], dict):
                    last = parse_time(body[-1].get("created_at"))
                    newest = max(filter(None, (newest, last)), default=None)
                if newest is not None:
                    edits_seen[sid] = to_iso(newest)
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
        kept = {
            k: v for k, v in merged.items() if (t := parse_time(v)) is not None and t >= horizon
        }
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
            page = fetched_page(url, response, dict(context))
            body = safe_json(response.content)
            items = _list(body)
            links = parse_link_header(response.headers.get("link", ""))
            page_cursor = link_cursor(links.get("prev")) or data_cursor(items, context)
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

    def _seconds_until_reset(self, value: str | None, server_now: datetime) -> float | None:
        reset = parse_time(value)  # X-RateLimit-Reset is an ISO 8601 time
        return None if reset is None else (reset - server_now).total_seconds()

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        return response_json("mastodon", response)

    @staticmethod
    def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
        """Read one page: see ``normalise.normalise``."""
        return _normalise.normalise(body, context)


def _unreadable(url: str) -> PlatformError:
    return unreadable_page("mastodon", url)


def _http_error(response: httpx.Response) -> PlatformError:
    """Map a final non-2xx answer (methods/* document 401, 403, 404, 410, 422)."""
    message = f"HTTP {response.status_code}"
    body = safe_json(response.content)
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


# --- poll state and requests -------------------------------------------------------------


def _bounded(mapping: dict[str, Any], size: int) -> dict[str, Any]:
    return {k: mapping[k] for k in sorted(mapping, key=id_key)[-size:]}


def _store_pending(state: dict, history: dict[str, dict], context: list[str]) -> None:
    state["pending_history"] = _bounded(history, MAX_PENDING)
    state["pending_context"] = sorted(context, key=id_key)[-MAX_PENDING:]


def _drop(state: dict, pending_context: list[str], status_id: str) -> None:
    if status_id in pending_context:
        pending_context.remove(status_id)
    state["pending_context"] = list(pending_context)


def _path_id(value: Any) -> str:
    return quote(str(value), safe="")


def _list(body: Any) -> list:
    return body if isinstance(body, list) else []


def _reply_mentions(parent: dict, account: str) -> list[str]:
    """The accounts Mastodon's composer mentions in a reply: the author, then those mentioned."""
    accts: list[str] = []
    author = parent.get("account") if isinstance(parent.get("account"), dict) else {}
    candidates = [author, *(m for m in parent.get("mentions") or [] if isinstance(m, dict))]
    for candidate in candidates:
        acct = as_str(candidate.get("acct"))
        if acct and as_id(candidate.get("id")) != str(account) and acct not in accts:
            accts.append(acct)
    return accts


def _with_mentions(text: str, accts: list[str]) -> str:
    named = {word.rstrip(".,:;!?)").lower() for word in text.split()}
    missing = [f"@{acct}" for acct in accts if f"@{acct}".lower() not in named]
    return " ".join([*missing, text]) if missing else text
