"""Webhooks for Pages, as Meta sends them: signed POSTs, retries, the hub.challenge handshake.

The body is serialised once, signed over those exact bytes with the app secret
(`X-Hub-Signature-256: sha256=<hex>`, and the legacy SHA-1 `X-Hub-Signature`),
and sent as is. Like Meta's, it escapes non-ASCII as \\uXXXX (lowercase hex) and
"/" as "\\/", so a receiver that re-serialises the JSON before checking the
signature fails here just as it would against the real thing.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import random
import threading
import time
from dataclasses import dataclass

import httpx

from .store import SimEvent


@dataclass
class WebhookConfig:
    url: str
    app_secret: str
    verify_token: str = ""
    timeout: float = 5.0
    max_attempts: int = 8
    retry_base: float = 1.0  # attempt n waits retry_base * 2**(n-1) seconds, at most retry_cap
    retry_cap: float = 300.0
    batch_size: int = 20
    # Meta keeps one callback URL per product: Instagram's may differ from the Page's.
    instagram_url: str | None = None


@dataclass
class Delivery:
    id: int
    kind: str  # "feed" | "messaging" | "instagram"
    page_id: str
    body: bytes
    headers: dict[str, str]
    event_seqs: list[int]
    attempts: int = 0
    next_at: float = 0.0
    status: int | None = None
    error: str | None = None
    delivered_at: float | None = None
    gave_up: bool = False
    in_flight: bool = False

    def to_json(self, with_body: bool = True) -> dict:
        data = {
            "id": self.id,
            "kind": self.kind,
            "page_id": self.page_id,
            "event_seqs": self.event_seqs,
            "attempts": self.attempts,
            "status": self.status,
            "error": self.error,
            "delivered_at": self.delivered_at,
            "gave_up": self.gave_up,
            "headers": self.headers,
        }
        if with_body:
            data["body"] = self.body.decode("utf-8")
        return data


def meta_json(payload: dict) -> bytes:
    """Serialise the way Meta's webhook bodies look: ASCII-only, escaped slashes."""
    return (
        json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
        .replace("/", "\\/")
        .encode("ascii")
    )


