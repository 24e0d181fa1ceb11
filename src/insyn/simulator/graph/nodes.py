"""Rendering Graph nodes and edges: the `fields` parameter, defaults, cursor paging."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..clock import fb_time, parse_time_param
from ..store import Comment, Conversation, FbUser, Message, Post, World
from ..wsgi import Request, url_with
from .errors import GraphError
from .fields import FieldSpec, parse_fields, render_fields
from .instagram import IG_DEFAULT_FIELDS, IG_KINDS, IG_TYPE_NAMES, InstagramNodes

MAX_LIMIT = 100
DEFAULT_LIMIT = 25

TYPE_NAMES = {
    "page": "Page",
    "post": "Post",
    "comment": "Comment",
    "conversation": "UnifiedThread",
    "message": "Message",
    "user": "User",
    **IG_TYPE_NAMES,
}


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


class NodeRenderer(InstagramNodes):
    """Nodes and edges of the Graph, rendered for one request's `fields`."""

    world: World

    # --- nodes --------------------------------------------------------------------------

    DEFAULT_FIELDS = {
        "page": "name,id",
        "post": "created_time,message,story,id",
        "comment": "created_time,from,message,id",
        "conversation": "id,updated_time",
        "message": "id,created_time",
        "user": "name,id",
        **IG_DEFAULT_FIELDS,
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
                    f"(#100) Tried accessing nonexisting field ({spec.name}) on node type ({TYPE_NAMES[kind]})",
                    100,
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
        if kind in IG_KINDS:
            return self.ig_providers(kind)
        return {
            "page": self._page_fields,
            "post": self._post_fields,
            "comment": self._comment_fields,
            "conversation": self._conversation_fields,
            "message": self._message_fields,
            "user": self._user_fields,
        }[kind]()

    def _actor(
        self, ctx: Ctx, actor_id: str, spec: FieldSpec | None, *, email: bool = False
    ) -> dict:
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
            name: (
                lambda n: (
                    lambda ctx, page, spec: self.edge(
                        ctx, "page", page, n, spec.modifiers, spec.subfields, nested=True
                    )
                )
            )(name)
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
                f"{ctx.world.actor_name(post.from_id)} added a new photo."
                if post.attachments and not post.message
                else _MISSING
            ),
            "created_time": lambda ctx, post, spec: fb_time(post.created_time),
            "updated_time": lambda ctx, post, spec: fb_time(self._post_updated(post)),
            "permalink_url": lambda ctx, post, spec: _post_permalink(post),
            "from": lambda ctx, post, spec: self._actor(ctx, post.from_id, spec),
            "attachments": attachments,
            "full_picture": lambda ctx, post, spec: (
                post.attachments[0].get("media", {}).get("image", {}).get("src", _MISSING)
                if post.attachments
                else _MISSING
            ),
            "status_type": lambda ctx, post, spec: post.status_type,
            "is_published": lambda ctx, post, spec: post.is_published,
            "is_hidden": lambda ctx, post, spec: False,
            "is_expired": lambda ctx, post, spec: False,
            "privacy": lambda ctx, post, spec: {
                "allow": "",
                "deny": "",
                "description": "Public",
                "friends": "",
                "value": "EVERYONE",
            },
            "comments": lambda ctx, post, spec: self.edge(
                ctx, "post", post, "comments", spec.modifiers, spec.subfields, nested=True
            ),
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
            "attachment": lambda ctx, c, spec: (
                _select(c.attachment, spec.subfields) if c.attachment else _MISSING
            ),
            "permalink_url": lambda ctx, c, spec: (
                f"{_post_permalink(world.posts[c.post_id])}?comment_id={c.id.split('_', 1)[1]}"
            ),
            "object": lambda ctx, c, spec: _MISSING,
            "message_tags": lambda ctx, c, spec: _MISSING,
            "comments": lambda ctx, c, spec: self.edge(
                ctx, "comment", c, "comments", spec.modifiers, spec.subfields, nested=True
            ),
            "reactions": _empty_reactions,
            "likes": _empty_reactions,
        }

    def _conversation_fields(self) -> dict[str, Callable]:
        world = self.world

        def participants(ctx: Ctx, conv: Conversation, spec: FieldSpec):
            return {
                "data": [
                    self._actor(ctx, conv.user_id, spec, email=True),
                    self._actor(ctx, conv.page_id, spec, email=True),
                ]
            }

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
            "link": lambda ctx, conv, spec: (
                f"/{world.pages[conv.page_id].username}/inbox/{conv.id[2:]}/?section=messages"
            ),
            "snippet": snippet,
            "can_reply": lambda ctx, conv, spec: True,
            "is_subscribed": lambda ctx, conv, spec: True,
            "messages": lambda ctx, conv, spec: self.edge(
                ctx, "conversation", conv, "messages", spec.modifiers, spec.subfields, nested=True
            ),
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
            "tags": lambda ctx, m, spec: {
                "data": [
                    {"name": "inbox"},
                    {"name": "read"}
                    if m.from_id in self.world.pages
                    else {"name": "source:mobile"},
                ]
            },
        }

    def _user_fields(self) -> dict[str, Callable]:
        return {
            "id": lambda ctx, u, spec: u.id,
            "name": lambda ctx, u, spec: u.name,
            "first_name": lambda ctx, u, spec: u.first_name,
            "last_name": lambda ctx, u, spec: u.last_name,
            "profile_pic": lambda ctx, u, spec: (
                f"https://platform-lookaside.fbsbx.com/platform/profilepic/?psid={u.id}"
            ),
        }

    # --- edges --------------------------------------------------------------------------

    def edge(
        self,
        ctx: Ctx,
        kind: str,
        obj: Any,
        edge: str,
        params: dict,
        subspecs: list[FieldSpec] | None,
        *,
        nested: bool,
    ) -> dict:
        world = self.world
        summary: dict | None = None
        instagram = self.ig_edge_items(kind, obj, edge, params) if kind in IG_KINDS else None
        if instagram is not None:
            items, key, item_kind = instagram
        elif kind == "page" and edge in ("feed", "posts", "published_posts"):
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
            items = (
                [c for c in world.conversations.values() if c.page_id == obj.id]
                if platform == "messenger"
                else []
            )
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
                items = (
                    [c for c in world.replies_of(obj.id) if self._visible(c)]
                    if obj.parent_id is None
                    else []
                )
            order = str(params.get("order", "chronological") or "chronological")
            if order not in ("chronological", "reverse_chronological"):
                raise GraphError(
                    "(#100) param order must be one of {chronological, reverse_chronological}", 100
                )
            sign = 1 if order == "chronological" else -1
            items.sort(key=lambda c: (sign * c.created_time, sign * c.seq))
            key = lambda c: [sign * c.created_time, sign * c.seq]  # noqa: E731
            item_kind = "comment"
            if _truthy(params.get("summary", "")):
                summary = {
                    "order": order,
                    "total_count": len(items),
                    "can_comment": kind == "post" or obj.parent_id is None,
                }
        elif kind == "conversation" and edge == "messages":
            items = sorted(world.messages_of(obj.id), key=lambda m: (-m.created_time, -m.seq))
            key = lambda m: [-m.created_time, -m.seq]  # noqa: E731
            item_kind = "message"
        else:
            if nested:
                raise GraphError(
                    f"(#100) Tried accessing nonexisting field ({edge}) on node type ({TYPE_NAMES[kind]})",
                    100,
                )
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
            paging: dict[str, Any] = {
                "cursors": {
                    "before": encode_cursor(key(page[0])),
                    "after": encode_cursor(key(page[-1])),
                }
            }
            link_params = self._link_params(ctx, params, subspecs, nested, limit)
            link_base = f"{ctx.base}/{obj.id}/{edge}"
            if has_prev:
                paging["previous"] = url_with(
                    link_base, [*link_params, ("before", paging["cursors"]["before"])]
                )
            if has_next:
                paging["next"] = url_with(
                    link_base, [*link_params, ("after", paging["cursors"]["after"])]
                )
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

    def _link_params(
        self, ctx: Ctx, params: dict, subspecs, nested: bool, limit: int
    ) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [("access_token", ctx.token)]
        if subspecs is not None:
            out.append(("fields", render_fields(subspecs)))
        for name in ("filter", "order", "summary", "since", "until", "platform", "user_id"):
            if params.get(name) not in (None, ""):
                out.append((name, str(params[name])))
        out.append(("limit", str(limit)))
        return out


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
            out[spec.name] = (
                _select(value, spec.subfields)
                if isinstance(value, dict) and spec.subfields
                else value
            )
    return out


def _post_permalink(post: Post) -> str:
    return f"https://www.facebook.com/{post.page_id}/posts/{post.id.split('_', 1)[1]}"
