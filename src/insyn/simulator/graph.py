"""A local Graph API for Pages: nodes, edges, field expansion, cursors, errors, writes.

Shapes follow developers.facebook.com (Graph API reference for Page, Post, Comment,
Conversation and Message; "Paginated Results"; "Handling Errors"; "Rate Limits";
Messenger Send API). docs/simulator.md lists what differs from the real thing.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Callable

from .clock import fb_time, parse_time_param
from .faults import FaultInjector, FaultRule, RateMeter
from .graph_fields import FieldSpec, FieldSyntaxError, parse_fields, render_fields
from .store import Comment, Conversation, FbUser, Invalid, Message, NotFound, Page, Post, Token, World
from .wsgi import Request, Response, json_response, text_response, url_with

DEFAULT_VERSION = "v23.0"
VERSION_RE = re.compile(r"^v\d+\.\d+$")
MAX_LIMIT = 100
DEFAULT_LIMIT = 25
MESSAGING_WINDOW = 24 * 3600

RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
}

TYPE_NAMES = {
    "page": "Page",
    "post": "Post",
    "comment": "Comment",
    "conversation": "UnifiedThread",
    "message": "Message",
    "user": "User",
}


class GraphError(Exception):
    def __init__(
        self,
        message: str,
        code: int,
        *,
        type: str = "OAuthException",  # noqa: A002 - the wire name
        subcode: int | None = None,
        status: int = 400,
        is_transient: bool | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type
        self.subcode = subcode
        self.status = status
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg

    def body(self) -> dict:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = _trace_id()
        return {"error": error}


def _trace_id() -> str:
    return base64.b64encode(secrets.token_bytes(8)).decode().rstrip("=").replace("+", "A").replace("/", "B")


def not_found(object_id: str, method: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        100,
        type="GraphMethodException",
        subcode=33,
    )


def token_error(record: Token | None, now: float) -> GraphError | None:
    """The OAuthException a token in this state gets, or None if it is good."""
    if record is None or record.platform != "graph":
        return GraphError("Invalid OAuth access token data.", 190)
    if record.state == "valid":
        return None
    if record.state == "expired":
        def day(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")

        return GraphError(
            f"Error validating access token: Session has expired on {day(record.changed_at)}. "
            f"The current time is {day(now)}.",
            190,
            subcode=463,
        )
    if record.state == "password_changed":
        return GraphError(
            "Error validating access token: The session has been invalidated because the user changed their "
            "password or Facebook has changed the session for security reasons.",
            190,
            subcode=460,
        )
    if record.state == "revoked":
        return GraphError("Error validating access token: The user has not authorized application 1.", 190, subcode=458)
    return GraphError("Error validating access token: The session is invalid because the user logged out.", 190, subcode=467)


@dataclass
class Ctx:
    req: Request
    version: str
    token: str
    page_id: str
    world: World

    @property
    def base(self) -> str:
        return f"{self.req.host_url}{self.req.script_name}/{self.version}"


def encode_cursor(key: list) -> str:
    return base64.b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(value: str, name: str) -> list:
    try:
        key = json.loads(base64.b64decode(value.encode(), validate=True).decode())
        if not isinstance(key, list):
            raise ValueError
        return key
    except (ValueError, UnicodeDecodeError) as exc:
        raise GraphError(f"(#100) The parameter {name} is not a valid cursor", 100) from exc


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "total_count")


def _limit(value: Any) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError) as exc:
        raise GraphError("(#100) Param limit must be a number", 100) from exc
    return max(0, min(limit, MAX_LIMIT))


class GraphApp:
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
            subject = record.subject_id if record is not None and record.platform == "graph" else None
        rule = self.faults.take("graph", subject, req.method, req.path)
        if rule is not None and rule.delay > 0:
            time.sleep(rule.delay)
        if rule is not None and rule.kind not in ("delay", "malformed"):
            response = self._fault_response(rule, subject)
        else:
            response = self._handle(req, parts, version, params, token, record, subject)
            if rule is not None and rule.kind == "malformed":
                response = Response(200, response.body[: max(1, len(response.body) // 2)], response.headers)
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
                error = GraphError(RATE_LIMIT_MESSAGES[32], 32, is_transient=True)
                return json_response(error.body(), error.status, usage)
            ctx = Ctx(req, version, token, subject, self.world)
            with self.world.lock:
                data = self._route(ctx, parts, params)
            return json_response(data, 200, usage)
        except GraphError as error:
            headers = []
            if error.code in (102, 190):
                headers.append(("WWW-Authenticate", f'OAuth "Facebook Platform" "invalid_token" "{error.message}"'))
            return json_response(error.body(), error.status, headers)

    def _usage_headers(self, subject: str, count: int, limit: int, end: float, throttled: bool = False) -> list:
        pct = 100 if throttled else min(100, round(count * 100 / max(limit, 1)))
        app = {"call_count": pct, "total_cputime": pct // 3, "total_time": pct // 2}
        regain = max(1, round((end - time.time()) / 60)) if throttled or count > limit else 0
        buc = {subject: [{"type": "pages", "call_count": pct, "total_cputime": pct // 3, "total_time": pct // 2,
                          "estimated_time_to_regain_access": regain}]}
        return [
            ("X-App-Usage", json.dumps(app, separators=(",", ":"))),
            ("X-Business-Use-Case-Usage", json.dumps(buc, separators=(",", ":"))),
        ]

    def _fault_response(self, rule: FaultRule, subject: str | None) -> Response:
        if rule.kind == "rate_limit":
            code = rule.code or 32
            error = GraphError(RATE_LIMIT_MESSAGES.get(code, f"(#{code}) Rate limit reached"), code, is_transient=True)
            _, limit, end = self.meter.peek(subject or "-", time.time())
            return json_response(error.body(), 400, self._usage_headers(subject or "0", limit, limit, end, throttled=True))
        if rule.kind == "auth_error":
            record = Token("-", "graph", subject or "", "expired", time.time(), time.time())
            error = token_error(record, time.time())
            assert error is not None
            if rule.subcode is not None:
                error.subcode = rule.subcode
            return json_response(error.body(), 400, [("WWW-Authenticate", 'OAuth "Facebook Platform" "invalid_token"')])
        if rule.status == 502:
            return text_response("<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>", 502, "text/html")
        if rule.status == 503:
            error = GraphError("An unexpected error has occurred. Please retry your request later.", 2, is_transient=True, status=503)
        else:
            error = GraphError("An unknown error has occurred.", 1, is_transient=True, status=rule.status)
        return json_response(error.body(), error.status)

    # --- routing ------------------------------------------------------------------------

    def _route(self, ctx: Ctx, parts: list[str], params: dict) -> Any:
        method = ctx.req.method
        if not parts:
            raise GraphError(f"Unsupported {method.lower()} request.", 100, type="GraphMethodException")
        if len(parts) > 2:
            raise GraphError(f"Unknown path components: /{'/'.join(parts[1:])}", 2500)
        object_id = ctx.page_id if parts[0] == "me" else parts[0]
        edge = parts[1] if len(parts) == 2 else None
        if method == "GET":
            kind, obj = self._lookup(object_id, method)
            specs = self._specs(params.get("fields"))
            if edge is None:
                return self.render(ctx, kind, obj, specs)
            if edge == "subscribed_apps" and kind == "page":
                return {"data": [{"name": self.app_name, "id": self.app_id, "subscribed_fields": list(obj.subscribed_fields)}]}
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
            raise GraphError(f"Syntax error \"{exc}\" in the fields parameter", 2500) from exc

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
        except NotFound:
            pass
        raise not_found(object_id, method)

    # --- nodes --------------------------------------------------------------------------

    DEFAULT_FIELDS = {
        "page": "name,id",
        "post": "created_time,message,story,id",
        "comment": "created_time,from,message,id",
        "conversation": "id,updated_time",
        "message": "id,created_time",
        "user": "name,id",
    }

    def render(self, ctx: Ctx, kind: str, obj: Any, specs: list[FieldSpec] | None) -> dict:
        explicit = specs is not None
        specs = specs if specs is not None else parse_fields(self.DEFAULT_FIELDS[kind])
        providers = self._providers(kind)
        out: dict[str, Any] = {}
        for spec in specs:
            provider = providers.get(spec.name)
            if provider is None:
                raise GraphError(
                    f"(#100) Tried accessing nonexisting field ({spec.name}) on node type ({TYPE_NAMES[kind]})", 100
                )
            value = provider(ctx, obj, spec)
            if value is not _MISSING:
                out[spec.name] = value
        if "id" not in out:
            out["id"] = obj.id
        if not explicit and kind == "post" and "message" in out:
            out.pop("story", None)
        return out

    def _providers(self, kind: str) -> dict[str, Callable]:
        return {
            "page": self._page_fields,
            "post": self._post_fields,
            "comment": self._comment_fields,
            "conversation": self._conversation_fields,
            "message": self._message_fields,
            "user": self._user_fields,
        }[kind]()

    def _actor(self, ctx: Ctx, actor_id: str, spec: FieldSpec | None, *, email: bool = False) -> dict:
        world = ctx.world
        sub = spec.subfields if spec else None
        if actor_id in world.pages:
            page = world.pages[actor_id]
            full = {"name": page.name, "id": page.id}
        else:
            user = world.users.get(actor_id) or FbUser(actor_id, "")
            full = {"name": user.name, "id": user.id}
            if email:
                full = {"name": user.name, "email": f"{user.id}@facebook.com", "id": user.id}
            full.update({"first_name": user.first_name, "last_name": user.last_name})
            if not sub:
                full.pop("first_name")
                full.pop("last_name")
        if not sub:
            return full
        out = {s.name: full[s.name] for s in sub if s.name in full}
        out.setdefault("id", full["id"])
        return out

    def _page_fields(self) -> dict[str, Callable]:
        def field(name):
            return lambda ctx, page, spec: getattr(page, name)

        edges = {
            name: (lambda n: lambda ctx, page, spec: self.edge(ctx, "page", page, n, spec.modifiers, spec.subfields, nested=True))(name)
            for name in ("feed", "posts", "published_posts", "conversations")
        }
        return {
            "id": field("id"),
            "name": field("name"),
            "username": field("username"),
            "category": field("category"),
            "followers_count": field("followers_count"),
            "fan_count": field("followers_count"),
            "link": lambda ctx, page, spec: f"https://www.facebook.com/{page.username}",
            "about": lambda ctx, page, spec: f"Officiell sida för {page.name}.",
            "is_published": lambda ctx, page, spec: True,
            "verification_status": lambda ctx, page, spec: "blue_verified",
            "website": lambda ctx, page, spec: f"https://www.{page.username}.se",
            **edges,
        }

    def _post_fields(self) -> dict[str, Callable]:
        def attachments(ctx: Ctx, post: Post, spec: FieldSpec):
            if not post.attachments:
                return _MISSING
            items = [_select(a, spec.subfields) for a in post.attachments]
            return {"data": items}

        return {
            "id": lambda ctx, post, spec: post.id,
            "message": lambda ctx, post, spec: post.message if post.message else _MISSING,
            "story": lambda ctx, post, spec: (
                f"{ctx.world.actor_name(post.from_id)} added a new photo." if post.attachments and not post.message else _MISSING
            ),
            "created_time": lambda ctx, post, spec: fb_time(post.created_time),
            "updated_time": lambda ctx, post, spec: fb_time(self._post_updated(post)),
            "permalink_url": lambda ctx, post, spec: _post_permalink(post),
            "from": lambda ctx, post, spec: self._actor(ctx, post.from_id, spec),
            "attachments": attachments,
            "full_picture": lambda ctx, post, spec: (
                post.attachments[0].get("media", {}).get("image", {}).get("src", _MISSING) if post.attachments else _MISSING
            ),
            "status_type": lambda ctx, post, spec: post.status_type,
            "is_published": lambda ctx, post, spec: post.is_published,
            "is_hidden": lambda ctx, post, spec: False,
            "is_expired": lambda ctx, post, spec: False,
            "privacy": lambda ctx, post, spec: {"allow": "", "deny": "", "description": "Public", "friends": "", "value": "EVERYONE"},
            "comments": lambda ctx, post, spec: self.edge(ctx, "post", post, "comments", spec.modifiers, spec.subfields, nested=True),
            "reactions": _empty_reactions,
            "likes": _empty_reactions,
            "shares": lambda ctx, post, spec: _MISSING,
            "message_tags": lambda ctx, post, spec: _MISSING,
        }

    def _post_updated(self, post: Post) -> float:
        latest = post.updated_time
        for comment in self.world.comments_of_post(post.id):
            if comment.deleted_at is None:
                latest = max(latest, comment.created_time)
        return latest

    def _comment_fields(self) -> dict[str, Callable]:
        world = self.world

        def parent(ctx: Ctx, comment: Comment, spec: FieldSpec):
            if comment.parent_id is None:
                return _MISSING
            return self.render(ctx, "comment", world.comments[comment.parent_id], spec.subfields)

        def reply_count(comment: Comment) -> int:
            if comment.parent_id is not None:
                return 0
            return sum(1 for r in world.replies_of(comment.id) if r.deleted_at is None)

        def is_own(comment: Comment) -> bool:
            return comment.from_id == world.posts[comment.post_id].page_id

        return {
            "id": lambda ctx, c, spec: c.id,
            "message": lambda ctx, c, spec: c.message,
            "created_time": lambda ctx, c, spec: fb_time(c.created_time),
            "from": lambda ctx, c, spec: self._actor(ctx, c.from_id, spec),
            "parent": parent,
            "is_hidden": lambda ctx, c, spec: c.is_hidden,
            "is_private": lambda ctx, c, spec: False,
            "can_hide": lambda ctx, c, spec: not is_own(c),
            "can_remove": lambda ctx, c, spec: True,
            "can_comment": lambda ctx, c, spec: c.parent_id is None,
            "can_like": lambda ctx, c, spec: True,
            "can_reply_privately": lambda ctx, c, spec: not is_own(c),
            "comment_count": lambda ctx, c, spec: reply_count(c),
            "like_count": lambda ctx, c, spec: 0,
            "user_likes": lambda ctx, c, spec: False,
            "attachment": lambda ctx, c, spec: _select(c.attachment, spec.subfields) if c.attachment else _MISSING,
            "permalink_url": lambda ctx, c, spec: f"{_post_permalink(world.posts[c.post_id])}?comment_id={c.id.split('_', 1)[1]}",
            "object": lambda ctx, c, spec: _MISSING,
            "message_tags": lambda ctx, c, spec: _MISSING,
            "comments": lambda ctx, c, spec: self.edge(ctx, "comment", c, "comments", spec.modifiers, spec.subfields, nested=True),
            "reactions": _empty_reactions,
            "likes": _empty_reactions,
        }

    def _conversation_fields(self) -> dict[str, Callable]:
        world = self.world

        def participants(ctx: Ctx, conv: Conversation, spec: FieldSpec):
            return {"data": [self._actor(ctx, conv.user_id, spec, email=True), self._actor(ctx, conv.page_id, spec, email=True)]}

        def snippet(ctx: Ctx, conv: Conversation, spec: FieldSpec):
            msgs = world.messages_of(conv.id)
            return msgs[-1].message[:100] if msgs else ""

        return {
            "id": lambda ctx, conv, spec: conv.id,
            "updated_time": lambda ctx, conv, spec: fb_time(conv.updated_time),
            "message_count": lambda ctx, conv, spec: len(world.messages_of(conv.id)),
            "unread_count": lambda ctx, conv, spec: conv.unread_count,
            "participants": participants,
            "senders": participants,
            "former_participants": lambda ctx, conv, spec: {"data": []},
            "link": lambda ctx, conv, spec: f"/{world.pages[conv.page_id].username}/inbox/{conv.id[2:]}/?section=messages",
            "snippet": snippet,
            "can_reply": lambda ctx, conv, spec: True,
            "is_subscribed": lambda ctx, conv, spec: True,
            "messages": lambda ctx, conv, spec: self.edge(ctx, "conversation", conv, "messages", spec.modifiers, spec.subfields, nested=True),
        }

    def _message_fields(self) -> dict[str, Callable]:
        def attachments(ctx: Ctx, message: Message, spec: FieldSpec):
            if not message.attachments:
                return _MISSING
            return {"data": [_select(a, spec.subfields) for a in message.attachments]}

        return {
            "id": lambda ctx, m, spec: m.id,
            "created_time": lambda ctx, m, spec: fb_time(m.created_time),
            "from": lambda ctx, m, spec: self._actor(ctx, m.from_id, spec, email=True),
            "to": lambda ctx, m, spec: {"data": [self._actor(ctx, m.to_id, spec, email=True)]},
            "message": lambda ctx, m, spec: m.message,
            "attachments": attachments,
            "sticker": lambda ctx, m, spec: _MISSING,
            "shares": lambda ctx, m, spec: _MISSING,
            "tags": lambda ctx, m, spec: {"data": [{"name": "inbox"}, {"name": "read"} if m.from_id in self.world.pages else {"name": "source:mobile"}]},
        }

    def _user_fields(self) -> dict[str, Callable]:
        return {
            "id": lambda ctx, u, spec: u.id,
            "name": lambda ctx, u, spec: u.name,
            "first_name": lambda ctx, u, spec: u.first_name,
            "last_name": lambda ctx, u, spec: u.last_name,
            "profile_pic": lambda ctx, u, spec: f"https://platform-lookaside.fbsbx.com/platform/profilepic/?psid={u.id}",
        }

    # --- edges --------------------------------------------------------------------------

    def edge(self, ctx: Ctx, kind: str, obj: Any, edge: str, params: dict, subspecs: list[FieldSpec] | None, *, nested: bool) -> dict:
        world = self.world
        summary: dict | None = None
        if kind == "page" and edge in ("feed", "posts", "published_posts"):
            items = [p for p in world.posts_of_page(obj.id) if p.deleted_at is None]
            if edge != "feed":
                items = [p for p in items if p.from_id == obj.id]
            since = parse_time_param(str(params.get("since", "") or ""))
            until = parse_time_param(str(params.get("until", "") or ""))
            if since is not None:
                items = [p for p in items if p.created_time >= since]
            if until is not None:
                items = [p for p in items if p.created_time <= until]
            items.sort(key=lambda p: (-p.created_time, -p.seq))
            key = lambda p: [-p.created_time, -p.seq]  # noqa: E731
            item_kind = "post"
        elif kind == "page" and edge == "conversations":
            platform = str(params.get("platform", "messenger") or "messenger")
            items = [c for c in world.conversations.values() if c.page_id == obj.id] if platform == "messenger" else []
            if params.get("user_id"):
                items = [c for c in items if c.user_id == str(params["user_id"])]
            items.sort(key=lambda c: (-c.updated_time, -c.seq))
            key = lambda c: [-c.updated_time, -c.seq]  # noqa: E731
            item_kind = "conversation"
        elif kind in ("post", "comment") and edge == "comments":
            if kind == "post":
                items = [c for c in world.comments_of_post(obj.id) if self._visible(c)]
                flt = str(params.get("filter", "toplevel") or "toplevel")
                if flt not in ("toplevel", "stream"):
                    raise GraphError("(#100) param filter must be one of {toplevel, stream}", 100)
                if flt == "toplevel":
                    items = [c for c in items if c.parent_id is None]
            else:
                items = [c for c in world.replies_of(obj.id) if self._visible(c)] if obj.parent_id is None else []
            order = str(params.get("order", "chronological") or "chronological")
            if order not in ("chronological", "reverse_chronological"):
                raise GraphError("(#100) param order must be one of {chronological, reverse_chronological}", 100)
            sign = 1 if order == "chronological" else -1
            items.sort(key=lambda c: (sign * c.created_time, sign * c.seq))
            key = lambda c: [sign * c.created_time, sign * c.seq]  # noqa: E731
            item_kind = "comment"
            if _truthy(params.get("summary", "")):
                summary = {"order": order, "total_count": len(items), "can_comment": kind == "post" or obj.parent_id is None}
        elif kind == "conversation" and edge == "messages":
            items = sorted(world.messages_of(obj.id), key=lambda m: (-m.created_time, -m.seq))
            key = lambda m: [-m.created_time, -m.seq]  # noqa: E731
            item_kind = "message"
        else:
            if nested:
                raise GraphError(f"(#100) Tried accessing nonexisting field ({edge}) on node type ({TYPE_NAMES[kind]})", 100)
            raise GraphError(f"Unknown path components: /{edge}", 2500)

        limit = _limit(params.get("limit"))
        after = params.get("after")
        before = params.get("before")
        if after:
            cursor = decode_cursor(str(after), "after")
            rest = [i for i in items if key(i) > cursor]
            page, has_prev, has_next = rest[:limit], True, len(rest) > limit
        elif before:
            cursor = decode_cursor(str(before), "before")
            prior = [i for i in items if key(i) < cursor]
            page, has_prev, has_next = (prior[-limit:] if limit else []), len(prior) > limit, True
        else:
            page, has_prev, has_next = items[:limit], False, len(items) > limit

        result: dict[str, Any] = {"data": [self.render(ctx, item_kind, i, subspecs) for i in page]}
        if page:
            paging: dict[str, Any] = {"cursors": {"before": encode_cursor(key(page[0])), "after": encode_cursor(key(page[-1]))}}
            link_params = self._link_params(ctx, params, subspecs, nested, limit)
            link_base = f"{ctx.base}/{obj.id}/{edge}"
            if has_prev:
                paging["previous"] = url_with(link_base, [*link_params, ("before", paging["cursors"]["before"])])
            if has_next:
                paging["next"] = url_with(link_base, [*link_params, ("after", paging["cursors"]["after"])])
            result["paging"] = paging
        if summary is not None:
            result["summary"] = summary
        return result

    def _visible(self, comment: Comment) -> bool:
        if comment.deleted_at is not None:
            return False
        if comment.parent_id is not None:
            parent = self.world.comments.get(comment.parent_id)
            return parent is not None and parent.deleted_at is None
        return True

    def _link_params(self, ctx: Ctx, params: dict, subspecs, nested: bool, limit: int) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [("access_token", ctx.token)]
        if subspecs is not None:
            out.append(("fields", render_fields(subspecs)))
        for name in ("filter", "order", "summary", "since", "until", "platform", "user_id"):
            if params.get(name) not in (None, ""):
                out.append((name, str(params[name])))
        out.append(("limit", str(limit)))
        return out

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
        if edge == "comments" and kind in ("post", "comment"):
            message = str(params.get("message", "") or "")
            attachment = None
            if params.get("attachment_url"):
                url = str(params["attachment_url"])
                attachment = {"type": "photo", "url": url, "media": {"image": {"src": url, "width": 720, "height": 480}}}
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
            fields = [f.strip() for f in str(params.get("subscribed_fields", "") or "").split(",") if f.strip()]
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
        conv = next((c for c in world.conversations.values() if c.page_id == ctx.page_id and c.user_id == user_id), None)
        if user_id not in world.users or conv is None:
            raise GraphError("(#100) No matching user found", 100, subcode=2018001)
        last_in = max((m.created_time for m in world.messages_of(conv.id) if m.from_id == user_id), default=None)
        messaging_type = str(params.get("messaging_type", "RESPONSE") or "RESPONSE")
        if messaging_type != "MESSAGE_TAG" and (last_in is None or world.now() - last_in > MESSAGING_WINDOW):
            raise GraphError("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
        attachments = []
        if message.get("attachment"):
            url = str(message["attachment"].get("payload", {}).get("url", ""))
            attachments = [{"id": world.fb_number(15), "mime_type": "image/jpeg", "name": "image.jpg",
                            "image_data": {"url": url, "width": 960, "height": 720}}]
        try:
            sent = world.send_message(ctx.page_id, user_id, str(message.get("text", "")), from_page=True, attachments=attachments)
        except (NotFound, Invalid) as exc:
            raise GraphError("(#100) No matching user found", 100, subcode=2018001) from exc
        return {"recipient_id": user_id, "message_id": sent.id}


class _Missing:
    pass


_MISSING: Any = _Missing()


def _empty_reactions(ctx: Ctx, obj: Any, spec: FieldSpec) -> dict:
    result: dict[str, Any] = {"data": []}
    if _truthy(spec.modifiers.get("summary", "")):
        result["summary"] = {"total_count": 0, "viewer_reaction": "NONE"}
    return result


def _select(data: dict, subfields: list[FieldSpec] | None) -> dict:
    if not subfields:
        return dict(data)
    out = {}
    for spec in subfields:
        if spec.name in data:
            value = data[spec.name]
            out[spec.name] = _select(value, spec.subfields) if isinstance(value, dict) and spec.subfields else value
    return out


def _post_permalink(post: Post) -> str:
    return f"https://www.facebook.com/{post.page_id}/posts/{post.id.split('_', 1)[1]}"


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


__all__ = ["GraphApp", "GraphError", "Page", "encode_cursor", "decode_cursor"]
