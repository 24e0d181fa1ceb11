"""Blogs: the authority's own posts and the comments on them, over the WordPress REST API or
over RSS 2.0 / Atom feeds. Written from developer.wordpress.org/rest-api (reference/posts,
reference/comments, using-the-rest-api/pagination, …/global-parameters, …/authentication:
Application Passwords), RSS 2.0 (rssboard.org), RFC 4287 (Atom), RFC 4685 (Atom threading),
RFC 5005 (feed paging), the wfw:commentRss convention and RFC 9110/9111 (Retry-After,
conditional requests).

One module, two ways in, chosen by the connection's ``base_url``:

* ``https://blogg.example.se/wp-json`` — the **WordPress REST API**. The token is
  ``username:application-password`` (HTTP Basic); with it Insyn also reads the moderation
  queue and spam (``context=edit``) and can reply, hold/approve and trash comments. Without
  a token (``-``) it reads what any visitor sees and cannot moderate.
* any other URL — an **RSS 2.0 or Atom feed** (WordPress: ``/feed/``). Read-only: feeds
  carry no write verbs. The posts' comment feeds (``wfw:commentRss``, Atom
  ``link rel="replies"``) are read too. Feeds are fetched with conditional GET
  (``If-None-Match`` / ``If-Modified-Since``; a 304 costs the blog nothing).

What one WordPress poll reads
-----------------------------
1. ``GET /wp/v2/posts?per_page=100&orderby=modified&order=desc`` — the blog's posts, newest
   change first. An incremental poll asks ``modified_after`` a day before the newest
   ``modified_gmt`` it saw (WordPress compares with local time) and stops at the first page
   that reaches it; a full pass walks every page.
2. ``GET /wp/v2/comments?per_page=100&orderby=id&order=desc&status=approve`` — comments,
   newest first; an incremental poll asks ``after`` (the same day's overlap) and stops at the
   page that reaches the highest id seen.
   With credentials also ``status=hold`` and ``status=spam`` (small queues, walked whole).
Pages are followed by the ``Link: <…>; rel="next"`` header (``X-WP-TotalPages`` as a guard),
only on the blog's own host: the credentials go nowhere else. Cursors move only when a walk
is complete.

Deletion: a full pass lists every approved (and, with credentials, held and spam) comment;
one that is missing is re-read (``GET /wp/v2/comments/<id>``): 404 ``rest_comment_invalid_id``
means deleted for good, ``status: trash`` means trashed, a 401 without credentials means no
longer public. A feed-only blog asks the entry's own page (``HEAD``): 404/410 is a deletion.

Rate limits: WordPress itself has none; hosts and proxies answer 429 or 503 with
``Retry-After`` (seconds or an HTTP date). The seam waits that long when it is short, and
``RateLimited`` carries ``retry_at`` to the scheduler when it is not.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

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
    RateLimited,
    TokenInvalid,
)
from ..responses import (
    fetched_page,
    int_or_none,
    parse_link_header,
    response_json,
    safe_json,
    unreadable_page,
)
from . import normalise as blog_normalise

PER_PAGE = 100  # reference/posts, reference/comments: per_page 1–100
MAX_PAGES = 10_000
OVERLAP = timedelta(days=1)  # incremental reads go back this far (see _overlap)
MAX_COMMENT_FEEDS = 30  # the posts whose comment feeds every feed poll re-reads
MAX_LINKS = 5000  # entry id → page, for re-reading an entry that left the feed
NO_TOKEN = ("", "-")
FEED_ACCEPT = "application/rss+xml, application/atom+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.7, */*;q=0.1"
# Codes WordPress answers for credentials that do not (or no longer) work.
TOKEN_CODES = {
    "rest_not_logged_in", "rest_forbidden", "rest_forbidden_context", "incorrect_password", "invalid_username",
    "invalid_email", "application_passwords_disabled", "application_passwords_disabled_for_user",
}  # fmt: skip


class Refused(PlatformError):
    """A request WordPress will never grant as asked (400, 403, 409, other 4xx)."""

    permanent = True


class Duplicate(Refused):
    """409 ``comment_duplicate``: the same comment already exists (a retried reply)."""


class Blog(Platform):
    name = "blog"

    def __init__(
        self, connection: Connection, http: HttpSeam, *, now: Callable[[], datetime] | None = None
    ):
        super().__init__(connection, http)
        self.now = now or (lambda: datetime.now(UTC))
        self._links: dict[str, str] = {}

    # --- which blog ---------------------------------------------------------------------

    @property
    def wordpress(self) -> bool:
        return self.connection.base_url.rstrip("/").endswith("/wp-json")

    @property
    def api(self) -> str:
        return self.connection.base_url.rstrip("/")

    @property
    def authenticated(self) -> bool:
        return self.wordpress and self.connection.token.strip() not in NO_TOKEN

    def verify_credentials(self) -> dict[str, Any]:
        if not self.wordpress:
            response = self._request(
                "GET", self.connection.base_url, headers={"Accept": FEED_ACCEPT}
            )
            try:
                parsed = blog_normalise.parse_feed(response.content)
            except MalformedPayload as exc:
                raise Refused(f"blog: {self.connection.base_url} is not a feed ({exc})") from exc
            return {
                "title": parsed.feed.get("title", ""),
                "version": parsed.get("version", ""),
                "link": parsed.feed.get("link", ""),
            }
        if self.authenticated:
            data = self._json(
                self._request("GET", self._url("/wp/v2/users/me", [("context", "edit")]))
            )
            if not isinstance(data, dict) or "id" not in data:
                raise PlatformError("blog: unexpected answer from /wp/v2/users/me")
            return data
        data = self._json(self._request("GET", self.api + "/"))
        if not isinstance(data, dict) or "wp/v2" not in (data.get("namespaces") or []):
            raise Refused(f"blog: {self.api} does not offer the WordPress REST API (wp/v2)")
        return data

    # --- polling ------------------------------------------------------------------------

    def poll(self, state: dict[str, Any], *, full: bool = False) -> Iterator[FetchedPage]:
        """WordPress: posts, then comments by status. Feeds: the feed, then comment feeds.

        ``state``: ``posts_modified`` (newest modified_gmt seen), ``comments_max_id`` (highest
        approved comment id seen) for WordPress; ``validators`` {url: {etag, last_modified}},
        ``comment_feeds`` {post id: url} and ``links`` {entry id: page} for feeds. Updated
        before each page is handed over.
        """
        if self.wordpress:
            yield from self._poll_wordpress(state, full)
        else:
            yield from self._poll_feed(state, full)

    def _poll_wordpress(self, state: dict[str, Any], full: bool) -> Iterator[FetchedPage]:
        edit = [("context", "edit")] if self.authenticated else []
        since = None if full else state.get("posts_modified")
        newest: str | None = None
        params = [("per_page", str(PER_PAGE)), ("orderby", "modified"), ("order", "desc"), *edit]
        if since:
            params.append(("modified_after", _overlap(since)))
        for page, rows in self._walk("/wp/v2/posts", params, {"endpoint": "wp_posts"}):
            stamps = [r.get("modified_gmt") for r in rows if isinstance(r.get("modified_gmt"), str)]
            newest = max([newest, *stamps], key=lambda s: s or "") or newest
            reached = since is not None and any(s <= since for s in stamps)
            if (reached or page.context.get("last")) and newest:
                state["posts_modified"] = max(
                    filter(None, (state.get("posts_modified"), newest)), default=None
                )
            yield page
            if reached:
                break

        statuses = ["approve", *(("hold", "spam") if self.authenticated else ())]
        for status in statuses:
            since_id = None if full or status != "approve" else state.get("comments_max_id")
            highest, newest_date = 0, None
            params = [
                ("per_page", str(PER_PAGE)),
                ("orderby", "id"),
                ("order", "desc"),
                ("status", status),
                *edit,
            ]
            if since_id is not None and state.get("comments_newest"):
                params.append(("after", _overlap(state["comments_newest"])))
            for page, rows in self._walk(
                "/wp/v2/comments", params, {"endpoint": "wp_comments", "status": status}
            ):
                ids = [
                    r["id"]
                    for r in rows
                    if isinstance(r.get("id"), int) and not isinstance(r.get("id"), bool)
                ]
                highest = max([highest, *ids])
                dates = [r["date_gmt"] for r in rows if isinstance(r.get("date_gmt"), str)]
                newest_date = max([newest_date or "", *dates]) or None
                reached = since_id is not None and any(i <= since_id for i in ids)
                if status == "approve" and highest and (reached or page.context.get("last")):
                    state["comments_max_id"] = max(highest, state.get("comments_max_id") or 0)
                    state["comments_newest"] = max(
                        state.get("comments_newest") or "", newest_date or ""
                    )
                yield page
                if reached:
                    break

    def _walk(
        self, path: str, params: list[tuple[str, str]], context: dict[str, Any]
    ) -> Iterator[tuple[FetchedPage, list[dict]]]:
        """Follow ``Link: rel="next"``; the last page is marked ``context["last"]``."""
        url: str | None = self._url(path, params)
        visited: set[str] = set()
        while url and url not in visited and len(visited) < MAX_PAGES:
            visited.add(url)
            response = self._request("GET", url)
            body = safe_json(response.content)
            following = parse_link_header(response.headers.get("link", "")).get("next")
            total_pages = int_or_none(response.headers.get("x-wp-totalpages"))
            if following and total_pages is not None and len(visited) >= total_pages:
                following = None  # the headers disagree: X-WP-TotalPages is the bound
            if not isinstance(body, list):
                yield fetched_page(url, response, dict(context)), []
                raise _unreadable(url)
            page = fetched_page(
                url, response, {**context, **({"last": True} if not following else {})}
            )
            yield page, [r for r in body if isinstance(r, dict)]
            url = self._follow(following) if following else None

    def _poll_feed(self, state: dict[str, Any], full: bool) -> Iterator[FetchedPage]:
        comment_feeds: dict[str, str] = dict(state.get("comment_feeds") or {})
        links: dict[str, str] = dict(state.get("links") or {})
        url: str | None = self.connection.base_url
        visited: set[str] = set()
        discovered: dict[str, str] = {}
        while url and url not in visited and len(visited) < MAX_PAGES:
            visited.add(url)
            page, parsed = yield from self._fetch_feed(
                state, url, {"endpoint": "feed"}, conditional=not full
            )
            if parsed is None:
                break  # 304: nothing new in the feed
            for entry in parsed.entries:
                try:
                    pid = blog_normalise.feed_entry_id(entry)
                except MalformedPayload:
                    continue
                if entry.get("link"):
                    self._links[pid] = str(entry.get("link"))
                    if not _http_url(pid):
                        # Kept across polls only where the id itself cannot be asked (an
                        # Atom tag: URI), so the cursor stays small for WordPress's URL guids.
                        links[pid] = str(entry.get("link"))
                if feed := blog_normalise.comment_feed_url(entry):
                    discovered.setdefault(pid, feed)
            # Only a full pass walks older pages (RFC 5005); the newest page is the news.
            url = blog_normalise.next_page_url(parsed) if full else None
        if discovered:
            merged = {
                **discovered,
                **{k: v for k, v in comment_feeds.items() if k not in discovered},
            }
            comment_feeds = dict(list(merged.items())[:MAX_COMMENT_FEEDS])
        state["comment_feeds"] = comment_feeds
        state["links"] = dict(list(links.items())[-MAX_LINKS:])
        self._links = {**state["links"], **self._links}  # the comments' links are added below
        for post_id, feed_url in list(comment_feeds.items()):
            if not _http_url(feed_url):
                continue
            context = {"endpoint": "comment_feed", "post_id": post_id}
            page, parsed = yield from self._fetch_feed(
                state, feed_url, context, conditional=not full, gone_ok=True
            )
            for entry in parsed.entries if parsed is not None else ():
                try:
                    if entry.get("link"):
                        self._links[blog_normalise.feed_entry_id(entry)] = str(entry.get("link"))
                except MalformedPayload:
                    continue
            if page is not None and page.status in (404, 410):
                # The post is gone or its comments closed: stop asking; its absence is
                # judged by the post's own re-read, not by this.
                comment_feeds.pop(post_id, None)
                state["comment_feeds"] = dict(comment_feeds)

    def _fetch_feed(
        self,
        state: dict[str, Any],
        url: str,
        context: dict[str, Any],
        *,
        conditional: bool,
        gone_ok: bool = False,
    ):
        """GET one feed politely. Yields its page (not a 304's); returns (page, parsed)."""
        validators: dict[str, dict] = dict(state.get("validators") or {})
        headers = {"Accept": FEED_ACCEPT}
        known = validators.get(url) or {}
        if conditional and known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if conditional and known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        response = self._request(
            "GET", url, headers=headers, allow=(304, 404, 410) if gone_ok else (304,)
        )
        if response.status_code == 304:
            return None, None
        page = fetched_page(url, response, context)
        if response.status_code in (404, 410):
            validators.pop(url, None)
            state["validators"] = validators
            return page, None
        try:
            parsed = blog_normalise.parse_feed(response.content)
        except MalformedPayload:
            yield page  # kept and quarantined; the validators stay, so it is fetched again
            raise _unreadable(url) from None
        fresh = {
            k: v
            for k, v in (
                ("etag", response.headers.get("etag")),
                ("last_modified", response.headers.get("last-modified")),
            )
            if v
        }
        if fresh:
            validators[url] = fresh
        else:
            validators.pop(url, None)
        state["validators"] = dict(list(validators.items())[-(MAX_COMMENT_FEEDS + 50) :])
        yield page
        return page, parsed

    # --- confirming a deletion ----------------------------------------------------------

    def refetch(self, platform_id: str) -> FetchedPage:
        if self.wordpress:
            kind, _, number = platform_id.partition("-")
            if kind not in ("post", "comment") or not number.isdigit():
                raise NotFound(f"blog: {platform_id!r} is not a WordPress post or comment id")
            path = f"/wp/v2/{kind}s/{number}"
            url = self._url(path, [("context", "edit")] if self.authenticated else [])
            # Without credentials a comment that is held, spam or trashed answers 401/403:
            # kept as evidence that it is no longer public.
            response = self._request("GET", url, allow=() if self.authenticated else (401, 403))
            return fetched_page(
                url, response, {"endpoint": f"wp_{kind}", "platform_id": platform_id}
            )
        target = self._links.get(platform_id) or (platform_id if _http_url(platform_id) else "")
        context = {"endpoint": "exists", "platform_id": platform_id}
        if not target:
            # An Atom id that is no URL, from before Insyn kept links: nothing to ask. Absence
            # from a feed proves nothing (feeds show only the newest entries), so it stays.
            return FetchedPage(
                url="", status=0, headers={}, body=b"", context={**context, "checked": False}
            )
        target = target.split("#", 1)[0]  # a comment's page is its post's page
        response = self._request("HEAD", target, allow=(301, 302, 303, 307, 308, 405))
        if response.status_code == 405:
            response = self._request("GET", target, allow=(301, 302, 303, 307, 308))
            response = httpx.Response(response.status_code, headers=response.headers, content=b"")
        return fetched_page(target, response, context)

    def pages_before_moderation(self, platform_id: str) -> Iterator[FetchedPage]:
        """The comment as it is now, archived before it is held or trashed: WordPress gives a
        comment edit no time, so an edit since the last full pass is seen only by a re-read.
        Nothing to read where Insyn cannot moderate (a feed, no password)."""
        if self.authenticated:
            yield self.refetch(platform_id)

    # --- moderation (WordPress with credentials only) -------------------------------------------

    def reply(self, parent_platform_id: str, text: str, *, idempotency_key: str) -> str:
        """``POST /wp/v2/comments`` with ``post`` and ``parent``. WordPress has no idempotency
        key, but refuses an identical comment by the same author (409 ``comment_duplicate``):
        a retried reply then finds and returns the first one."""
        self._require_write("reply")
        kind, number = _split(parent_platform_id)
        if kind == "post":
            post, parent = number, 0
        else:
            found = self._json(
                self._request("GET", self._url(f"/wp/v2/comments/{number}", [("context", "edit")]))
            )
            post, parent = int(found["post"]), number
        payload = {"post": int(post), "parent": int(parent), "content": text}
        try:
            created = self._json(self._request("POST", self._url("/wp/v2/comments"), json=payload))
        except Duplicate:
            return self._find_own_reply(int(post), int(parent), text)
        if not isinstance(created, dict) or not isinstance(created.get("id"), int):
            raise PlatformError("blog: the created comment has no id")
        return f"comment-{created['id']}"

    def _find_own_reply(self, post: int, parent: int, text: str) -> str:
        params = [
            ("post", str(post)),
            ("parent", str(parent)),
            ("per_page", str(PER_PAGE)),
            ("context", "edit"),
            ("orderby", "id"),
            ("order", "desc"),
        ]
        rows = self._json(self._request("GET", self._url("/wp/v2/comments", params)))
        for row in rows if isinstance(rows, list) else []:
            content = row.get("content") if isinstance(row, dict) else None
            raw = content.get("raw") if isinstance(content, dict) else None
            if isinstance(raw, str) and raw.strip() == text.strip() and row.get("author"):
                return f"comment-{row['id']}"
        raise Refused("blog: WordPress calls the reply a duplicate but it cannot be found")

    def set_hidden(self, platform_id: str, hidden: bool) -> None:
        """Hold (out of public view, kept in the moderation queue) or approve a comment."""
        self._require_write("hide")
        kind, number = _split(platform_id)
        if kind != "comment":
            raise NotImplementedError(
                "blog: only comments can be held; unpublish a post in WordPress"
            )
        self._request(
            "POST",
            self._url(f"/wp/v2/comments/{number}"),
            json={"status": "hold" if hidden else "approved"},
        )

    def delete(self, platform_id: str) -> None:
        """Move a comment to the trash (``DELETE /wp/v2/comments/<id>`` without ``force``):
        off the blog, restorable in WordPress for EMPTY_TRASH_DAYS; Insyn keeps its copy."""
        self._require_write("delete")
        kind, number = _split(platform_id)
        if kind != "comment":
            raise NotImplementedError(
                "blog: Insyn removes comments only; posts are handled in WordPress"
            )
        self._request("DELETE", self._url(f"/wp/v2/comments/{number}"))

    def _require_write(self, verb: str) -> None:
        if not self.wordpress:
            raise NotImplementedError(
                f"blog: a feed is read-only ({verb} is done in the blog itself)"
            )
        if not self.authenticated:
            raise NotImplementedError(f"blog: {verb} needs a WordPress application password")

    # --- HTTP -------------------------------------------------------------------------

    def _url(self, route: str, params: list[tuple[str, str]] | tuple = ()) -> str:
        query = "&".join(f"{quote(k, safe='[]')}={quote(str(v), safe='')}" for k, v in params)
        return f"{self.api}{route}" + (f"?{query}" if query else "")

    def _follow(self, link: str) -> str:
        base, target = httpx.URL(self.api), httpx.URL(link)
        if target.host and (target.host, target.port) != (base.host, base.port):
            raise Refused(f"blog: pagination link leads to another host: {target.host}")
        return str(base.copy_with(raw_path=target.raw_path))

    def _request(
        self, method: str, url: str, *, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if self.authenticated and url.startswith(self.api):
            headers["Authorization"] = (
                "Basic " + base64.b64encode(self.connection.token.strip().encode()).decode()
            )
        try:
            response = self.http.request(
                method, url, retry_after=self._retry_after, headers=headers, **kwargs
            )
        except TransportFailure as exc:
            raise self._transport_error(exc) from exc
        if response.status_code < 300 or response.status_code in allow:
            return response
        raise _http_error(response, authenticated=self.authenticated)

    def _retry_after(self, response: httpx.Response) -> float | None:
        if response.status_code in (429, 503):
            wait = self._seconds_to_wait(response)
            return wait if wait is not None else (60.0 if response.status_code == 429 else 0.0)
        if response.status_code >= 500:
            return 0.0
        return None

    def _seconds_to_wait(self, response: httpx.Response) -> float | None:
        """``Retry-After``: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), against ``Date``."""
        value = response.headers.get("retry-after", "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        try:
            server_now = parsedate_to_datetime(response.headers.get("date", ""))
        except (TypeError, ValueError, IndexError):
            server_now = None
        if when.tzinfo is None:
            return None
        return max(
            0.0,
            (
                when - (server_now if server_now and server_now.tzinfo else self.now())
            ).total_seconds(),
        )

    def _transport_error(self, exc: TransportFailure) -> PlatformError:
        response = exc.response
        if response is not None and response.status_code in (429, 503):
            seconds = self._seconds_to_wait(response)
            if seconds is not None or response.status_code == 429:
                retry_at = self.now() + timedelta(seconds=seconds if seconds is not None else 60)
                return RateLimited(f"blog: {exc}", status=response.status_code, retry_at=retry_at)
        return PlatformError(
            f"blog: {exc}", status=response.status_code if response is not None else None
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        return response_json("blog", response)

    # --- the normaliser ---------------------------------------------------------------

    @staticmethod
    def normalise(body: bytes, context: dict[str, Any]) -> Normalised:
        """WordPress JSON (``wp_posts``, ``wp_post``, ``wp_comments``, ``wp_comment``) or a
        feed (``feed``, ``comment_feed`` with ``post_id``); see normalise.py."""
        return blog_normalise.normalise(body, context)


def _http_error(response: httpx.Response, *, authenticated: bool) -> PlatformError:
    """WordPress errors are ``{"code", "message", "data": {"status"}}``."""
    body = safe_json(response.content)
    code = (
        body.get("code") if isinstance(body, dict) and isinstance(body.get("code"), str) else None
    )
    message = (
        body.get("message")
        if isinstance(body, dict) and isinstance(body.get("message"), str)
        else ""
    )
    status = response.status_code
    text = f"blog: {message or f'HTTP {status}'} ({code or 'no code'}, HTTP {status})"
    if status == 401 or (status == 403 and code in TOKEN_CODES and authenticated):
        return TokenInvalid(text, status=status, code=code)
    if status in (404, 410):
        return NotFound(text, status=status, code=code)
    if status == 409 and code == "comment_duplicate":
        return Duplicate(text, status=status, code=code)
    if 400 <= status < 500:
        return Refused(text, status=status, code=code)
    return PlatformError(text, status=status, code=code)


def _overlap(stamp: str) -> str:
    """A lower bound for ``after`` / ``modified_after`` a day before ``stamp`` (a ``*_gmt``
    value). WordPress compares these with the site's local time, not GMT: a day's overlap is
    wider than any time zone, so the bound never leaves anything out; the id and date checks
    above stop the walk where the news end."""
    moment = blog_normalise.wp_time(stamp)
    if moment is None:
        return "1970-01-01T00:00:00"
    return (moment - OVERLAP).strftime("%Y-%m-%dT%H:%M:%S")


def _unreadable(url: str) -> PlatformError:
    return unreadable_page("blog", url)


def _split(platform_id: str) -> tuple[str, str]:
    kind, _, number = platform_id.partition("-")
    if kind not in ("post", "comment") or not number.isdigit():
        raise NotFound(f"blog: {platform_id!r} is not a WordPress post or comment id")
    return kind, number


def _http_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https") and bool(urlsplit(value).hostname)
