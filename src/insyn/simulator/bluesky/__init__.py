"""A local Bluesky (AT Protocol PDS + AppView) for the demo, the tests and the benchmarks.

``BlueskySim`` bundles the store, the XRPC app, its rate meters, the Swedish scenario and a
small control API (mounted at ``/_sim/bluesky``). The Simulator mounts the XRPC app at
``/bluesky`` on its main port, so a PDS base URL is ``http://host:PORT/bluesky``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from ..faults import FaultInjector
from ..scenario import ScenarioConfig
from ..store import Invalid, NotFound
from ..wsgi import Request, Response, json_response
from .app import BlueskyApp, Meters
from .scenario import BlueskyScenario, fit
from .store import POST, BlueskyStore, XrpcFailure

FILE = "bluesky.json"

__all__ = [
    "BlueskyAccountInfo",
    "BlueskyApp",
    "BlueskyScenario",
    "BlueskySim",
    "BlueskyStore",
    "XrpcFailure",
]


@dataclass
class BlueskyAccountInfo:
    did: str
    handle: str
    display_name: str
    app_password: str | None


class BlueskySim:
    def __init__(
        self,
        world,
        faults: FaultInjector,
        *,
        seed: int = 0,
        data_dir: str | None = None,
        limit: int = 3000,
        period: float = 300.0,
        config: ScenarioConfig | None = None,
    ) -> None:
        self.world = world
        self.store = BlueskyStore(world, seed=seed)
        self.path = os.path.join(data_dir, FILE) if data_dir else None
        if self.path and os.path.exists(self.path):
            self.store.load(self.path)
        self.meters = Meters(limit, period)
        self.app = BlueskyApp(self.store, faults, self.meters)
        self.scenario = BlueskyScenario(self.store, seed=seed, config=config)

    # --- setting up ---------------------------------------------------------------------

    def create_account(
        self,
        handle: str,
        display_name: str | None = None,
        *,
        kommun: bool = True,
        app_password: str | None = None,
    ) -> BlueskyAccountInfo:
        """An actor; a kommun account gets an app password and the scenario's attention."""
        with self.world.lock:
            actor = self.store.create_actor(
                handle,
                display_name or handle,
                kommun=kommun,
                description="Officiellt konto." if kommun else "",
            )
            password = None
            if kommun or app_password:
                password = app_password or self.store.new_app_password()
                self.world.create_token("bluesky", actor.did, password)
            if kommun:
                self.scenario.kommun_name = actor.display_name
            return BlueskyAccountInfo(actor.did, actor.handle, actor.display_name, password)

    def tick(self) -> None:
        self.scenario.tick()

    def seed_history(self, days: int) -> None:
        self.scenario.seed_history(days)

    def expire_sessions(self, did: str) -> int:
        return self.store.expire_sessions(did)

    def act(self, action: str, **p: Any) -> dict:
        """One named thing happening on Bluesky (tests and demos that need it exactly)."""
        store = self.store
        with self.world.lock:
            if action == "account":
                return asdict(
                    self.create_account(str(p["handle"]), p.get("display_name"), kommun=False)
                )
            if action == "post":
                did = store.actor(str(p["actor"])).did
                record = store.post(
                    did,
                    fit(str(p.get("text", ""))),
                    reply_to=p.get("reply_to"),
                    quote=p.get("quote"),
                )
                if p.get("kind"):
                    store.meta.setdefault("kinds", {})[record.uri] = str(p["kind"])
                return {"uri": record.uri, "cid": record.cid}
            if action == "delete":
                record = store.live(str(p["uri"]))
                store.delete(record.did, record.collection, record.rkey)
                return {"uri": record.uri}
            if action == "like":
                return {"uri": store.like(store.actor(str(p["actor"])).did, str(p["uri"])).uri}
        raise NotFound(f"action {action}")

    def accounts(self) -> list[dict]:
        with self.world.lock:
            return [
                {
                    "did": a.did,
                    "handle": a.handle,
                    "display_name": a.display_name,
                    "app_passwords": [
                        t.token
                        for t in self.world.tokens.values()
                        if t.platform == "bluesky" and t.subject_id == a.did and t.state == "valid"
                    ],
                }
                for a in self.store.kommun_actors()
            ]

    def state(self) -> dict:
        return {"accounts": self.accounts(), "counts": self.store.counts()}

    def save(self) -> str | None:
        if self.path is None:
            return None
        self.store.save(self.path)
        return self.path

    def live_posts(self, did: str) -> list[str]:
        with self.world.lock:
            return [
                r.uri
                for r in self.store.records.values()
                if r.collection == POST and r.deleted_at is None and r.did == did
            ]

    # --- control API (/_sim/bluesky) ---------------------------------------------------------

    def control(self, environ: dict, start_response) -> list[bytes]:
        return self._control(Request(environ))(environ, start_response)

    def _control(self, req: Request) -> Response:
        body = req.json if isinstance(req.json, dict) else dict(req.form)
        path = req.path.rstrip("/") or "/"
        try:
            if path in ("/", "/state") and req.method == "GET":
                return json_response(self.state())
            if path == "/accounts" and req.method == "POST":
                info = self.create_account(
                    str(body["handle"]),
                    body.get("display_name"),
                    kommun=bool(body.get("kommun", True)),
                    app_password=body.get("app_password"),
                )
                return json_response(asdict(info))
            if path == "/sessions/expire" and req.method == "POST":
                return json_response({"expired": self.expire_sessions(str(body["did"]))})
            if path == "/tick" and req.method == "POST":
                for _ in range(int(body.get("n", 1))):
                    self.tick()
                return json_response(self.state())
            if path == "/act" and req.method == "POST":
                return json_response(self.act(str(body.pop("action")), **body))
            return json_response(
                {"error": f"no control endpoint {req.method} /_sim/bluesky{path}"}, 404
            )
        except (NotFound, KeyError) as exc:
            return json_response({"error": f"not found: {exc}"}, 404)
        except XrpcFailure as exc:
            return json_response({"error": exc.error, "message": exc.message}, exc.status)
        except (Invalid, ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
