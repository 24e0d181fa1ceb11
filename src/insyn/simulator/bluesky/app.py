"""A local Bluesky PDS (with its AppView behind it): the XRPC methods a records client uses.

Written from the lexicons (bluesky-social/atproto ``lexicons/``: com.atproto.server.
createSession, refreshSession, getSession; com.atproto.repo.createRecord, putRecord,
deleteRecord, getRecord; app.bsky.feed.getAuthorFeed, getPostThread, getPosts, defs;
app.bsky.notification.listNotifications; app.bsky.actor.getProfile; app.bsky.feed.threadgate)
and docs.bsky.app (rate limits, app passwords). docs/simulator.md lists what differs.

Every answer is JSON. Errors are XRPC error objects ``{"error": Name, "message": text}``:
400 for bad input, ``ExpiredToken`` / ``InvalidToken``, ``NotFound`` (a thread's root) and
``RecordNotFound``; 401 ``AuthMissing`` / ``AuthenticationRequired``; 429
``RateLimitExceeded``; 5xx with the XRPC names for them. Each response carries
``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (epoch seconds) and
``RateLimit-Policy`` (``3000;w=300``).
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..faults import FaultInjector, FaultRule, RateMeter
from ..store import Invalid, NotFound
from ..wsgi import Request, Response, json_response
from .ids import cid_for, iso, split_uri
from .store import LIKE, POST, THREADGATE, BlueskyStore, Record, XrpcFailure

FEED_LIMIT = (50, 100)  # (default, max) for getAuthorFeed and listNotifications
MAX_DEPTH = 1000
MAX_URIS = 25  # getPosts
POINTS = {"create": 3, "update": 2, "delete": 1}  # docs.bsky.app rate limits: write points
FEED_FILTERS = ("posts_with_replies", "posts_no_replies", "posts_with_media", "posts_and_author_threads",
                "posts_with_video")  # fmt: skip
SERVER_ERRORS = {500: "InternalServerError", 501: "MethodNotImplemented", 502: "UpstreamFailure",
                 503: "NotEnoughResources", 504: "UpstreamTimeout"}  # fmt: skip
PUBLIC = ("app.bsky.feed.getAuthorFeed", "app.bsky.feed.getPostThread", "app.bsky.feed.getPosts",
          "app.bsky.actor.getProfile", "com.atproto.repo.getRecord")  # fmt: skip
PROCEDURES = (
    "com.atproto.server.createSession",
    "com.atproto.server.refreshSession",
    "com.atproto.repo.createRecord",
    "com.atproto.repo.putRecord",
    "com.atproto.repo.deleteRecord",
)


class Meters:
    """The PDS's limits: 3000 requests / 5 min, createSession 30 / 5 min and 300 / day per
    account, writes 5000 points / hour per account."""

    def __init__(self, limit: int = 3000, period: float = 300.0) -> None:
        self.api = RateMeter(limit, period)
        self.session_short = RateMeter(30, 300.0)
        self.session_day = RateMeter(300, 86_400.0)
        self.writes = RateMeter(5000, 3600.0)


class BlueskyApp:
    """WSGI app: mount it where the PDS's base URL points (``…/xrpc/<nsid>`` below it)."""

    def __init__(
        self, store: BlueskyStore, faults: FaultInjector, meters: Meters | None = None
    ) -> None:
        self.store = store
        self.faults = faults
        self.meters = meters or Meters()

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, req: Request) -> Response:
        token = req.bearer_token()
        subject = None
        if token:
            try:
                with self.store.lock:
                    subject = self.store.viewer_of(token)
            except XrpcFailure:
                subject = None
        rule = self.faults.take("bluesky", subject, req.method, req.path)
        if rule is not None and rule.delay > 0:
            time.sleep(rule.delay)
        if rule is not None and rule.kind not in ("delay", "malformed"):
            return self._fault(rule, token)
        response = self._handle(req, token)
        if rule is not None and rule.kind == "malformed":
            response = Response(
                200, response.body[: max(1, len(response.body) // 2)], response.headers
            )
            response.set_header("Content-Length", str(len(response.body)))
        return response

    # --- pipeline -----------------------------------------------------------------------

    def _limit_headers(self, count: int, limit: int, reset: float) -> list[tuple[str, str]]:
        return [
            ("RateLimit-Limit", str(limit)),
            ("RateLimit-Remaining", str(max(0, limit - count))),
            ("RateLimit-Reset", str(int(reset))),
            ("RateLimit-Policy", f"{limit};w={int(self.meters.api.period)}"),
        ]

    def _throttled(self, limit: int, reset: float, period: float) -> Response:
        return json_response(
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            429,
            [
                ("RateLimit-Limit", str(limit)),
                ("RateLimit-Remaining", "0"),
                ("RateLimit-Reset", str(int(reset))),
                ("RateLimit-Policy", f"{limit};w={int(period)}"),
            ],
        )

    def _fault(self, rule: FaultRule, token: str | None) -> Response:
        if rule.kind == "rate_limit":
            _, limit, reset = self.meters.api.peek(f"token:{token}", time.time())
            return self._throttled(limit, reset, self.meters.api.period)
        if rule.kind == "auth_error":
            return json_response({"error": "ExpiredToken", "message": "Token has expired"}, 400)
        name = SERVER_ERRORS.get(
            rule.status, "InternalServerError" if rule.status >= 500 else "InvalidRequest"
        )
        return json_response(
            {"error": name, "message": re.sub(r"(?<!^)([A-Z])", r" \1", name)}, rule.status
        )

    def _handle(self, req: Request, token: str | None) -> Response:
        key = f"token:{token}" if token else f"ip:{req.environ.get('REMOTE_ADDR', '')}"
        count, limit, reset = self.meters.api.hit(key, time.time())
        if count > limit:
            return self._throttled(limit, reset, self.meters.api.period)
        headers = self._limit_headers(count, limit, reset)
        match = re.fullmatch(r"/xrpc/([A-Za-z0-9.\-]+)", req.path.rstrip("/"))
        try:
            if not match:
                raise XrpcFailure(404, "NotFound", "Not Found")
            nsid = match.group(1)
            expected = "POST" if nsid in PROCEDURES else "GET"
            if nsid in ROUTES and req.method != expected:
                raise XrpcFailure(
                    400,
                    "InvalidRequest",
                    f"Incorrect HTTP method ({req.method}) expected {expected}",
                )
            handler = ROUTES.get(nsid)
            if handler is None:
                raise XrpcFailure(501, "MethodNotImplemented", "Method Not Implemented")
            if (
                nsid in PROCEDURES
                and nsid != "com.atproto.server.refreshSession"
                and not isinstance(req.json, dict)
            ):
                raise XrpcFailure(
                    400,
                    "InvalidRequest",
                    "Request encoding (Content-Type) required but not provided",
                )
            viewer = None
            if token and nsid not in (
                "com.atproto.server.createSession",
                "com.atproto.server.refreshSession",
            ):
                with self.store.lock:
                    viewer = self.store.viewer_of(token)
            elif nsid not in PUBLIC and nsid not in (
                "com.atproto.server.createSession",
                "com.atproto.server.refreshSession",
            ):
                raise XrpcFailure(401, "AuthMissing", "Authentication Required")
            extra = handler(self, req, viewer, token)
            if isinstance(extra, Response):
                return extra
            return json_response(extra, 200, headers)
        except XrpcFailure as failure:
            return json_response(
                {"error": failure.error, "message": failure.message}, failure.status, headers
            )
        except NotFound as exc:
            return json_response(
                {"error": "InvalidRequest", "message": f"Not found: {exc}"}, 400, headers
            )
        except Invalid as exc:
            return json_response({"error": "InvalidRequest", "message": str(exc)}, 400, headers)

    # --- parameters ---------------------------------------------------------------------

    @staticmethod
    def _required(req: Request, name: str) -> str:
        value = req.params().get(name)
        if value in (None, ""):
            raise XrpcFailure(
                400, "InvalidRequest", f'Error: Params must have the property "{name}"'
            )
        return str(value)

    @staticmethod
    def _int(req: Request, name: str, default: int, low: int, high: int) -> int:
        raw = req.params().get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(str(raw))
        except ValueError:
            raise XrpcFailure(400, "InvalidRequest", f"Error: {name} must be an integer") from None
        if value < low:
            raise XrpcFailure(400, "InvalidRequest", f"Error: {name} can not be less than {low}")
        if value > high:
            raise XrpcFailure(
                400, "InvalidRequest", f"Error: {name} can not be greater than {high}"
            )
        return value

    # --- views --------------------------------------------------------------------------

    def profile_basic(self, did: str) -> dict:
        actor = self.store.actors[did]
        return {
            "did": actor.did,
            "handle": actor.handle,
            "displayName": actor.display_name,
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{actor.did}/bafkreiavatar@jpeg",
            "labels": [],
            "createdAt": iso(actor.created_at),
        }

    def profile_view(self, did: str) -> dict:
        actor = self.store.actors[did]
        return {
            **self.profile_basic(did),
            "description": actor.description,
            "indexedAt": iso(actor.created_at),
        }

    def gate_view(self, root_uri: str) -> dict | None:
        parts = split_uri(root_uri)
        gate = self.store.record_at(parts[0], THREADGATE, parts[2]) if parts else None
        if gate is None:
            return None
        return {"uri": gate.uri, "cid": gate.cid, "record": gate.value, "lists": []}

    def post_view(self, record: Record) -> dict:
        store = self.store
        replies = store.replies_to(record.uri)
        likes = sum(
            1
            for r in store.records.values()
            if r.collection == LIKE
            and r.deleted_at is None
            and (r.value.get("subject") or {}).get("uri") == record.uri
        )
        quotes = sum(
            1 for n in store.notifications if n.reason == "quote" and n.reason_subject == record.uri
        )
        view: dict[str, Any] = {
            "uri": record.uri,
            "cid": record.cid,
            "author": self.profile_basic(record.did),
            "record": record.value,
            "replyCount": len(replies),
            "repostCount": 0,
            "likeCount": likes,
            "quoteCount": quotes,
            "indexedAt": iso(record.indexed_at),
            "viewer": {},
            "labels": [],
        }
        embed = record.value.get("embed") or {}
        if embed.get("$type") == "app.bsky.embed.record":
            target = store.records.get((embed.get("record") or {}).get("uri", ""))
            if target is None or target.deleted_at is not None:
                inner: dict = {
                    "$type": "app.bsky.embed.record#viewNotFound",
                    "uri": (embed.get("record") or {}).get("uri"),
                    "notFound": True,
                }
            else:
                inner = {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": target.uri,
                    "cid": target.cid,
                    "author": self.profile_basic(target.did),
                    "value": target.value,
                    "labels": [],
                    "indexedAt": iso(target.indexed_at),
                }
            view["embed"] = {"$type": "app.bsky.embed.record#view", "record": inner}
        elif embed.get("$type") == "app.bsky.embed.images":
            view["embed"] = {
                "$type": "app.bsky.embed.images#view",
                "images": [
                    {
                        "thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/{record.did}/{i.get('ref', 'x')}@jpeg",
                        "fullsize": f"https://cdn.bsky.app/img/feed_fullsize/plain/{record.did}/{i.get('ref', 'x')}@jpeg",
                        "alt": i.get("alt", ""),
                    }
                    for i in embed.get("images") or []
                ],
            }
        if not record.value.get("reply"):
            gate = self.gate_view(record.uri)
            if gate is not None:
                view["threadgate"] = gate
        return view

    @staticmethod
    def sort_at(record: Record) -> float:
        from .ids import parse_iso

        created = parse_iso(str(record.value.get("createdAt", "")))
        return min(created, record.indexed_at) if created is not None else record.indexed_at

    @staticmethod
    def _cursor(t: float, cid: str) -> str:
        return f"{int(round(t * 1000))}::{cid}"

    @staticmethod
    def _after(cursor: str | None):
        """A filter for keyset paging below ``cursor`` (newest first)."""
        if not cursor:
            return lambda t, cid: True
        ms, _, cid0 = cursor.partition("::")
        try:
            ms0 = int(ms)
        except ValueError:
            raise XrpcFailure(400, "InvalidRequest", "Malformed cursor") from None
        return lambda t, cid: (int(round(t * 1000)), cid) < (ms0, cid0)

    def _not_found_post(self, uri: str) -> dict:
        return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}

    def _ref_view(self, uri: str) -> dict:
        record = self.store.records.get(uri)
        if record is None or record.deleted_at is not None:
            return self._not_found_post(uri)
        return {"$type": "app.bsky.feed.defs#postView", **self.post_view(record)}

    # --- com.atproto.server -------------------------------------------------------------

    def _audience(self, req: Request) -> str:
        return "did:web:" + req.host_url.split("://", 1)[-1].split(":")[0]

    def _did_doc(self, req: Request, did: str) -> dict:
        actor = self.store.actors[did]
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "alsoKnownAs": [f"at://{actor.handle}"],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": req.host_url + req.script_name,
                }
            ],
        }

    def create_session(self, req: Request, viewer, token) -> Any:
        body = req.json
        identifier, password = body.get("identifier"), body.get("password")
        if not isinstance(identifier, str) or not isinstance(password, str):
            raise XrpcFailure(
                400, "InvalidRequest", 'Input must have the property "identifier" and "password"'
            )
        key = f"session:{identifier.lower()}"
        for meter in (self.meters.session_short, self.meters.session_day):
            count, limit, reset = meter.hit(key, time.time())
            if count > limit:
                return self._throttled(limit, reset, meter.period)
        with self.store.lock:
            session = self.store.create_session(identifier, password, self._audience(req))
            return {**session, "didDoc": self._did_doc(req, session["did"])}

    def refresh_session(self, req: Request, viewer, token) -> Any:
        if not token:
            raise XrpcFailure(401, "AuthMissing", "Authentication Required")
        with self.store.lock:
            session = self.store.refresh_session(token, self._audience(req))
            return {**session, "didDoc": self._did_doc(req, session["did"])}

    def get_session(self, req: Request, viewer, token) -> Any:
        actor = self.store.actors[viewer]
        return {
            "handle": actor.handle,
            "did": actor.did,
            "active": True,
            "didDoc": self._did_doc(req, viewer),
        }

    # --- com.atproto.repo ---------------------------------------------------------------

    def _repo(self, body: dict, viewer: str) -> str:
        repo = body.get("repo")
        if not isinstance(repo, str):
            raise XrpcFailure(400, "InvalidRequest", 'Input must have the property "repo"')
        actor = (
            self.store.actor(repo)
            if repo in self.store.actors or not repo.startswith("did:")
            else None
        )
        did = actor.did if actor else repo
        if did != viewer:
            raise XrpcFailure(400, "InvalidRequest", "Input/repo must be the authenticated account")
        return did

    def _points(self, viewer: str, kind: str) -> Response | None:
        for _ in range(POINTS[kind]):
            count, limit, reset = self.meters.writes.hit(f"writes:{viewer}", time.time())
            if count > limit:
                return self._throttled(limit, reset, self.meters.writes.period)
        return None

    def _write(self, req: Request, viewer: str, *, replace: bool) -> Any:
        body = req.json
        with self.store.lock:
            did = self._repo(body, viewer)
            collection, record, rkey = body.get("collection"), body.get("record"), body.get("rkey")
            if not isinstance(collection, str) or not isinstance(record, dict):
                raise XrpcFailure(
                    400,
                    "InvalidRequest",
                    'Input must have the properties "collection" and "record"',
                )
            if replace and not isinstance(rkey, str):
                raise XrpcFailure(400, "InvalidRequest", 'Input must have the property "rkey"')
            existing = (
                self.store.record_at(did, collection, rkey) if isinstance(rkey, str) else None
            )
            throttled = self._points(viewer, "update" if existing else "create")
            if throttled is not None:
                return throttled
            written = self.store.write(
                did,
                collection,
                record,
                rkey=rkey if isinstance(rkey, str) else None,
                replace=replace,
                swap=body.get("swapRecord"),
            )
            rev = self.store.next_rev()
            return {
                "uri": written.uri,
                "cid": written.cid,
                "commit": {"cid": cid_for({"commit": written.cid, "rev": rev}), "rev": rev},
                "validationStatus": "valid",
            }

    def create_record(self, req: Request, viewer, token) -> Any:
        return self._write(req, viewer, replace=False)

    def put_record(self, req: Request, viewer, token) -> Any:
        return self._write(req, viewer, replace=True)

    def delete_record(self, req: Request, viewer, token) -> Any:
        body = req.json
        with self.store.lock:
            did = self._repo(body, viewer)
            collection, rkey = body.get("collection"), body.get("rkey")
            if not isinstance(collection, str) or not isinstance(rkey, str):
                raise XrpcFailure(
                    400, "InvalidRequest", 'Input must have the properties "collection" and "rkey"'
                )
            throttled = self._points(viewer, "delete")
            if throttled is not None:
                return throttled
            deleted = self.store.delete(did, collection, rkey, swap=body.get("swapRecord"))
            if deleted is None:
                return {}
            return {
                "commit": {"cid": cid_for({"deleted": deleted.uri}), "rev": self.store.next_rev()}
            }

    def get_record(self, req: Request, viewer, token) -> Any:
        repo, collection, rkey = (self._required(req, n) for n in ("repo", "collection", "rkey"))
        with self.store.lock:
            try:
                did = self.store.actor(repo).did
            except NotFound:
                raise XrpcFailure(400, "InvalidRequest", f"Could not find repo: {repo}") from None
            record = self.store.record_at(did, collection, rkey)
            if record is None:
                raise XrpcFailure(
                    400,
                    "RecordNotFound",
                    f"Could not locate record: at://{did}/{collection}/{rkey}",
                )
            return {"uri": record.uri, "cid": record.cid, "value": record.value}

    # --- app.bsky -----------------------------------------------------------------------

    def get_profile(self, req: Request, viewer, token) -> Any:
        with self.store.lock:
            try:
                actor = self.store.actor(self._required(req, "actor"))
            except NotFound:
                raise XrpcFailure(400, "InvalidRequest", "Profile not found") from None
            posts = len(self.store.posts_of(actor.did))
            return {
                **self.profile_view(actor.did),
                "postsCount": posts,
                "followersCount": 0,
                "followsCount": 0,
            }

    def get_author_feed(self, req: Request, viewer, token) -> Any:
        limit = self._int(req, "limit", FEED_LIMIT[0], 1, FEED_LIMIT[1])
        feed_filter = req.params().get("filter") or "posts_with_replies"
        if feed_filter not in FEED_FILTERS:
            raise XrpcFailure(
                400, "InvalidRequest", f"Error: filter must be one of ({', '.join(FEED_FILTERS)})"
            )
        with self.store.lock:
            try:
                actor = self.store.actor(self._required(req, "actor"))
            except NotFound:
                raise XrpcFailure(400, "InvalidRequest", "Profile not found") from None
            after = self._after(req.params().get("cursor"))
            posts = []
            for record in self.store.posts_of(actor.did):
                reply = record.value.get("reply") or {}
                root_did = (split_uri((reply.get("root") or {}).get("uri", "")) or ("",))[0]
                if feed_filter == "posts_no_replies" and reply:
                    continue
                if feed_filter == "posts_and_author_threads" and reply and root_did != actor.did:
                    continue
                if feed_filter in ("posts_with_media", "posts_with_video"):
                    continue  # the simulated residents post no media
                posts.append(record)
            posts.sort(key=lambda r: (int(round(self.sort_at(r) * 1000)), r.cid), reverse=True)
            page = [r for r in posts if after(self.sort_at(r), r.cid)][:limit]
            feed = []
            for record in page:
                item: dict[str, Any] = {"post": self.post_view(record)}
                reply = record.value.get("reply")
                if reply:
                    item["reply"] = {
                        "root": self._ref_view(reply["root"]["uri"]),
                        "parent": self._ref_view(reply["parent"]["uri"]),
                    }
                feed.append(item)
            out: dict[str, Any] = {"feed": feed}
            if page:
                out["cursor"] = self._cursor(self.sort_at(page[-1]), page[-1].cid)
            return out

    def get_post_thread(self, req: Request, viewer, token) -> Any:
        uri = self._required(req, "uri")
        depth = self._int(req, "depth", 6, 0, MAX_DEPTH)
        height = self._int(req, "parentHeight", 80, 0, MAX_DEPTH)
        with self.store.lock:
            record = self.store.records.get(uri)
            if record is None or record.deleted_at is not None or record.collection != POST:
                raise XrpcFailure(400, "NotFound", f"Post not found: {uri}")
            node = self._thread_node(record, depth)
            node["parent"] = self._parents(record, height)
            if node["parent"] is None:
                del node["parent"]
            root_uri = ((record.value.get("reply") or {}).get("root") or {}).get(
                "uri"
            ) or record.uri
            out: dict[str, Any] = {"thread": node}
            gate = self.gate_view(root_uri)
            if gate is not None:
                out["threadgate"] = gate
            return out

    def _thread_node(self, record: Record, depth: int) -> dict:
        node: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self.post_view(record),
        }
        if depth > 0:
            node["replies"] = [
                self._thread_node(child, depth - 1) for child in self.store.replies_to(record.uri)
            ]
        return node

    def _parents(self, record: Record, height: int) -> dict | None:
        parent_uri = ((record.value.get("reply") or {}).get("parent") or {}).get("uri")
        if not parent_uri or height <= 0:
            return None
        parent = self.store.records.get(parent_uri)
        if parent is None or parent.deleted_at is not None:
            return self._not_found_post(parent_uri)
        node: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self.post_view(parent),
        }
        above = self._parents(parent, height - 1)
        if above is not None:
            node["parent"] = above
        return node

    def get_posts(self, req: Request, viewer, token) -> Any:
        uris = req.values("uris") or req.values("uris[]")
        if not uris:
            raise XrpcFailure(400, "InvalidRequest", 'Error: Params must have the property "uris"')
        if len(uris) > MAX_URIS:
            raise XrpcFailure(
                400, "InvalidRequest", f"Error: uris must not have more than {MAX_URIS} elements"
            )
        with self.store.lock:
            posts = []
            for uri in uris:
                record = self.store.records.get(uri)
                if record is not None and record.deleted_at is None and record.collection == POST:
                    posts.append(self.post_view(record))
            return {"posts": posts}

    def list_notifications(self, req: Request, viewer, token) -> Any:
        limit = self._int(req, "limit", FEED_LIMIT[0], 1, FEED_LIMIT[1])
        reasons = set(req.values("reasons") or req.values("reasons[]"))
        with self.store.lock:
            after = self._after(req.params().get("cursor"))
            rows = []
            for notif in self.store.notifications:
                if notif.recipient != viewer or (reasons and notif.reason not in reasons):
                    continue
                record = self.store.records.get(notif.uri)
                if record is None or record.deleted_at is not None:
                    continue  # the AppView withdraws notifications about deleted records
                if notif.reason_subject and notif.reason in ("like", "reply", "quote"):
                    subject = self.store.records.get(notif.reason_subject)
                    if notif.reason == "like" and (
                        subject is None or subject.deleted_at is not None
                    ):
                        continue
                rows.append((notif, record))
            rows.sort(key=lambda nr: (int(round(nr[0].indexed_at * 1000)), nr[1].cid), reverse=True)
            page = [nr for nr in rows if after(nr[0].indexed_at, nr[1].cid)][:limit]
            seen_at = self.store.meta.get("seen_at", {}).get(viewer, 0.0)
            notifications = []
            for notif, record in page:
                item: dict[str, Any] = {
                    "uri": record.uri,
                    "cid": record.cid,
                    "author": self.profile_view(record.did),
                    "reason": notif.reason,
                    "record": record.value,
                    "isRead": notif.indexed_at <= seen_at,
                    "indexedAt": iso(notif.indexed_at),
                    "labels": [],
                }
                if notif.reason_subject:
                    item["reasonSubject"] = notif.reason_subject
                notifications.append(item)
            out: dict[str, Any] = {"notifications": notifications, "priority": False}
            if seen_at:
                out["seenAt"] = iso(seen_at)
            if page:
                out["cursor"] = self._cursor(page[-1][0].indexed_at, page[-1][1].cid)
            return out


ROUTES = {
    "com.atproto.server.createSession": BlueskyApp.create_session,
    "com.atproto.server.refreshSession": BlueskyApp.refresh_session,
    "com.atproto.server.getSession": BlueskyApp.get_session,
    "com.atproto.repo.createRecord": BlueskyApp.create_record,
    "com.atproto.repo.putRecord": BlueskyApp.put_record,
    "com.atproto.repo.deleteRecord": BlueskyApp.delete_record,
    "com.atproto.repo.getRecord": BlueskyApp.get_record,
    "app.bsky.actor.getProfile": BlueskyApp.get_profile,
    "app.bsky.feed.getAuthorFeed": BlueskyApp.get_author_feed,
    "app.bsky.feed.getPostThread": BlueskyApp.get_post_thread,
    "app.bsky.feed.getPosts": BlueskyApp.get_posts,
    "app.bsky.notification.listNotifications": BlueskyApp.list_notifications,
}
