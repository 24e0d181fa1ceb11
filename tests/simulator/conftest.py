"""Fixtures: a simulator served over real HTTP on free ports, with a known world."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest

from insyn.simulator import Simulator, SimulatorHandle, VirtualClock, start_in_thread


@dataclass
class Env:
    handle: SimulatorHandle
    page_id: str
    page_token: str
    account_id: str
    mastodon_token: str

    @property
    def sim(self) -> Simulator:
        return self.handle.simulator

    @property
    def graph(self) -> str:
        return f"{self.handle.graph_url}/v23.0"

    @property
    def masto(self) -> str:
        return self.handle.mastodon_url

    def gget(self, http: httpx.Client, path: str, **params) -> httpx.Response:
        params.setdefault("access_token", self.page_token)
        return http.get(f"{self.graph}/{path}", params=params)

    def mget(self, http: httpx.Client, path: str, **params) -> httpx.Response:
        return http.get(
            f"{self.masto}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.mastodon_token}"},
        )


def make_env(seed: int = 7, history_days: int = 2, ticks: int = 30, **options) -> Env:
    handle = start_in_thread(seed=seed, clock=VirtualClock(), **options)
    info = handle.simulator.seed_default_world(history_days=history_days)
    handle.simulator.tick(ticks)
    return Env(
        handle,
        info["page"]["page_id"],
        info["page"]["token"],
        info["mastodon_account"]["account_id"],
        info["mastodon_account"]["token"],
    )


@pytest.fixture
def env() -> Iterator[Env]:
    e = make_env()
    try:
        yield e
    finally:
        e.handle.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and answers as told."""

    url: str
    requests: list[dict] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200
    verify_token: str = "sesam"
    _server: object = None

    def stop(self) -> None:
        self._server.shutdown()  # type: ignore[attr-defined]
        self._server.server_close()  # type: ignore[attr-defined]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    from urllib.parse import parse_qs

    rec = Receiver(url="")

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] == "GET":
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            if (
                query.get("hub.mode") == "subscribe"
                and query.get("hub.verify_token") == rec.verify_token
            ):
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [query.get("hub.challenge", "").encode()]
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"forbidden"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        rec.requests.append({"body": body, "headers": headers})
        status = rec.statuses.pop(0) if rec.statuses else 200
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_port}/webhooks/facebook"
    rec._server = server
    try:
        yield rec
    finally:
        rec.stop()
