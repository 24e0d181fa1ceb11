"""The control API under /_sim/: inspect the world, inject faults, tick, act, manage webhooks.

Every endpoint takes and returns JSON. The same operations exist in Python on
the Simulator; this is the door for the demo, curl and other processes.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .faults import fault_from_json
from .store import Invalid, NotFound
from .webhooks import WebhookConfig
from .wsgi import Request, Response, json_response

if TYPE_CHECKING:
    from .server import Simulator


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ControlApp:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, req: Request) -> Response:
        try:
            body = req.json if isinstance(req.json, dict) else {k: v for k, v in req.form}
            return json_response(self._route(req, req.path.rstrip("/") or "/", body))
        except ControlError as exc:
            return json_response({"error": str(exc)}, exc.status)
        except (NotFound, KeyError) as exc:
            return json_response({"error": f"not found: {exc}"}, 404)
        except (Invalid, ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)

    def _route(self, req: Request, path: str, body: dict) -> Any:
        sim = self.sim
        method = req.method
        if path in ("/", "/state") and method == "GET":
            return sim.state(full=req.params().get("full") in ("1", "true"))
        if path == "/events" and method == "GET":
            since = int(req.params().get("since") or 0)
            return {"events": [e.to_json() for e in sim.events(since)]}
        if path == "/tick" and method == "POST":
            events = sim.tick(int(body.get("n", 1)))
            return {"tick_count": sim.world.tick_count, "events": [e.to_json() for e in events]}
        if path == "/clock/advance" and method == "POST":
            if not sim.world.clock.virtual:
                raise ControlError(409, "the simulator runs on the wall clock")
            sim.world.clock.advance(float(body.get("seconds", 0)))
            return {"now": sim.world.now()}
        if path == "/faults":
            if method == "GET":
                return {"faults": [r.to_json() for r in sim.faults.rules()]}
            if method == "POST":
                return sim.faults.add(fault_from_json(body)).to_json()
            if method == "DELETE":
                sim.faults.clear()
                return {"faults": []}
        m = re.fullmatch(r"/faults/(\d+)", path)
        if m and method == "DELETE":
            sim.faults.clear(int(m.group(1)))
            return {"faults": [r.to_json() for r in sim.faults.rules()]}
        if path == "/tokens" and method == "POST":
            record = sim.set_token_state(str(body["token"]), str(body.get("state", "expired")))
            return asdict(record)
        if path == "/pages" and method == "POST":
            return asdict(
                sim.create_page(
                    str(body.get("name", "Norrvik kommun")),
                    page_id=body.get("page_id"),
                    token=body.get("token"),
                )
            )
        if path == "/users" and method == "POST":
            return asdict(sim.world.create_user(str(body["name"]), user_id=body.get("id")))
        if path == "/mastodon/accounts" and method == "POST":
            info = sim.create_mastodon_account(
                str(body["username"]),
                str(body.get("display_name", body["username"])),
                token=body.get("token"),
                kommun=bool(body.get("kommun", True)),
                domain=body.get("domain"),
            )
            return asdict(info)
        if path == "/act" and method == "POST":
            return sim.act(str(body.pop("action")), **body)
        if path == "/webhooks":
            if method == "GET":
                return {
                    "config": _webhook_json(sim.webhooks.config),
                    "pending": sim.webhooks.pending_count(),
                    "deliveries": [d.to_json() for d in sim.webhooks.log()],
                }
            if method in ("PUT", "POST"):
                sim.configure_webhook(WebhookConfig(**body) if body.get("url") else None)
                return {"config": _webhook_json(sim.webhooks.config)}
        if path == "/webhooks/flush" and method == "POST":
            return {"deliveries": [d.to_json() for d in sim.deliver_webhooks()]}
        if path == "/webhooks/verify" and method == "POST":
            return sim.verify_webhook()
        if path == "/save" and method == "POST":
            return {"saved": sim.save()}
        raise ControlError(404, f"no control endpoint {method} /_sim{path}")


def _webhook_json(config: WebhookConfig | None) -> dict | None:
    if config is None:
        return None
    data = asdict(config)
    data["app_secret"] = "***"
    return data
