"""Instagram nodes on the simulated Graph: IG User, IG Media and IG Comment, their edges
(``media``, ``comments``, ``replies``) and the moderation writes.

Shapes follow Meta's Instagram Platform reference (graph.facebook.com, Facebook Login):

- ``GET /{ig-user-id}?fields=id,username,name,…``; ``GET /{ig-user-id}/media``, newest first;
- ``GET /{ig-media-id}/comments``: top-level comments, oldest first, hidden ones included
  with ``hidden: true``; ``GET /{ig-comment-id}/replies``;
- defaults when ``fields`` is left out: ``id`` for users and media, ``timestamp,text,id``
  for comments;
- ``POST /{ig-comment-id}/replies?message=`` and ``POST /{ig-media-id}/comments?message=``
  → ``{"id": …}``; ``POST /{ig-comment-id}?hide=true|false`` → ``{"success": true}``;
  ``DELETE /{ig-comment-id}`` → ``{"success": true}``;
  ``POST /{ig-media-id}?comment_enabled=false`` → ``{"success": true}``.

An Instagram account is reached with its linked Page's token; any other token gets the
"does not exist, cannot be loaded due to missing permissions" error, as for other objects.
Paging, field expansion and errors are the Graph app's own (nodes.py, errors.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..clock import fb_time
from ..store import Invalid, NotFound
from ..store.instagram import IgAccount, IgComment, IgMedia
from .errors import GraphError, not_found
from .fields import FieldSpec

IG_KINDS = ("ig_user", "ig_media", "ig_comment")
IG_DEFAULT_FIELDS = {"ig_user": "id", "ig_media": "id", "ig_comment": "timestamp,text,id"}
IG_TYPE_NAMES = {"ig_user": "IGUser", "ig_media": "IGMedia", "ig_comment": "IGComment"}


def _missing() -> Any:
    """nodes.py's "leave this field out" marker (imported late: nodes.py imports this module)."""
    from .nodes import _MISSING

    return _MISSING


