"""A local YouTube Data API v3: channels, playlistItems, videos, commentThreads, comments.

Written from developers.google.com/youtube/v3 (docs/channels/list, playlistItems/list,
videos/list, commentThreads/list and insert, comments/list, insert, setModerationStatus and
delete, docs/errors, getting-started#quota, guides/implementation/comments), not from
insyn.capture. Served under ``/youtube/v3/`` on the simulator's main port, as under
``https://www.googleapis.com``.

- Auth: ``Authorization: Bearer`` OAuth 2 access tokens (world tokens with platform
  ``youtube``). A missing token is 401 ``required``; an expired, revoked or unknown one 401
  ``authError`` ("Invalid Credentials").
- Quota: one project's daily units (default 10,000), reset at midnight Pacific time by the
  world's clock; list 1 unit, insert/setModerationStatus/delete 50. An exhausted quota is
  403 ``quotaExceeded`` (the refused call costs nothing).
- Pagination: ``maxResults`` (documented defaults and maxima) and opaque ``pageToken``s;
  ``nextPageToken`` is absent on the last page; a token from elsewhere is 400
  ``invalidPageToken``.
- ``moderationStatus`` (filter and snippet field) is for the channel's owner only; the field
  is left out of by-id lookups, as documented. Rejected comments cannot be listed at all.
- Faults (platform ``youtube``): ``http_error`` → that status with Google's ``backendError``
  body; ``rate_limit`` → 403 ``quotaExceeded`` (429 ``rateLimitExceeded`` with
  ``status=429``); ``auth_error`` → 401 ``authError``; ``malformed`` → a truncated 200;
  ``delay``.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..faults import FaultInjector, FaultRule
from ..store import Invalid, NotFound, World
from ..store.youtube import YouTubeStore
from ..wsgi import Request, Response, json_response
from .resources import ResourceViews, etag

PREFIX = "/youtube/v3"
# Google's token endpoint is https://oauth2.googleapis.com/token; here it sits beside the API.
TOKEN_PATH = "/youtube/oauth2/token"
ACCESS_TOKEN_SECONDS = 3599
PACIFIC = ZoneInfo("America/Los_Angeles")
COST = {"GET": 1, "POST": 50, "PUT": 50, "DELETE": 50}
PAGE_SIZES = {  # (default, maximum) per list method
    "channels": (5, 50),
    "playlistItems": (5, 50),
    "videos": (5, 50),
    "commentThreads": (20, 100),
    "comments": (20, 100),
}
QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "youtube.api",
        location: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.domain, self.location = (
            status,
            reason,
            message,
            domain,
            location,
        )


def error_body(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "youtube.api",
    location: str | None = None,
) -> dict:
    """Google's error object (docs/errors)."""
    entry: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        entry["location"] = location
        entry["locationType"] = "header" if location == "Authorization" else "parameter"
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [entry],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }


class QuotaMeter:
    """Units spent per Pacific day (by the world's clock)."""

    def __init__(self, daily: int) -> None:
        self.daily = daily
        self.day = ""
        self.units = 0

    def _roll(self, now: float) -> None:
        day = datetime.fromtimestamp(now, UTC).astimezone(PACIFIC).date().isoformat()
        if day != self.day:
            self.day, self.units = day, 0

    def charge(self, cost: int, now: float) -> bool:
        self._roll(now)
        if self.units + cost > self.daily:
            return False
        self.units += cost
        return True

    def exhaust(self, now: float) -> None:
        self._roll(now)
        self.units = self.daily

    def reset_at(self, now: float) -> float:
        local = datetime.fromtimestamp(now, UTC).astimezone(PACIFIC)
        midnight = datetime.combine(
            local.date() + timedelta(days=1), datetime.min.time(), tzinfo=PACIFIC
        )
        return midnight.timestamp()


