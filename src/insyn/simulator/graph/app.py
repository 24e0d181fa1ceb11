"""The Graph API WSGI app: the request pipeline, routing, faults, and writes."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from ..faults import FaultInjector, FaultRule, RateMeter
from ..store import Invalid, NotFound, Token, World
from ..wsgi import Request, Response, json_response, text_response
from .errors import RATE_LIMIT_MESSAGES, GraphError, _trace_id, not_found, token_error
from .fields import FieldSpec, FieldSyntaxError, parse_fields
from .instagram import IG_KINDS
from .nodes import Ctx, NodeRenderer

DEFAULT_VERSION = "v23.0"
VERSION_RE = re.compile(r"^v\d+\.\d+$")
MESSAGING_WINDOW = 24 * 3600


class GraphApp(NodeRenderer):
    """WSGI app for the Graph API (paths /vNN.N/... and unversioned)."""

    def __init__(
        self,
        world: World,
        faults: FaultInjector,
        meter: RateMeter,
        *,
        app_id: str = "1",
        app_name: str = "Insyn",
    ) -> None:
        self.world = world
        self.faults = faults
        self.meter = meter
        self.app_id = app_id
        self.app_name = app_name

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    # --- the request pipeline ---------------------------------------------------------

    def respond(self, req: Request) -> Response:
        parts = [p for p in req.path.split("/") if p]
        version = DEFAULT_VERSION
        if parts and VERSION_RE.match(parts[0]):
            version = parts.pop(0)
        params = req.params()
        token = str(params.get("access_token") or req.bearer_token() or "")
        with self.world.lock:
            record = self.world.tokens.get(token) if token else None
            subject = (
                record.subject_id if record is not None and record.platform == "graph" else None
            )
        rule = self.faults.take("graph", subject, req.method, req.path)
        if rule is not None and rule.delay > 0:
            time.sleep(rule.delay)
        if rule is not None and rule.kind not in ("delay", "malformed"):
            response = self._fault_response(rule, subject)
        else:
            response = self._handle(req, parts, version, params, token, record, subject)
            if rule is not None and rule.kind == "malformed":
                response = Response(
                    200, response.body[: max(1, len(response.body) // 2)], response.headers
                )
                response.set_header("Content-Length", str(len(response.body)))
        response.set_header("facebook-api-version", version)
        response.set_header("x-fb-trace-id", _trace_id())
        response.set_header("Cache-Control", "private, no-cache, no-store, must-revalidate")
        return response

    def _handle(self, req, parts, version, params, token, record, subject) -> Response:
        try:
            if not token:
                raise GraphError("An access token is required to request this resource.", 104)
            error = token_error(record, self.world.now())
            if error is not None:
                raise error
            assert subject is not None
            count, limit, end = self.meter.hit(subject, time.time())
            usage = self._usage_headers(subject, count, limit, end)
            if count > limit:
                # Instagram objects count against the Instagram business-use-case limit.
                with self.world.lock:
                    code = 80002 if parts and self._is_instagram(parts[0]) else 32
                error = GraphError(RATE_LIMIT_MESSAGES[code], code, is_transient=True)
                return json_response(error.body(), error.status, usage)
            ctx = Ctx(req, version, token, subject, self.world)
            with self.world.lock:
                data = self._route(ctx, parts, params)
            return json_response(data, 200, usage)
        except GraphError as error:
            headers = []
            if error.code in (102, 190):
                headers.append(
                    (
                        "WWW-Authenticate",
                        f'OAuth "Facebook Platform" "invalid_token" "{error.message}"',
                    )
                )
            return json_response(error.body(), error.status, headers)

    def _usage_headers(
        self, subject: str, count: int, limit: int, end: float, throttled: bool = False
    ) -> list:
        pct = 100 if throttled else min(100, round(count * 100 / max(limit, 1)))
        app = {"call_count": pct, "total_cputime": pct // 3, "total_time": pct // 2}
        regain = max(1, round((end - time.time()) / 60)) if throttled or count > limit else 0
        buc = {
            subject: [
                {
                    "type": "pages",
                    "call_count": pct,
                    "total_cputime": pct // 3,
                    "total_time": pct // 2,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        return [
            ("X-App-Usage", json.dumps(app, separators=(",", ":"))),
            ("X-Business-Use-Case-Usage", json.dumps(buc, separators=(",", ":"))),
        ]

    def _fault_response(self, rule: FaultRule, subject: str | None) -> Response:
        if rule.kind == "rate_limit":
            code = rule.code or 32
            error = GraphError(
                RATE_LIMIT_MESSAGES.get(code, f"(#{code}) Rate limit reached"),
                code,
                is_transient=True,
            )
            _, limit, end = self.meter.peek(subject or "-", time.time())
            return json_response(
                error.body(),
                400,
                self._usage_headers(subject or "0", limit, limit, end, throttled=True),
            )
        if rule.kind == "auth_error":
            states = {463: "expired", 460: "password_changed", 458: "revoked", 467: "invalid"}
            state = states.get(rule.subcode or 463, "expired")
            record = Token("-", "graph", subject or "", state, time.time(), time.time())
            error = token_error(record, time.time())
            assert error is not None
            if rule.subcode is not None:
                error.subcode = rule.subcode
            return json_response(
                error.body(),
                400,
                [("WWW-Authenticate", 'OAuth "Facebook Platform" "invalid_token"')],
            )
        if rule.status == 502:
            return text_response(
                "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>",
                502,
                "text/html",
            )
        if rule.status == 503:
            error = GraphError(
                "An unexpected error has occurred. Please retry your request later.",
                2,
                is_transient=True,
                status=503,
            )
        else:
            error = GraphError(
                "An unknown error has occurred.", 1, is_transient=True, status=rule.status
            )
        return json_response(error.body(), error.status)

    # --- routing ------------------------------------------------------------------------

    def _route(self, ctx: Ctx, parts: list[str], params: dict) -> Any:
        method = ctx.req.method
        if not parts:
            raise GraphError(
                f"Unsupported {method.lower()} request.", 100, type="GraphMethodException"
            )
        if len(parts) > 2:
            raise GraphError(f"Unknown path components: /{'/'.join(parts[1:])}", 2500)
        object_id = ctx.page_id if parts[0] == "me" else parts[0]
        edge = parts[1] if len(parts) == 2 else None
        if method == "GET":
            kind, obj = self._lookup(object_id, method)
            if kind in IG_KINDS:
                self.ig_check_access(ctx, kind, obj, object_id, method)
            specs = self._specs(params.get("fields"))
            if edge is None:
                return self.render(ctx, kind, obj, specs)
            if edge == "subscribed_apps" and kind == "page":
                return {
                    "data": [
                        {
                            "name": self.app_name,
                            "id": self.app_id,
                            "subscribed_fields": list(obj.subscribed_fields),
                        }
                    ]
                }
            return self.edge(ctx, kind, obj, edge, params, specs, nested=False)
        if method == "POST":
            return self._post(ctx, object_id, edge, params)
        if method == "DELETE" and edge is None:
            return self._delete(ctx, object_id)
        raise GraphError(f"Unsupported {method.lower()} request.", 100, type="GraphMethodException")

    def _specs(self, fields: Any) -> list[FieldSpec] | None:
        if fields in (None, ""):
            return None
        try:
            return parse_fields(str(fields))
        except FieldSyntaxError as exc:
            raise GraphError(f'Syntax error "{exc}" in the fields parameter', 2500) from exc

    def _lookup(self, object_id: str, method: str) -> tuple[str, Any]:
        world = self.world
        try:
            if object_id in world.pages:
                return "page", world.pages[object_id]
            if object_id in world.posts:
                return "post", world.live_post(object_id)
            if object_id in world.comments:
                return "comment", world.live_comment(object_id)
            if object_id in world.conversations:
                return "conversation", world.conversations[object_id]
            if object_id in world.messages:
                return "message", world.messages[object_id]
            if object_id in world.users:
                return "user", world.users[object_id]
            found = self.ig_lookup(object_id)
            if found is not None:
                return found
        except NotFound:
            pass
        raise not_found(object_id, method)

    def _is_instagram(self, object_id: str) -> bool:
        world = self.world
        return object_id in world.ig_accounts or object_id in world.ig_media or object_id in world.ig_comments

    # --- writes -------------------------------------------------------------------------

    def _require_page(self, ctx: Ctx, page_id: str) -> None:
        if page_id != ctx.page_id:
            raise GraphError("(#200) Permissions error", 200, status=403)

    def _post(self, ctx: Ctx, object_id: str, edge: str | None, params: dict) -> dict:
        world = self.world
        if edge == "messages" and (object_id == ctx.page_id or object_id in world.pages):
            self._require_page(ctx, object_id)
            return self._send(ctx, params)
        kind, obj = self._lookup(object_id, "POST")
        if kind in IG_KINDS:
            return self.ig_post(ctx, kind, obj, edge, params)
        if edge == "comments" and kind in ("post", "comment"):
            message = str(params.get("message", "") or "")
            attachment = None
            if params.get("attachment_url"):
                url = str(params["attachment_url"])
                attachment = {
                    "type": "photo",
                    "url": url,
                    "media": {"image": {"src": url, "width": 720, "height": 480}},
                }
            if not message and attachment is None:
                raise GraphError("(#100) Missing message or attachment", 100)
            try:
                comment = world.add_comment(obj.id, ctx.page_id, message, attachment=attachment)
            except NotFound as exc:
                raise not_found(object_id, "POST") from exc
            return {"id": comment.id}
        if edge == "feed" and kind == "page":
            self._require_page(ctx, obj.id)
            message = str(params.get("message", "") or "")
            if not message and not params.get("link"):
                raise GraphError("(#100) Missing message or attachment", 100)
            post = world.create_post(obj.id, message)
            return {"id": post.id}
        if edge == "subscribed_apps" and kind == "page":
            self._require_page(ctx, obj.id)
            fields = [
                f.strip()
                for f in str(params.get("subscribed_fields", "") or "").split(",")
                if f.strip()
            ]
            if not fields:
                raise GraphError("(#100) The parameter subscribed_fields is required", 100)
            obj.subscribed_fields = fields
            return {"success": True}
        if edge is None and kind == "comment":
            self._require_page(ctx, world.posts[obj.post_id].page_id)
            if "is_hidden" in params:
                hidden = str(params["is_hidden"]).lower() in ("true", "1")
                if obj.from_id == ctx.page_id:
                    raise GraphError("(#100) A Page cannot hide its own comment", 100)
                world.set_comment_hidden(obj.id, hidden)
            if "message" in params:
                if obj.from_id != ctx.page_id:
                    raise GraphError("(#200) Permissions error", 200, status=403)
                world.edit_comment(obj.id, str(params["message"]))
            return {"success": True}
        if edge is None and kind == "post":
            self._require_page(ctx, obj.page_id)
            if "message" in params:
                if obj.from_id != ctx.page_id:
                    raise GraphError("(#200) Permissions error", 200, status=403)
                world.edit_post(obj.id, str(params["message"]))
            return {"success": True}
        if edge is not None:
            raise GraphError(f"Unknown path components: /{edge}", 2500)
        raise not_found(object_id, "POST")

    def _delete(self, ctx: Ctx, object_id: str) -> dict:
        kind, obj = self._lookup(object_id, "DELETE")
        if kind in IG_KINDS:
            return self.ig_delete(ctx, kind, obj)
        if kind == "comment":
            self._require_page(ctx, self.world.posts[obj.post_id].page_id)
            self.world.delete_comment(obj.id)
            return {"success": True}
        if kind == "post":
            self._require_page(ctx, obj.page_id)
            if obj.from_id != ctx.page_id and obj.page_id != ctx.page_id:
                raise GraphError("(#200) Permissions error", 200, status=403)
            self.world.delete_post(obj.id)
            return {"success": True}
        raise not_found(object_id, "DELETE")

    def _send(self, ctx: Ctx, params: dict) -> dict:
        """The Send API: POST /me/messages or /{page-id}/messages."""
        recipient = _json_param(params.get("recipient"))
        message = _json_param(params.get("message"))
        if not isinstance(recipient, dict) or not recipient.get("id"):
            raise GraphError("(#100) The parameter recipient is required", 100)
        if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
            raise GraphError("(#100) The parameter message is required", 100)
        user_id = str(recipient["id"])
        world = self.world
        conv = next(
            (
                c
                for c in world.conversations.values()
                if c.page_id == ctx.page_id and c.user_id == user_id
            ),
            None,
        )
        if user_id not in world.users or conv is None:
            raise GraphError("(#100) No matching user found", 100, subcode=2018001)
        last_in = max(
            (m.created_time for m in world.messages_of(conv.id) if m.from_id == user_id),
            default=None,
        )
        messaging_type = str(params.get("messaging_type", "RESPONSE") or "RESPONSE")
        if messaging_type != "MESSAGE_TAG" and (
            last_in is None or world.now() - last_in > MESSAGING_WINDOW
        ):
            raise GraphError(
                "(#10) This message is sent outside of allowed window.", 10, subcode=2018278
            )
        attachments = []
        if message.get("attachment"):
            url = str(message["attachment"].get("payload", {}).get("url", ""))
            attachments = [
                {
                    "id": world.fb_number(15),
                    "mime_type": "image/jpeg",
                    "name": "image.jpg",
                    "image_data": {"url": url, "width": 960, "height": 720},
                }
            ]
        try:
            sent = world.send_message(
                ctx.page_id,
                user_id,
                str(message.get("text", "")),
                from_page=True,
                attachments=attachments,
            )
        except (NotFound, Invalid) as exc:
            raise GraphError("(#100) No matching user found", 100, subcode=2018001) from exc
        return {"recipient_id": user_id, "message_id": sent.id}


def _json_param(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            try:
                return json.loads(value.replace("'", '"'))
            except ValueError:
                return None
    return value
