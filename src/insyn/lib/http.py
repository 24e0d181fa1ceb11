"""The one outbound HTTP seam. Every platform client talks to the world through here.

- Timeouts on every request; retries with exponential backoff and jitter on timeouts,
  connection errors, 429 and 5xx — honouring the delay the platform asks for.
- Tests route requests to the simulator or to recorded responses by passing a transport
  (``httpx.MockTransport``/``httpx.WSGITransport``); nothing else in the code opens sockets.
- The caller decides what a response means (``retry_after`` callback): rate-limit headers
  differ per platform, so the seam only knows how to wait and try again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

USER_AGENT = "Insyn/0.1 (+https://github.com/insyn; records capture for Swedish public authorities)"

RetryAfter = Callable[[httpx.Response], float | None]


class TransportFailure(Exception):
    """The request could not be completed after all retries (network, timeout, 5xx, 429)."""

    def __init__(self, message: str, *, response: httpx.Response | None = None):
        super().__init__(message)
        self.response = response


def default_retry_after(response: httpx.Response) -> float | None:
    """Retry 429 and 5xx; use Retry-After when the server gives it."""
    if response.status_code == 429 or response.status_code >= 500:
        header = response.headers.get("Retry-After", "")
        if header.isdigit():
            return float(header)
        return 0.0
    return None


@dataclass
class HttpSeam:
    timeout: float = 20.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 60.0
    # The longest we are willing to wait in-process for one retry; longer waits are left to
    # the scheduler (the account's next poll time) by raising TransportFailure.
    max_wait: float = 120.0
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.timeout, transport=self.transport, headers={"User-Agent": USER_AGENT},
                follow_redirects=False,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def request(
        self, method: str, url: str, *, retry_after: RetryAfter = default_retry_after, **kwargs
    ) -> httpx.Response:
        last_error = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.client.request(method, url, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                wait = self._backoff(attempt)
                response = None
            else:
                wait = retry_after(response)
                if wait is None:
                    return response
                wait = max(wait, self._backoff(attempt))
                last_error = f"HTTP {response.status_code}"
            if attempt == self.max_attempts or wait > self.max_wait:
                raise TransportFailure(f"{method} {_redact(url)} failed: {last_error}", response=response)
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def _redact(url: str) -> str:
    """URLs in errors and logs never carry the access token."""
    parsed = httpx.URL(url)
    if "access_token" in parsed.params:
        parsed = parsed.copy_set_param("access_token", "***")
    return str(parsed)
