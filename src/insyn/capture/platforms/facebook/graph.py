"""The Graph API over HTTP, shared by Facebook Pages and Instagram (the same host and version
prefix, error objects, usage headers and cursor pagination): ``Graph`` is one account's access
to it, used by ``FacebookPage`` and ``Instagram`` alike.

**Pagination** follows ``paging.next`` until it is absent. Meta's "Paginated Results" page says
that an absent ``next`` is the only end-of-list signal, that a page can be empty and still
have a ``next``, and that apps should not store cursors. The clients keep their incremental
state as the platform's own times instead (``mark_time``/``parse_mark``, ``LOOKBACK``, ``FRESH``).

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

Errors are routed on the Graph error ``code``, not on the HTTP status (see ``Graph._error``);
a platform's own rate-limit codes (Instagram's 80002) are given to ``Graph`` by its client.

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
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from insyn.lib.http import HttpSeam, TransportFailure

from ..base import Connection, FetchedPage, NotFound, PlatformError, RateLimited, TokenInvalid

GRAPH_VERSION = "v23.0"

# Incremental polling (both clients): windows anchored on the account's newest object.
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


class Graph:
    """One account's access to the Graph API: requests with the token, pacing on the usage
    headers, errors mapped to ``TokenInvalid`` / ``RateLimited`` / ``NotFound`` /
    ``PlatformError``, and cursor pagination. ``rate_limit_codes`` are a platform's own
    rate-limit error codes on top of Graph's (Instagram's 80002): such an answer is left to
    the scheduler, never retried by the seam, and raised as ``RateLimited``."""

    def __init__(
        self,
        connection: Connection,
        http: HttpSeam,
        *,
        rate_limit_codes: frozenset[int] = frozenset(),
    ):
        self.connection = connection
        self.http = http
        self.rate_limit_codes = rate_limit_codes
        # The highest usage percentage the last answer reported, and when.
        self._usage = 0.0
        self._usage_at: datetime | None = None
        self._blocked_until: datetime | None = None

    def url(self, path: str) -> str:
        return f"{self.connection.base_url.rstrip('/')}/{GRAPH_VERSION}/{path.lstrip('/')}"

    def walk(
        self,
        path: str,
        params: dict[str, Any],
        context: dict[str, Any],
        *,
        stop: Callable[[list[dict]], bool] | None = None,
    ) -> Iterator[Step]:
        """Cursor pagination over one edge. ``last`` is known before the step is handed out,
        so the caller can record its mark before it yields the last page. A page that is not
        a readable Graph list is still handed out (capture keeps it and quarantines it),
        then the walk fails with a retryable PlatformError so the marks stay where they were."""
        url, query = self.url(path), dict(params)
        while True:
            page, data = self.fetch(url, query, context)
            items = _list_or_none(data)
            if items is None:
                yield Step(page, None, True)
                raise PlatformError(
                    f"Graph API: unreadable page from {page.url}", status=page.status
                )
            try:
                follow = self._next(data, url, query)
            except PlatformError:
                yield Step(page, None, True)  # keep what we have; mark nothing
                raise
            last = follow is None or (stop is not None and stop(items))
            yield Step(page, items, last)
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

    def fetch(
        self, url: str, params: dict[str, Any], context: dict[str, Any]
    ) -> tuple[FetchedPage, Any]:
        response = self.send("GET", url, params=params, polling=True)
        page = FetchedPage(
            url=str(httpx.URL(url, params=params)),
            status=response.status_code,
            headers=dict(response.headers.items()),
            body=response.content,
            context=dict(context),
        )
        return page, json_or_none(response.content)

    def write(
        self,
        method: str,
        path: str,
        *,
        data: dict | None = None,
        json_body: dict | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        response = self.send(
            method, self.url(path), data=data, json_body=json_body, idempotent=idempotent
        )
        body = json_or_none(response.content)
        if not isinstance(body, dict):
            raise PlatformError(
                f"Graph API: unreadable answer to {method} /{path}", status=response.status_code
            )
        return body

    def send(
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
        if (
            self.rate_limit_codes
            and error is not None
            and error.get("code") in self.rate_limit_codes
        ):
            return None  # the platform's own rate limit: left to the scheduler, like Graph's
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
        if (
            code in RATE_LIMIT_CODES
            or code in self.rate_limit_codes
            or status == 429
            or (status >= 400 and usage >= 100)
        ):
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
class Step:
    page: FetchedPage
    items: list[dict] | None  # None: the page is not a readable Graph list
    last: bool


def _never_retry(response: httpx.Response) -> float | None:
    return None


def expect_success(body: dict[str, Any]) -> None:
    """A change Graph answers with ``{"success": true}`` (hide, delete)."""
    if body.get("success") is not True:
        raise PlatformError(f"Graph API did not confirm the change: {body!r}")


# --- reading Graph answers (client side) ---------------------------------------------------

_USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")
_USAGE_KEYS = ("call_count", "total_time", "total_cputime")


def json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _graph_error(raw: bytes) -> dict | None:
    data = json_or_none(raw)
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
        data = json_or_none(headers.get(name, "").encode())
        if isinstance(data, dict):
            percent = max([percent] + [_number(data.get(k)) for k in _USAGE_KEYS])
    buc = json_or_none(headers.get("x-business-use-case-usage", "").encode())
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


# --- poll state: the platform's own times ----------------------------------------------------


def mark_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse_mark(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