class InstagramNodes:
    """Mixed into GraphApp (with NodeRenderer): lookups, fields, edges and writes for IG."""

    world: Any

    # --- lookup -----------------------------------------------------------------------

    def ig_lookup(self, object_id: str) -> tuple[str, Any] | None:
        """(kind, object) for an Instagram id, None for ids that are not Instagram's.
        A deleted object (or a reply under a deleted comment) raises NotFound."""
        world = self.world
        if object_id in world.ig_accounts:
            account = world.ig_accounts[object_id]
            if not account.page_id:
                raise NotFound(object_id)  # a resident: not readable with a Page token
            return "ig_user", account
        if object_id in world.ig_media:
            return "ig_media", world.live_media(object_id)
        if object_id in world.ig_comments:
            return "ig_comment", world.live_ig_comment(object_id)
        return None

    def ig_owner(self, kind: str, obj: Any) -> IgAccount:
        world = self.world
        if kind == "ig_user":
            return obj
        media = obj if kind == "ig_media" else world.ig_media[obj.media_id]
        return world.ig_accounts[media.owner_id]

    def ig_check_access(self, ctx, kind: str, obj: Any, object_id: str, method: str) -> None:
        if self.ig_owner(kind, obj).page_id != ctx.page_id:
            raise not_found(object_id, method)

    # --- fields -----------------------------------------------------------------------

    def ig_providers(self, kind: str) -> dict[str, Callable]:
        return {"ig_user": self._ig_user_fields, "ig_media": self._ig_media_fields,
                "ig_comment": self._ig_comment_fields}[kind]()

    def _ig_user_fields(self) -> dict[str, Callable]:
        world = self.world
        return {
            "id": lambda ctx, a, spec: a.id,
            "ig_id": lambda ctx, a, spec: int(a.id[-10:]),
            "username": lambda ctx, a, spec: a.username,
            "name": lambda ctx, a, spec: a.name,
            "biography": lambda ctx, a, spec: f"Officiellt konto för {a.name}.",
            "followers_count": lambda ctx, a, spec: a.followers_count,
            "follows_count": lambda ctx, a, spec: 42,
            "media_count": lambda ctx, a, spec: sum(1 for m in world.media_of(a.id) if m.deleted_at is None),
            "profile_picture_url": lambda ctx, a, spec: f"https://scontent.cdninstagram.com/v/{a.id}.jpg",
            "website": lambda ctx, a, spec: f"https://www.{a.username}.se",
            "media": lambda ctx, a, spec: self.edge(ctx, "ig_user", a, "media", spec.modifiers, spec.subfields,
                                                    nested=True),
        }

    def _ig_media_fields(self) -> dict[str, Callable]:
        world = self.world

        def media_url(ctx, m: IgMedia, spec):
            ext = "mp4" if m.media_type == "VIDEO" else "jpg"
            return f"https://scontent.cdninstagram.com/v/t51.29350-15/{m.id}_n.{ext}"

        return {
            "id": lambda ctx, m, spec: m.id,
            "caption": lambda ctx, m, spec: m.caption if m.caption else _missing(),
            "comments_count": lambda ctx, m, spec: sum(
                1 for c in world.ig_comments_of(m.id) if self._ig_listed(c)),
            "like_count": lambda ctx, m, spec: 0,
            "media_type": lambda ctx, m, spec: m.media_type,
            "media_product_type": lambda ctx, m, spec: m.media_product_type,
            "media_url": media_url,
            "thumbnail_url": lambda ctx, m, spec: (
                f"https://scontent.cdninstagram.com/v/t51.29350-15/{m.id}_t.jpg" if m.media_type == "VIDEO"
                else _missing()),
            "permalink": lambda ctx, m, spec: f"https://www.instagram.com/p/{m.shortcode}/",
            "shortcode": lambda ctx, m, spec: m.shortcode,
            "timestamp": lambda ctx, m, spec: fb_time(m.timestamp),
            "username": lambda ctx, m, spec: world.ig_accounts[m.owner_id].username,
            "owner": lambda ctx, m, spec: {"id": m.owner_id},
            "is_comment_enabled": lambda ctx, m, spec: m.comment_enabled,
            "comments": lambda ctx, m, spec: self.edge(ctx, "ig_media", m, "comments", spec.modifiers,
                                                       spec.subfields, nested=True),
        }

    def _ig_comment_fields(self) -> dict[str, Callable]:
        world = self.world

        def author(ctx, c: IgComment, spec: FieldSpec):
            person = world.ig_accounts[c.from_id]
            full = {"id": person.id, "username": person.username}
            if not spec.subfields:
                return full
            out = {s.name: full[s.name] for s in spec.subfields if s.name in full}
            out.setdefault("id", person.id)
            return out

        def replies(ctx, c: IgComment, spec: FieldSpec):
            if c.parent_id is not None:
                return _missing()
            return self.edge(ctx, "ig_comment", c, "replies", spec.modifiers, spec.subfields, nested=True)

        return {
            "id": lambda ctx, c, spec: c.id,
            "text": lambda ctx, c, spec: c.text,
            "timestamp": lambda ctx, c, spec: fb_time(c.timestamp),
            "username": lambda ctx, c, spec: world.ig_accounts[c.from_id].username,
            "from": author,
            "hidden": lambda ctx, c, spec: c.hidden,
            "like_count": lambda ctx, c, spec: c.like_count,
            "media": lambda ctx, c, spec: {"id": c.media_id},
            "parent_id": lambda ctx, c, spec: c.parent_id if c.parent_id else _missing(),
            "replies": replies,
        }

    # --- edges ------------------------------------------------------------------------

    def ig_edge_items(self, kind: str, obj: Any, edge: str, params: dict) -> tuple[list, Callable, str] | None:
        """(items, sort key, item kind) of an Instagram edge, or None when there is no such edge."""
        world = self.world
        if kind == "ig_user" and edge == "media":
            items = [m for m in world.media_of(obj.id) if m.deleted_at is None]
            items.sort(key=lambda m: (-m.timestamp, -m.seq))
            return items, lambda m: [-m.timestamp, -m.seq], "ig_media"
        if kind == "ig_media" and edge == "comments":
            items = [c for c in world.ig_comments_of(obj.id) if c.parent_id is None and self._ig_listed(c)]
        elif kind == "ig_comment" and edge == "replies":
            items = [c for c in world.ig_replies_of(obj.id) if self._ig_listed(c)]
        else:
            return None
        items.sort(key=lambda c: (c.timestamp, c.seq))
        return items, lambda c: [c.timestamp, c.seq], "ig_comment"

    def _ig_listed(self, comment: IgComment) -> bool:
        try:
            self.world.live_ig_comment(comment.id)
        except NotFound:
            return False
        return True

    # --- writes -----------------------------------------------------------------------

    def ig_post(self, ctx, kind: str, obj: Any, edge: str | None, params: dict) -> dict:
        world = self.world
        self.ig_check_access(ctx, kind, obj, obj.id, "POST")
        owner = self.ig_owner(kind, obj)
        message = str(params.get("message", "") or "")
        if edge in ("replies", "comments") and kind in ("ig_comment", "ig_media"):
            if (edge == "replies") != (kind == "ig_comment"):
                raise GraphError(f"Unknown path components: /{edge}", 2500)
            if not message:
                raise GraphError("(#100) The parameter message is required", 100)
            if kind == "ig_comment" and obj.parent_id is not None:
                raise GraphError("(#100) Replies can only be made to top-level comments", 100)
            if kind == "ig_comment" and obj.hidden:
                raise GraphError("(#100) Cannot reply to a hidden comment", 100)
            try:
                comment = world.add_ig_comment(obj.id, owner.id, message)
            except Invalid as exc:
                raise GraphError(f"(#100) {exc}", 100) from exc
            return {"id": comment.id}
        if edge is not None:
            raise GraphError(f"Unknown path components: /{edge}", 2500)
        if kind == "ig_comment" and "hide" in params:
            if obj.from_id == owner.id:
                raise GraphError("(#100) The media owner's own comments cannot be hidden", 100)
            world.set_ig_comment_hidden(obj.id, str(params["hide"]).lower() in ("true", "1"))
            return {"success": True}
        if kind == "ig_media" and "comment_enabled" in params:
            world.set_comment_enabled(obj.id, str(params["comment_enabled"]).lower() in ("true", "1"))
            return {"success": True}
        raise GraphError("(#100) Missing or invalid parameters", 100)

    def ig_delete(self, ctx, kind: str, obj: Any) -> dict:
        self.ig_check_access(ctx, kind, obj, obj.id, "DELETE")
        if kind != "ig_comment":
            raise GraphError("Unsupported delete request.", 100, type="GraphMethodException")
        self.world.delete_ig_comment(obj.id)
        return {"success": True}