def sign(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def sign_sha1(body: bytes, app_secret: str) -> str:
    return "sha1=" + hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest()


def feed_payload(events: list[SimEvent]) -> dict:
    return {
        "object": "page",
        "entry": [
            {
                "id": e.subject_id,
                "time": int(e.time),
                "changes": [{"field": "feed", "value": e.payload}],
            }
            for e in events
        ],
    }


def messaging_payload(events: list[SimEvent]) -> dict:
    return {
        "object": "page",
        "entry": [
            {"id": e.subject_id, "time": int(e.time * 1000), "messaging": [e.payload]}
            for e in events
        ],
    }


def instagram_payload(events: list[SimEvent]) -> dict:
    """Instagram webhooks (Meta, "Instagram Webhooks"): ``object: instagram``; a new comment
    is a ``comments`` change (``entry.time`` in seconds), a direct message a ``messaging``
    event (``entry.time`` in milliseconds)."""
    entries = []
    for e in events:
        if e.kind == "ig.comments":
            entries.append({"id": e.subject_id, "time": int(e.time),
                            "changes": [{"field": "comments", "value": e.payload}]})
        else:
            entries.append({"id": e.subject_id, "time": int(e.time * 1000), "messaging": [e.payload]})
    return {"object": "instagram", "entry": entries}


PAYLOADS = {"fb.feed": ("feed", feed_payload), "fb.messaging": ("messaging", messaging_payload),
            "ig.comments": ("instagram", instagram_payload), "ig.messaging": ("instagram", instagram_payload)}


class WebhookDispatcher:
    """Queues the world's Graph events and delivers them to the callback URL."""

    def __init__(
        self, config: WebhookConfig | None = None, *, client: httpx.Client | None = None
    ) -> None:
        self.config = config
        self._lock = threading.Condition()
        self._pending: collections.deque[SimEvent] = collections.deque(maxlen=50_000)
        self._queue: list[Delivery] = []
        self._log: collections.deque[Delivery] = collections.deque(maxlen=2_000)
        self._next_id = 0
        self._client = client
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._jitter = random.Random()

    # --- intake -------------------------------------------------------------------------

    def on_event(self, event: SimEvent) -> None:
        """World listener: keep Graph events for delivery (cheap; called under the world lock)."""
        if event.kind not in PAYLOADS or self.config is None:
            return
        with self._lock:
            self._pending.append(event)
            self._lock.notify_all()

    def configure(self, config: WebhookConfig | None) -> None:
        with self._lock:
            self.config = config
            self._lock.notify_all()

    # --- delivery -----------------------------------------------------------------------

    def _package(self) -> None:
        """Turn pending events into signed deliveries: runs of one kind and one page, batched."""
        config = self.config
        if config is None:
            self._pending.clear()
            return
        events = list(self._pending)
        self._pending.clear()
        batch: list[SimEvent] = []
        for event in events + [None]:  # type: ignore[list-item]
            if batch and (
                event is None
                or event.kind != batch[0].kind
                or event.subject_id != batch[0].subject_id
                or len(batch) >= config.batch_size
            ):
                kind, build = PAYLOADS[batch[0].kind]
                payload = build(batch)
                body = meta_json(payload)
                self._next_id += 1
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": "facebookexternalua",
                    "X-Hub-Signature": sign_sha1(body, config.app_secret),
                    "X-Hub-Signature-256": sign(body, config.app_secret),
                }
                self._queue.append(
                    Delivery(
                        self._next_id,
                        kind,
                        batch[0].subject_id,
                        body,
                        headers,
                        [e.seq for e in batch],
                    )
                )
                batch = []
            if event is not None:
                batch.append(event)

    def flush(self, *, wait_for_retries: bool = False) -> list[Delivery]:
        """Deliver everything that is due now; return the deliveries attempted."""
        with self._lock:
            self._package()
            now = time.time()
            due = [
                d for d in self._queue if not d.in_flight and (wait_for_retries or d.next_at <= now)
            ]
            for delivery in due:
                delivery.in_flight = True
        attempted = []
        for delivery in due:
            try:
                self._attempt(delivery)
            finally:
                delivery.in_flight = False
            attempted.append(delivery)
        with self._lock:
            self._queue = [d for d in self._queue if d.delivered_at is None and not d.gave_up]
        return attempted

    def _attempt(self, delivery: Delivery) -> None:
        config = self.config
        if config is None:
            return
        delivery.attempts += 1
        try:
            client = self._client or httpx.Client(timeout=config.timeout)
            try:
                url = config.instagram_url if delivery.kind == "instagram" and config.instagram_url else config.url
                response = client.post(url, content=delivery.body, headers=delivery.headers)
            finally:
                if self._client is None:
                    client.close()
            delivery.status = response.status_code
            delivery.error = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            delivery.status = None
            delivery.error = f"{type(exc).__name__}: {exc}"
        if delivery.error is None:
            delivery.delivered_at = time.time()
        elif delivery.attempts >= config.max_attempts:
            delivery.gave_up = True
        else:
            wait = min(config.retry_cap, config.retry_base * 2 ** (delivery.attempts - 1))
            delivery.next_at = time.time() + wait * (0.8 + 0.4 * self._jitter.random())
        with self._lock:
            if delivery not in self._log:
                self._log.append(delivery)

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending) + len(self._queue)

    def log(self) -> list[Delivery]:
        with self._lock:
            return list(self._log)

    # --- the handshake --------------------------------------------------------------------

    def verify(self) -> dict:
        """Call the callback as Meta does when a subscription is saved; report whether it echoed."""
        config = self.config
        if config is None:
            return {"ok": False, "error": "no webhook configured"}
        challenge = str(random.randint(1_000_000_000, 2_147_483_647))
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": config.verify_token,
        }
        try:
            response = httpx.get(config.url, params=params, timeout=config.timeout)
        except httpx.HTTPError as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "challenge": challenge}
        ok = response.status_code == 200 and response.text == challenge
        return {
            "ok": ok,
            "status": response.status_code,
            "body": response.text[:200],
            "challenge": challenge,
        }

    # --- background delivery ------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="insyn-sim-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                now = time.time()
                next_due = min((d.next_at for d in self._queue), default=None)
                if not self._pending and (next_due is None or next_due > now):
                    timeout = 1.0 if next_due is None else min(1.0, max(0.0, next_due - now))
                    self._lock.wait(timeout)
            if self._stop.is_set():
                break
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - a broken callback must not kill the thread
                time.sleep(0.5)
