"""A local Mastodon REST API: accounts, statuses, threads, edits, notifications, DMs.

Shapes follow docs.joinmastodon.org (entities Status, Account, Notification,
Conversation, StatusEdit; methods statuses, accounts, notifications,
conversations; api/rate-limits) and Mastodon's own controllers where the docs are
silent (error bodies, Link headers only on a full page, update notifications only
for boosters). docs/simulator.md lists what differs.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .clock import iso_micro, masto_date, masto_time
from .faults import FaultInjector, FaultRule, RateMeter
from .store import Invalid, MAccount, MConversation, NotFound, Notification, Status, World
from .wsgi import Request, Response, json_response, text_response, url_with

STATUSES_LIMIT = 20
NOTIFICATIONS_LIMIT = 40
CONVERSATIONS_LIMIT = 20
CONTEXT_LIMITS = {
    False: (40, 60),
    True: (4096, 4096),
}  # (ancestors, descendants) without / with a token
ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (%d)</title></head>"
    "<body><h1>We're sorry, but something went wrong.</h1></body></html>"
)

_URL_RE = re.compile(r"https?://[^\s<>\"']+")
_MENTION_RE = re.compile(r"(?<![\w/])@([A-Za-z0-9_]+)(?:@([A-Za-z0-9.\-]+\.[A-Za-z]{2,}))?")
_TAG_RE = re.compile(r"(?<![\w/&#])#([^\W\d_][\w]*)", re.UNICODE)


class MastodonError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def h(text: str) -> str:
    """ERB::Util.html_escape, as Mastodon escapes plain text."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _id_key(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class MastodonApp:
    """WSGI app for one simulated Mastodon instance; mount it at a base URL."""

    def __init__(
        self, world: World, faults: FaultInjector, meter: RateMeter, delete_meter: RateMeter
    ) -> None:
        self.world = world
        self.faults = faults
        self.meter = meter
        self.delete_meter = delete_meter

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    # --- the request pipeline ---------------------------------------------------------

    def respond(self, req: Request) -> Response:
        token = req.bearer_token() or str(req.params().get("access_token") or "") or None
        with self.world.lock:
            record = self.world.tokens.get(token) if token else None
            viewer = (
                record.subject_id
                if record is not None and record.platform == "mastodon" and record.state == "valid"
                else None
            )
        rule = self.faults.take(
            "mastodon", record.subject_id if record else None, req.method, req.path
        )
        if rule is not None and rule.delay > 0:
            time.sleep(rule.delay)
        if rule is not None and rule.kind not in ("delay", "malformed"):
            return self._fault_response(rule, token)
        response = self._handle(req, token, record, viewer)
        if rule is not None and rule.kind == "malformed":
            response = Response(
                200, response.body[: max(1, len(response.body) // 2)], response.headers
            )
            response.set_header("Content-Length", str(len(response.body)))
        return response

    def _handle(self, req: Request, token: str | None, record, viewer: str | None) -> Response:
        headers: list[tuple[str, str]] = [
            ("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
        ]
        try:
            if token is not None and viewer is None:
                raise MastodonError(401, _token_message(record))
            key = f"token:{token}" if token else f"ip:{req.environ.get('REMOTE_ADDR', '')}"
            count, limit, reset = self.meter.hit(key, time.time())
            if count > limit:
                return self._throttled(limit, reset)
            if (
                req.method == "DELETE"
                and re.fullmatch(r"/api/v1/statuses/\d+", req.path)
                and viewer
            ):
                dcount, dlimit, dreset = self.delete_meter.hit(viewer, time.time())
                if dcount > dlimit:
                    return self._throttled(dlimit, dreset)
            if token:
                headers += [
                    ("X-RateLimit-Limit", str(limit)),
                    ("X-RateLimit-Remaining", str(max(0, limit - count))),
                    ("X-RateLimit-Reset", iso_micro(reset)),
                ]
            with self.world.lock:
                data, extra = self._route(req, viewer)
            return json_response(data, 200, headers + extra)
        except MastodonError as error:
            return json_response({"error": error.message}, error.status, headers)

    def _throttled(self, limit: int, reset: float) -> Response:
        return json_response(
            {"error": "Too many requests"},
            429,
            [
                ("X-RateLimit-Limit", str(limit)),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", iso_micro(reset)),
            ],
        )

    def _fault_response(self, rule: FaultRule, token: str | None) -> Response:
        if rule.kind == "rate_limit":
            _, limit, reset = self.meter.peek(f"token:{token}", time.time())
            return self._throttled(limit, reset)
        if rule.kind == "auth_error":
            return json_response({"error": "The access token is invalid"}, 401)
        return text_response(ERROR_PAGE % rule.status, rule.status, "text/html; charset=utf-8")

    # --- routing ------------------------------------------------------------------------

    def _route(self, req: Request, viewer: str | None) -> tuple[Any, list]:
        path = req.path.rstrip("/")
        method = req.method
        m = re.fullmatch(r"/api/v1/statuses/(\d+)(?:/(context|history|source|favourite))?", path)
        if m and method in ("GET", "PUT", "DELETE", "POST"):
            return self._status_routes(req, viewer, m.group(1), m.group(2))
        if path == "/api/v1/statuses" and method == "POST":
            return self._create_status(req, viewer), []
        if path == "/api/v1/accounts/verify_credentials" and method == "GET":
            account = self._require(viewer)
            data = self.account_json(account, req)
            data["source"] = {
                "privacy": "public",
                "sensitive": False,
                "language": "sv",
                "note": account.note,
                "fields": [],
                "follow_requests_count": 0,
            }
            return data, []
        m = re.fullmatch(r"/api/v1/accounts/(\d+)(/statuses)?", path)
        if m and method == "GET":
            account = self.world.maccounts.get(m.group(1))
            if account is None:
                raise MastodonError(404, "Record not found")
            if m.group(2):
                return self._account_statuses(req, viewer, account)
            return self.account_json(account, req), []
        if path == "/api/v1/notifications" and method == "GET":
            return self._notifications(req, self._require(viewer))
        m = re.fullmatch(r"/api/v1/notifications/(\d+)", path)
        if m and method == "GET":
            account = self._require(viewer)
            notification = self.world.notifications.get(m.group(1))
            if notification is None or notification.account_id != account.id:
                raise MastodonError(404, "Record not found")
            return self.notification_json(notification, req, viewer), []
        if path == "/api/v1/conversations" and method == "GET":
            return self._conversations(req, self._require(viewer))
        if path in ("/api/v1/instance", "/api/v2/instance") and method == "GET":
            return self._instance(req, v2=path.endswith("v2/instance")), []
        raise MastodonError(404, "Record not found")

    def _require(self, viewer: str | None) -> MAccount:
        if viewer is None:
            raise MastodonError(401, "The access token is invalid")
        return self.world.maccounts[viewer]

    def _visible(self, status: Status, viewer: str | None) -> bool:
        if status.deleted_at is not None:
            return False
        if status.visibility in ("public", "unlisted"):
            return True
        return viewer is not None and (viewer == status.account_id or viewer in status.mentions)

    def _get_status(self, status_id: str, viewer: str | None) -> Status:
        status = self.world.statuses.get(status_id)
        if status is None or not self._visible(status, viewer):
            raise MastodonError(404, "Record not found")
        return status

    def _status_routes(
        self, req: Request, viewer: str | None, status_id: str, sub: str | None
    ) -> tuple[Any, list]:
        method = req.method
        if sub is None and method == "GET":
            return self.status_json(self._get_status(status_id, viewer), req, viewer), []
        if sub == "context" and method == "GET":
            return self._context(req, viewer, self._get_status(status_id, viewer)), []
        if sub == "history" and method == "GET":
            status = self._get_status(status_id, viewer)
            versions = status.history or [
                self.world._snapshot(status, status.edited_at or status.created_at)
            ]
            account = self.account_json(self.world.maccounts[status.account_id], req)
            return [self._edit_json(v, account, req) for v in versions], []
        if sub == "source" and method == "GET":
            account = self._require(viewer)
            status = self._own_status(status_id, account)
            return {"id": status.id, "text": status.text, "spoiler_text": status.spoiler_text}, []
        if sub == "favourite" and method == "POST":
            account = self._require(viewer)
            status = self._get_status(status_id, viewer)
            self.world.favourite(account.id, status.id)
            return self.status_json(status, req, viewer), []
        if sub is None and method == "PUT":
            account = self._require(viewer)
            status = self._own_status(status_id, account)
            params = req.params()
            try:
                self.world.edit_status(
                    status.id,
                    str(params.get("status", status.text)),
                    spoiler_text=params.get("spoiler_text"),
                    sensitive=_bool(params["sensitive"]) if "sensitive" in params else None,
                )
            except Invalid as exc:
                raise MastodonError(422, str(exc)) from exc
            return self.status_json(status, req, viewer), []
        if sub is None and method == "DELETE":
            account = self._require(viewer)
            status = self._own_status(status_id, account)
            data = self.status_json(status, req, viewer)
            self.world.delete_status(status.id)
            # With source requested Mastodon sends `text` in place of `content`.
            data.pop("content", None)
            data["text"] = status.text
            return data, []
        raise MastodonError(404, "Record not found")

    def _own_status(self, status_id: str, account: MAccount) -> Status:
        status = self.world.statuses.get(status_id)
        if status is None or status.deleted_at is not None or status.account_id != account.id:
            raise MastodonError(404, "Record not found")
        return status

    def _create_status(self, req: Request, viewer: str | None) -> dict:
        account = self._require(viewer)
        params = req.params()
        if params.get("scheduled_at"):
            raise MastodonError(
                422, "Validation failed: Scheduled statuses are not supported by this simulator"
            )
        reply_to = params.get("in_reply_to_id") or None
        if reply_to:
            parent = self.world.statuses.get(str(reply_to))
            if parent is None or not self._visible(parent, viewer):
                raise MastodonError(
                    404, "The post you are trying to reply to does not appear to exist."
                )
        media_ids = req.values("media_ids[]")
        try:
            status = self.world.create_status(
                account.id,
                str(params.get("status", "") or ""),
                visibility=str(params.get("visibility") or "public"),
                in_reply_to_id=str(reply_to) if reply_to else None,
                spoiler_text=str(params.get("spoiler_text", "") or ""),
                sensitive=_bool(params.get("sensitive", False)),
                language=str(params.get("language") or "sv"),
                idempotency_key=req.headers.get("idempotency-key") or None,
                media_attachments=[_attachment(m, req) for m in media_ids],
                application={"name": "Insyn", "website": None},
            )
        except Invalid as exc:
            raise MastodonError(422, str(exc)) from exc
        except NotFound as exc:
            raise MastodonError(
                404, "The post you are trying to reply to does not appear to exist."
            ) from exc
        return self.status_json(status, req, viewer)

    # --- lists and their Link headers -------------------------------------------------

    def _window(self, items: list, key, req: Request, default_limit: int) -> tuple[list, int]:
        """Apply max_id / since_id / min_id / limit to items sorted newest first."""
        params = req.params()
        try:
            limit = int(params.get("limit") or default_limit)
        except ValueError:
            limit = default_limit
        limit = min(abs(limit) or default_limit, default_limit * 2)
        max_id, since_id, min_id = (params.get(k) for k in ("max_id", "since_id", "min_id"))
        if max_id:
            items = [i for i in items if key(i) < _id_key(max_id)]
        if min_id:
            newer = sorted((i for i in items if key(i) > _id_key(min_id)), key=key)
            return list(reversed(newer[:limit])), limit
        if since_id:
            items = [i for i in items if key(i) > _id_key(since_id)]
        return items[:limit], limit

    def _link(
        self, req: Request, page: list, limit: int, key, keep: tuple[str, ...]
    ) -> list[tuple[str, str]]:
        if not page:
            return []
        base = f"{req.host_url}{req.script_name}{req.path}"
        params: list[tuple[str, str]] = []
        for name, value in req.query:
            if name in keep or name.removesuffix("[]") in keep:
                params.append((name, value))
        links = []
        if len(page) == limit:
            links.append(
                f'<{url_with(base, [*params, ("max_id", str(key(page[-1])))])}>; rel="next"'
            )
        links.append(f'<{url_with(base, [*params, ("min_id", str(key(page[0])))])}>; rel="prev"')
        return [("Link", ", ".join(links))]

    def _account_statuses(
        self, req: Request, viewer: str | None, account: MAccount
    ) -> tuple[list, list]:
        params = req.params()
        items = [s for s in self.world.statuses_of(account.id) if self._visible(s, viewer)]
        if _bool(params.get("pinned", False)):
            items = []
        if _bool(params.get("exclude_replies", False)):
            items = [
                s
                for s in items
                if s.in_reply_to_id is None or s.in_reply_to_account_id == s.account_id
            ]
        if _bool(params.get("only_media", False)):
            items = [s for s in items if s.media_attachments]
        if params.get("tagged"):
            tag = str(params["tagged"]).lower().lstrip("#")
            items = [s for s in items if tag in {t.lower() for t in _TAG_RE.findall(s.text)}]
        items.sort(key=lambda s: int(s.id), reverse=True)
        page, limit = self._window(items, lambda s: int(s.id), req, STATUSES_LIMIT)
        keep = ("limit", "exclude_replies", "exclude_reblogs", "only_media", "pinned", "tagged")
        return [self.status_json(s, req, viewer) for s in page], self._link(
            req, page, limit, lambda s: int(s.id), keep
        )

    def _notifications(self, req: Request, account: MAccount) -> tuple[list, list]:
        params = req.params()
        types = set(req.values("types[]") or req.values("types"))
        excluded = set(req.values("exclude_types[]") or req.values("exclude_types"))
        items = [n for n in self.world.notifications.values() if n.account_id == account.id]
        if types:
            items = [n for n in items if n.type in types]
        if excluded:
            items = [n for n in items if n.type not in excluded]
        if params.get("account_id"):
            items = [n for n in items if n.from_account_id == str(params["account_id"])]
        items = [
            n
            for n in items
            if n.status_id is None or self._visible(self.world.statuses[n.status_id], account.id)
        ]
        items.sort(key=lambda n: int(n.id), reverse=True)
        page, limit = self._window(items, lambda n: int(n.id), req, NOTIFICATIONS_LIMIT)
        keep = ("limit", "types", "exclude_types", "account_id")
        data = [self.notification_json(n, req, account.id) for n in page]
        return data, self._link(req, page, limit, lambda n: int(n.id), keep)

    def _conversations(self, req: Request, account: MAccount) -> tuple[list, list]:
        items = [
            c
            for c in self.world.mconversations.values()
            if c.owner_id == account.id and c.last_status_id
        ]
        key = lambda c: int(c.last_status_id or 0)  # noqa: E731
        items.sort(key=key, reverse=True)
        page, limit = self._window(items, key, req, CONVERSATIONS_LIMIT)
        data = [self.conversation_json(c, req, account.id) for c in page]
        return data, self._link(req, page, limit, key, ("limit",))

    def _context(self, req: Request, viewer: str | None, status: Status) -> dict:
        max_ancestors, max_descendants = CONTEXT_LIMITS[viewer is not None]
        ancestors: list[Status] = []
        current = status
        while current.in_reply_to_id and len(ancestors) < max_ancestors:
            parent = self.world.statuses.get(current.in_reply_to_id)
            if parent is None or not self._visible(parent, viewer):
                break
            ancestors.append(parent)
            current = parent
        ancestors.reverse()
        descendants: list[Status] = []

        def walk(node: Status) -> None:
            for child in sorted(self.world.children_of(node.id), key=lambda s: int(s.id)):
                if len(descendants) >= max_descendants:
                    return
                if self._visible(child, viewer):
                    descendants.append(child)
                    walk(child)

        walk(status)
        return {
            "ancestors": [self.status_json(s, req, viewer) for s in ancestors],
            "descendants": [self.status_json(s, req, viewer) for s in descendants],
        }

    # --- entities -----------------------------------------------------------------------

    def base_url(self, req: Request) -> str:
        return f"{req.host_url}{req.script_name}"

    def account_urls(self, account: MAccount, req: Request) -> tuple[str, str]:
        base = self.base_url(req) if account.domain is None else f"https://{account.domain}"
        return f"{base}/@{account.username}", f"{base}/users/{account.username}"

    def account_json(self, account: MAccount, req: Request) -> dict:
        url, uri = self.account_urls(account, req)
        statuses = [s for s in self.world.statuses_of(account.id) if s.deleted_at is None]
        last = max((s.created_at for s in statuses), default=None)
        avatar = f"{self.base_url(req)}/avatars/original/missing.png"
        return {
            "id": account.id,
            "username": account.username,
            "acct": account.acct,
            "display_name": account.display_name,
            "locked": account.locked,
            "bot": account.bot,
            "discoverable": True,
            "group": False,
            "created_at": masto_date(account.created_at),
            "note": f"<p>{h(account.note)}</p>" if account.note else "",
            "url": url,
            "uri": uri,
            "avatar": avatar,
            "avatar_static": avatar,
            "header": f"{self.base_url(req)}/headers/original/missing.png",
            "header_static": f"{self.base_url(req)}/headers/original/missing.png",
            "followers_count": account.followers_count,
            "following_count": account.following_count,
            "statuses_count": len(statuses),
            "last_status_at": masto_date(last)[:10] if last else None,
            "emojis": [],
            "fields": [],
        }

    def content_html(self, text: str, req: Request) -> tuple[str, list[dict]]:
        """Plain text to Mastodon's HTML: escaped, linkified, <p> per paragraph, <br /> per line."""
        tags: list[dict] = []
        base = self.base_url(req)

        def render_line(line: str) -> str:
            out: list[str] = []
            pos = 0
            tokens = sorted(
                [(m.start(), m.end(), "url", m) for m in _URL_RE.finditer(line)]
                + [(m.start(), m.end(), "mention", m) for m in _MENTION_RE.finditer(line)]
                + [(m.start(), m.end(), "tag", m) for m in _TAG_RE.finditer(line)],
                key=lambda t: t[0],
            )
            for start, end, kind, match in tokens:
                if start < pos:
                    continue
                out.append(h(line[pos:start]))
                if kind == "url":
                    url = match.group(0)
                    scheme, _, rest = url.partition("://")
                    out.append(
                        f'<a href="{h(url)}" target="_blank" rel="nofollow noopener" translate="no">'
                        f'<span class="invisible">{h(scheme)}://</span><span class="">{h(rest)}</span>'
                        '<span class="invisible"></span></a>'
                    )
                elif kind == "mention":
                    acct = match.group(1) + (f"@{match.group(2)}" if match.group(2) else "")
                    account = self.world.account_by_acct(acct)
                    if account is None:
                        out.append(h(match.group(0)))
                    else:
                        url, _ = self.account_urls(account, req)
                        out.append(
                            f'<span class="h-card" translate="no"><a href="{h(url)}" class="u-url mention">'
                            f"@<span>{h(account.username)}</span></a></span>"
                        )
                else:
                    name = match.group(1)
                    tag_url = f"{base}/tags/{name.lower()}"
                    if all(t["name"] != name.lower() for t in tags):
                        tags.append({"name": name.lower(), "url": tag_url})
                    out.append(
                        f'<a href="{h(tag_url)}" class="mention hashtag" rel="tag">#<span>{h(name)}</span></a>'
                    )
                pos = end
            out.append(h(line[pos:]))
            return "".join(out)

        paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
        html = "".join(
            "<p>" + "<br />".join(render_line(line) for line in p.split("\n")) + "</p>"
            for p in paragraphs
        )
        return html, tags

    def status_json(self, status: Status, req: Request, viewer: str | None) -> dict:
        account = self.world.maccounts[status.account_id]
        url, uri = self.account_urls(account, req)
        content, tags = self.content_html(status.text, req)
        mentions = []
        for mentioned_id in status.mentions:
            mentioned = self.world.maccounts.get(mentioned_id)
            if mentioned:
                murl, _ = self.account_urls(mentioned, req)
                mentions.append(
                    {
                        "id": mentioned.id,
                        "username": mentioned.username,
                        "url": murl,
                        "acct": mentioned.acct,
                    }
                )
        replies = sum(1 for c in self.world.children_of(status.id) if c.deleted_at is None)
        data: dict[str, Any] = {
            "id": status.id,
            "created_at": masto_time(status.created_at),
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": status.in_reply_to_account_id,
            "sensitive": status.sensitive,
            "spoiler_text": status.spoiler_text,
            "visibility": status.visibility,
            "language": status.language,
            "uri": f"{uri}/statuses/{status.id}",
            "url": f"{url}/{status.id}",
            "replies_count": replies,
            "reblogs_count": len(status.reblogged_by),
            "favourites_count": len(status.favourited_by),
            "edited_at": masto_time(status.edited_at) if status.edited_at else None,
            "content": content,
            "reblog": None,
            "application": status.application if account.domain is None else None,
            "account": self.account_json(account, req),
            "media_attachments": list(status.media_attachments),
            "mentions": mentions,
            "tags": tags,
            "emojis": [],
            "card": None,
            "poll": None,
        }
        if viewer is not None:
            data["favourited"] = viewer in status.favourited_by
            data["reblogged"] = viewer in status.reblogged_by
            data["muted"] = False
            data["bookmarked"] = False
            if viewer == status.account_id:
                data["pinned"] = False
            data["filtered"] = []
        return data

    def _edit_json(self, version: dict, account: dict, req: Request) -> dict:
        content, _ = self.content_html(version["text"], req)
        return {
            "content": content,
            "spoiler_text": version.get("spoiler_text", ""),
            "sensitive": version.get("sensitive", False),
            "created_at": masto_time(version["created_at"]),
            "account": account,
            "poll": None,
            "media_attachments": list(version.get("media_attachments", [])),
            "emojis": [],
        }

    def notification_json(
        self, notification: Notification, req: Request, viewer: str | None
    ) -> dict:
        data: dict[str, Any] = {
            "id": notification.id,
            "type": notification.type,
            "created_at": masto_time(notification.created_at),
            "group_key": f"ungrouped-{notification.id}",
            "account": self.account_json(self.world.maccounts[notification.from_account_id], req),
        }
        if notification.status_id:
            data["status"] = self.status_json(
                self.world.statuses[notification.status_id], req, viewer
            )
        return data

    def conversation_json(self, conv: MConversation, req: Request, viewer: str) -> dict:
        last = self.world.statuses.get(conv.last_status_id or "")
        return {
            "id": conv.id,
            "unread": conv.unread,
            "accounts": [
                self.account_json(self.world.maccounts[a], req)
                for a in conv.participant_ids
                if a in self.world.maccounts
            ],
            "last_status": self.status_json(last, req, viewer) if last else None,
        }

    def _instance(self, req: Request, *, v2: bool) -> dict:
        domain = req.headers.get("host", "127.0.0.1")
        if v2:
            return {
                "domain": domain,
                "title": "Insyn simulator",
                "version": "4.3.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A local stand-in for a Mastodon instance.",
                "languages": ["sv", "en"],
                "configuration": {
                    "urls": {"streaming": f"ws://{domain}"},
                    "statuses": {"max_characters": 500},
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "contact": {"email": "", "account": None},
                "rules": [],
            }
        return {
            "uri": domain,
            "title": "Insyn simulator",
            "version": "4.3.0",
            "languages": ["sv", "en"],
            "urls": {"streaming_api": f"ws://{domain}"},
            "stats": self.world.counts(),
        }


def _token_message(record) -> str:
    if record is not None and record.platform == "mastodon":
        if record.state == "revoked":
            return "The access token was revoked"
        if record.state == "expired":
            return "The access token expired"
    return "The access token is invalid"


def _bool(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "on", "yes")


def _attachment(media_id: str, req: Request) -> dict:
    base = f"{req.host_url}{req.script_name}"
    return {
        "id": media_id,
        "type": "image",
        "url": f"{base}/system/media_attachments/{media_id}.jpg",
        "preview_url": f"{base}/system/media_attachments/small/{media_id}.jpg",
        "remote_url": None,
        "description": None,
        "meta": {},
        "blurhash": None,
    }