class YouTubeApp(ResourceViews):
    """WSGI app for the simulated Data API; mount it where ``/youtube/v3/`` paths arrive."""

    def __init__(self, world: World, faults: FaultInjector, *, daily_quota: int = 10_000) -> None:
        self.world = world
        self.store = YouTubeStore(world)
        self.faults = faults
        self.quota = QuotaMeter(daily_quota)

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, req: Request) -> Response:
        if req.path == TOKEN_PATH:
            return self._token_endpoint(req)
        token = req.bearer_token()
        with self.world.lock:
            record = self.world.tokens.get(token) if token else None
            viewer = (
                record.subject_id
                if record is not None
                and record.platform == "youtube"
                and record.state == "valid"
                and not self.store.token_expired(token or "")
                else None
            )
        rule = self.faults.take(
            "youtube", record.subject_id if record else None, req.method, req.path
        )
        if rule is not None and rule.delay > 0:
            time.sleep(rule.delay)
        if rule is not None and rule.kind not in ("delay", "malformed"):
            return self._fault(rule)
        response = self._handle(req, token, viewer)
        if rule is not None and rule.kind == "malformed" and response.status == 200:
            response = Response(
                200, response.body[: max(1, len(response.body) // 2)], response.headers
            )
            response.set_header("Content-Length", str(len(response.body)))
        return response

    def credentials(self, channel_id: str, base_url: str) -> dict[str, str] | None:
        """Google's "authorized user" JSON for the channel's first live grant, with the
        simulator's token endpoint as ``token_uri``."""
        with self.world.lock:
            for grant in self.store.data.get("grants", {}).values():
                if grant["channel_id"] == channel_id and not grant["revoked"]:
                    keys = ("client_id", "client_secret", "refresh_token")
                    return {
                        **{k: grant[k] for k in keys},
                        "token_uri": base_url.rstrip("/") + TOKEN_PATH,
                    }
        return None

    def _token_endpoint(self, req: Request) -> Response:
        """RFC 6749 §6 as Google answers it: a form POST with ``grant_type=refresh_token``,
        the refresh token and the client's id and secret; errors as ``{"error",
        "error_description"}`` (400 ``invalid_grant``, 401 ``invalid_client``)."""
        params = req.params()
        if req.method != "POST" or params.get("grant_type") != "refresh_token":
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Invalid grant_type: " + str(params.get("grant_type", "")),
                },
                400,
            )
        with self.world.lock:
            try:
                granted = self.store.exchange(
                    str(params.get("refresh_token") or ""),
                    str(params.get("client_id") or ""),
                    str(params.get("client_secret") or ""),
                )
            except Invalid:
                return json_response(
                    {"error": "invalid_client", "error_description": "Unauthorized"}, 401
                )
            if granted is None:
                return json_response(
                    {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    },
                    400,
                )
            token, channel_id = granted
            self.world.create_token("youtube", channel_id, token)
            self.store.note_expiry(token, ACCESS_TOKEN_SECONDS + 1)
        return json_response(
            {
                "access_token": token,
                "expires_in": ACCESS_TOKEN_SECONDS,
                "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                "token_type": "Bearer",
            },
            200,
            [("Cache-Control", "no-cache, no-store, max-age=0")],
        )

    def _fault(self, rule: FaultRule) -> Response:
        if rule.kind == "rate_limit":
            if rule.status == 429:
                return _error(
                    429,
                    "rateLimitExceeded",
                    "The request cannot be completed because you have exceeded the rate limit.",
                    headers=[("Retry-After", "30")],
                )
            self.quota.exhaust(self.world.now())
            return _error(403, "quotaExceeded", QUOTA_MESSAGE, domain="youtube.quota")
        if rule.kind == "auth_error":
            return _error(
                401, "authError", "Invalid Credentials", domain="global", location="Authorization"
            )
        return _error(rule.status, "backendError", "Backend Error", domain="global")

    def _handle(self, req: Request, token: str | None, viewer: str | None) -> Response:
        try:
            if not req.path.startswith(PREFIX + "/"):
                raise ApiError(404, "notFound", "Not Found", domain="global")
            if token is None:
                raise ApiError(
                    401, "required", "Login Required.", domain="global", location="Authorization"
                )
            if viewer is None:
                raise ApiError(
                    401,
                    "authError",
                    "Invalid Credentials",
                    domain="global",
                    location="Authorization",
                )
            resource = req.path[len(PREFIX) + 1 :].rstrip("/")
            cost = COST.get(req.method, 1)
            with self.world.lock:
                if not self.quota.charge(cost, self.world.now()):
                    raise ApiError(403, "quotaExceeded", QUOTA_MESSAGE, domain="youtube.quota")
                data = self._route(req, resource, viewer)
            if data is None:
                return Response(204, b"", [])
            return json_response(data, 200, [("Cache-Control", "private, max-age=0")])
        except ApiError as e:
            return _error(e.status, e.reason, e.message, domain=e.domain, location=e.location)

    # --- routing ---------------------------------------------------------------------------

    def _route(self, req: Request, resource: str, viewer: str) -> Any:
        method = req.method
        if method == "GET" and resource in (
            "channels",
            "playlistItems",
            "videos",
            "commentThreads",
            "comments",
        ):
            params = req.params()
            if not params.get("part"):
                raise ApiError(
                    400,
                    "missingRequiredParameter",
                    "No filter selected. Expected one of: part",
                    domain="youtube.parameter",
                    location="part",
                )
            return getattr(self, f"_list_{resource}")(req, params, viewer)
        if method == "POST" and resource == "comments":
            return self._insert_reply(req, viewer)
        if method == "POST" and resource == "commentThreads":
            return self._insert_thread(req, viewer)
        if method == "POST" and resource == "comments/setModerationStatus":
            return self._set_moderation_status(req, viewer)
        if method == "DELETE" and resource == "comments":
            return self._delete(req, viewer)
        raise ApiError(404, "notFound", "Not Found", domain="global")

    # --- lists -------------------------------------------------------------------------------

    def _page(self, req: Request, params: dict, resource: str, items: list, kind: str) -> dict:
        default, maximum = PAGE_SIZES[resource]
        try:
            size = int(params.get("maxResults", default))
        except ValueError:
            size = -1
        if not 0 <= size <= maximum:
            raise ApiError(
                400,
                "invalidParameter",
                f"Invalid value for maxResults: {params.get('maxResults')}",
                domain="youtube.parameter",
                location="maxResults",
            )
        start = 0
        if params.get("pageToken"):
            start = self._decode_token(str(params["pageToken"]), resource)
        page = items[start : start + size] if size else []
        out: dict[str, Any] = {"kind": kind, "etag": etag(kind, start, len(items))}
        if start + size < len(items) and size:
            out["nextPageToken"] = self._token(resource, start + size)
        if start > 0:
            out["prevPageToken"] = self._token(resource, max(0, start - size))
        out["pageInfo"] = {"totalResults": len(items), "resultsPerPage": size}
        out["items"] = page
        return out

    def _token(self, resource: str, offset: int) -> str:
        raw = json.dumps([resource, offset], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode_token(self, token: str, resource: str) -> int:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            name, offset = json.loads(raw)
            if name != resource or not isinstance(offset, int) or offset < 0:
                raise ValueError
            return offset
        except ValueError as exc:
            raise ApiError(
                400,
                "invalidPageToken",
                "The request specifies an invalid page token.",
                domain="youtube.parameter",
                location="pageToken",
            ) from exc

    def _list_channels(self, req: Request, params: dict, viewer: str) -> dict:
        parts = _parts(params)
        if params.get("mine") in ("true", True):
            ids = [viewer]
        elif params.get("id"):
            ids = [i for i in str(params["id"]).split(",") if i]
        else:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: id, mine, forHandle",
                domain="youtube.parameter",
            )
        channels = [self.store.channels[i] for i in ids if i in self.store.channels]
        return self._page(
            req,
            params,
            "channels",
            [self._channel_json(c, parts) for c in channels],
            "youtube#channelListResponse",
        )

    def _list_playlistItems(self, req: Request, params: dict, viewer: str) -> dict:  # noqa: N802 - API name
        playlist = str(params.get("playlistId") or "")
        if not playlist:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: id, playlistId",
                domain="youtube.parameter",
            )
        channel = next((c for c in self.store.channels.values() if c["uploads"] == playlist), None)
        if channel is None:
            raise ApiError(
                404,
                "playlistNotFound",
                "The playlist identified with the request's <code>playlistId"
                "</code> parameter cannot be found.",
                domain="youtube.playlistItem",
                location="playlistId",
            )
        videos = self.store.videos_of(channel["id"])
        parts = _parts(params)
        items = [self._playlist_item_json(v, channel, n, parts) for n, v in enumerate(videos)]
        return self._page(req, params, "playlistItems", items, "youtube#playlistItemListResponse")

    def _list_videos(self, req: Request, params: dict, viewer: str) -> dict:
        ids = [i for i in str(params.get("id") or "").split(",") if i]
        if not ids:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: chart, id, myRating",
                domain="youtube.parameter",
            )
        videos = [
            self.store.videos[i]
            for i in ids
            if i in self.store.videos and self.store.videos[i]["deleted"] is None
        ]
        parts = _parts(params)
        return self._page(
            req,
            params,
            "videos",
            [self._video_json(v, parts) for v in videos],
            "youtube#videoListResponse",
        )

    def _list_commentThreads(self, req: Request, params: dict, viewer: str) -> dict:  # noqa: N802 - API name
        status = str(params.get("moderationStatus") or "published")
        if status not in ("published", "heldForReview", "likelySpam"):
            raise ApiError(
                400,
                "invalidParameter",
                "Invalid value for moderationStatus",
                domain="youtube.parameter",
                location="moderationStatus",
            )
        html_text = str(params.get("textFormat") or "html") == "html"
        if params.get("allThreadsRelatedToChannelId"):
            channel = self.store.channels.get(str(params["allThreadsRelatedToChannelId"]))
            if channel is None:
                raise ApiError(
                    404,
                    "channelNotFound",
                    "The channel identified by the <code>"
                    "allThreadsRelatedToChannelId</code> parameter could not be found.",
                    domain="youtube.commentThread",
                    location="allThreadsRelatedToChannelId",
                )
            threads = self.store.threads_of(channel["id"], status=status)
        elif params.get("videoId"):
            video = self.store.videos.get(str(params["videoId"]))
            if video is None or video["deleted"] is not None:
                raise ApiError(
                    404,
                    "videoNotFound",
                    "The video identified by the <code>videoId</code> parameter "
                    "could not be found.",
                    domain="youtube.commentThread",
                    location="videoId",
                )
            if video["comments_disabled"]:
                raise ApiError(
                    403,
                    "commentsDisabled",
                    "The video identified by the <code>videoId</code> parameter "
                    "has disabled comments.",
                    domain="youtube.commentThread",
                    location="videoId",
                )
            channel = self.store.channels[video["channel_id"]]
            threads = self.store.threads_of(channel["id"], status=status, video_id=video["id"])
        elif params.get("id"):
            ids = set(str(params["id"]).split(","))
            threads = [
                c
                for c in (self.store.comments.get(i) for i in ids)
                if c
                and c["parent_id"] is None
                and c["deleted"] is None
                and c["status"] == "published"
            ]
            channel = None
        else:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: allThreadsRelatedToChannelId, id, videoId",
                domain="youtube.parameter",
            )
        owner = channel is not None and channel["id"] == viewer
        if status != "published" and not owner:
            raise ApiError(
                403,
                "forbidden",
                "The comment thread could not be retrieved because the request is "
                "not properly authorized.",
                domain="youtube.commentThread",
                location="moderationStatus",
            )
        parts = _parts(params)
        items = [
            self._thread_json(
                c, parts, owner=owner, html_text=html_text, by_id=channel is None, viewer=viewer
            )
            for c in threads
        ]
        return self._page(req, params, "commentThreads", items, "youtube#commentThreadListResponse")

    def _list_comments(self, req: Request, params: dict, viewer: str) -> dict:
        html_text = str(params.get("textFormat") or "html") == "html"
        if params.get("parentId"):
            parent = self.store.comments.get(str(params["parentId"]))
            if parent is None or parent["deleted"] is not None or parent["status"] == "rejected":
                items: list[dict] = []
            else:
                owner = parent["channel_id"] == viewer
                statuses = ("published", "heldForReview", "likelySpam") if owner else ("published",)
                items = [
                    self._comment_json(c, owner=owner, html_text=html_text, viewer=viewer)
                    for c in self.store.replies_of(parent["id"], statuses=statuses)
                ]
        elif params.get("id"):
            if params.get("pageToken") or params.get("maxResults"):
                raise ApiError(
                    400,
                    "operationNotSupported",
                    "The id filter is only compatible with comments based on Google+.",
                    domain="youtube.comment",
                )
            items = []
            for cid in str(params["id"]).split(","):
                comment = self.store.comments.get(cid)
                if comment and comment["deleted"] is None and comment["status"] != "rejected":
                    # moderationStatus is not returned with the id filter (docs/comments#snippet)
                    items.append(
                        self._comment_json(comment, owner=False, html_text=html_text, viewer=viewer)
                    )
        else:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No filter selected. Expected one of: id, parentId",
                domain="youtube.parameter",
            )
        return self._page(req, params, "comments", items, "youtube#commentListResponse")

    # --- writes --------------------------------------------------------------------------------

    def _insert_reply(self, req: Request, viewer: str) -> dict:
        snippet = _body_snippet(req)
        parent = str(snippet.get("parentId") or "")
        text = str(snippet.get("textOriginal") or "")
        if not parent:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "No parentId specified.",
                domain="youtube.parameter",
                location="snippet.parentId",
            )
        if not text.strip():
            raise ApiError(
                400,
                "commentTextRequired",
                "The comment resource must contain a value for snippet.textOriginal.",
                domain="youtube.comment",
            )
        try:
            comment = self.store.reply(parent, viewer, text)
        except NotFound as exc:
            raise ApiError(
                404,
                "parentCommentNotFound",
                "The parent comment could not be found.",
                domain="youtube.comment",
                location="snippet.parentId",
            ) from exc
        return self._comment_json(
            comment, owner=comment["channel_id"] == viewer, html_text=True, viewer=viewer
        )

    def _insert_thread(self, req: Request, viewer: str) -> dict:
        snippet = _body_snippet(req)
        top = (
            snippet.get("topLevelComment")
            if isinstance(snippet.get("topLevelComment"), dict)
            else {}
        )
        inner = top.get("snippet") if isinstance(top.get("snippet"), dict) else {}
        text = str(inner.get("textOriginal") or "")
        video_id = str(snippet.get("videoId") or "")
        if not text.strip():
            raise ApiError(
                400,
                "commentTextRequired",
                "The comment resource must contain a value for snippet.textOriginal.",
                domain="youtube.commentThread",
            )
        try:
            comment = self.store.comment(video_id, viewer, text)
        except NotFound as exc:
            raise ApiError(
                404,
                "videoNotFound",
                "The video could not be found.",
                domain="youtube.commentThread",
                location="snippet.videoId",
            ) from exc
        except Invalid as exc:
            raise ApiError(
                403,
                "commentsDisabled",
                "The video has disabled comments.",
                domain="youtube.commentThread",
            ) from exc
        return self._thread_json(
            comment,
            {"snippet"},
            owner=comment["channel_id"] == viewer,
            html_text=True,
            viewer=viewer,
        )

    def _set_moderation_status(self, req: Request, viewer: str) -> None:
        params = req.params()
        ids = [i for i in str(params.get("id") or "").split(",") if i]
        status = str(params.get("moderationStatus") or "")
        ban = str(params.get("banAuthor", "false")).lower() == "true"
        if not ids or not status:
            raise ApiError(
                400,
                "missingRequiredParameter",
                "Required parameter missing: id, moderationStatus",
                domain="youtube.parameter",
            )
        if len(ids) > 50:
            raise ApiError(
                400,
                "invalidParameter",
                "At most 50 ids.",
                domain="youtube.parameter",
                location="id",
            )
        if status not in ("heldForReview", "published", "rejected"):
            raise ApiError(
                400,
                "invalidModerationStatus",
                "The moderation status is invalid.",
                domain="youtube.comment",
                location="moderationStatus",
            )
        if ban and status != "rejected":
            raise ApiError(
                400,
                "banWithoutReject",
                "The banAuthor parameter can only be used when the "
                "moderationStatus parameter value is rejected.",
                domain="youtube.comment",
                location="banAuthor",
            )
        comments = []
        for cid in ids:
            comment = self.store.comments.get(cid)
            if comment is None or comment["deleted"] is not None:
                raise ApiError(
                    400,
                    "processingFailure",
                    "The API server failed to successfully process the request.",
                    domain="youtube.comment",
                    location="id",
                )
            if comment["channel_id"] != viewer:
                raise ApiError(
                    403,
                    "forbidden",
                    "The comment's moderation status could not be changed because "
                    "the request is not properly authorized.",
                    domain="youtube.comment",
                )
            if comment["status"] == "rejected":
                raise ApiError(
                    400,
                    "processingFailure",
                    "A rejected comment cannot be moderated again.",
                    domain="youtube.comment",
                    location="id",
                )
            comments.append(comment)
        for comment in comments:
            self.store.set_status(comment["id"], status, ban_author=ban)
        return None

    def _delete(self, req: Request, viewer: str) -> None:
        cid = str(req.params().get("id") or "")
        comment = self.store.comments.get(cid)
        if comment is None or comment["deleted"] is not None or comment["status"] == "rejected":
            raise ApiError(
                404,
                "commentNotFound",
                "The comment identified by the <code>id</code> parameter could not be found.",
                domain="youtube.comment",
                location="id",
            )
        if comment["author_id"] != viewer:
            raise ApiError(
                403,
                "forbidden",
                "The comment could not be deleted because the request is not properly authorized.",
                domain="youtube.comment",
            )
        self.store.delete(cid)
        return None


def _error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "youtube.api",
    location: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    return json_response(
        error_body(status, reason, message, domain=domain, location=location),
        status,
        [("Vary", "Origin"), *(headers or [])],
    )


def _parts(params: dict) -> set[str]:
    return {p.strip() for p in str(params.get("part") or "").split(",") if p.strip()}


def _body_snippet(req: Request) -> dict:
    body = req.json if isinstance(req.json, dict) else None
    snippet = body.get("snippet") if body else None
    if not isinstance(snippet, dict):
        raise ApiError(
            400,
            "invalidValue",
            "The request body must be a resource with a snippet.",
            domain="youtube.parameter",
        )
    return snippet
