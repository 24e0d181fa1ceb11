"""A local WordPress site: the REST API (``/wp-json/wp/v2/posts``, ``/comments``), the feeds
(``/feed/``, ``/feed/atom/``, ``/<permalink>/feed/``, ``/comments/feed/``) and the post pages.

Written from developer.wordpress.org/rest-api (reference/posts, reference/comments,
using-the-rest-api/pagination, global-parameters, authentication) and WordPress's feed and
conditional-GET behaviour (``wp-includes/class-wp.php`` send_headers: ETag and Last-Modified,
304 when they match). Authentication is Application Passwords over HTTP Basic; the
passwords are the simulator's tokens (platform ``blog``), so /_sim/tokens revokes one.
WordPress itself has no rate limit; like a host in front of it, this site answers 429 with
``Retry-After`` when an address asks more than ``limit`` times a minute.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import time
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from ..faults import FaultInjector, FaultRule, RateMeter
from ..store import World
from ..wsgi import Request, Response, json_response, text_response, url_with
from . import render
from .store import BlogNotFound, BlogStore, WpComment, WpPost

SITE_OFFSET = 3600  # the site's time zone, seconds east of UTC (see store.wp_local)
FEED_SIZE = 10  # Settings → Reading: "Syndication feeds show the most recent 10 items"
STATUS_PARAMS = {
    "approve": "approved",
    "approved": "approved",
    "hold": "hold",
    "spam": "spam",
    "trash": "trash",
}
HOST_ERROR = "<!DOCTYPE html><html><head><title>%d</title></head><body><h1>%d</h1><p>Tjänsten är tillfälligt otillgänglig.</p></body></html>"


class WpError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> Response:
        return json_response(
            {
                "code": self.code,
                "message": self.message,
                "data": {"status": self.status, **self.extra},
            },
            self.status,
        )


class BlogApp:
    """WSGI app for one simulated WordPress site; mount it at the site's home URL."""

    def __init__(
        self, store: BlogStore, world: World, faults: FaultInjector, meter: RateMeter
    ) -> None:
        self.store, self.world, self.faults, self.meter = store, world, faults, meter

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        req = Request(environ)
        response = self.respond(req)
        if req.method == "HEAD":
            response = Response(
                response.status,
                b"",
                response.headers + [("Content-Length", str(len(response.body)))],
            )
        return response(environ, start_response)

    def respond(self, req: Request) -> Response:
        user = None
        try:
            user = self._authenticate(req)
        except WpError as error:
            auth_error = error
        else:
            auth_error = None
        rule = self.faults.take("blog", str(user) if user else None, req.method, req.path)
        if rule is not None and rule.delay > 0:
            time.sleep(rule.delay)
        if rule is not None and rule.kind not in ("delay", "malformed"):
            return self._fault(rule)
        count, limit, reset = self.meter.hit(req.environ.get("REMOTE_ADDR", "") or "-", time.time())
        if count > limit:
            return self._too_many(max(1, math.ceil(reset - time.time())))
        try:
            if auth_error is not None and req.path.startswith("/wp-json"):
                raise auth_error
            with self.store.lock:
                response = self._route(req, user)
        except WpError as error:
            response = error.response()
        except BlogNotFound:
            response = text_response(
                "<h1>Sidan kunde inte hittas</h1>", 404, "text/html; charset=UTF-8"
            )
        if rule is not None and rule.kind == "malformed":
            response = Response(
                200, response.body[: max(1, len(response.body) // 2)], response.headers
            )
            response.set_header("Content-Length", str(len(response.body)))
        return response

    # --- auth, faults, limits -----------------------------------------------------------

    def _authenticate(self, req: Request) -> int | None:
        scheme, _, value = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            raise WpError(401, "rest_not_logged_in", "You are not currently logged in.") from None
        with self.store.lock:
            user = next((u for u in self.store.users.values() if u.username == username), None)
        if user is None:
            raise WpError(
                401,
                "invalid_username",
                "Okänt användarnamn. Kontrollera igen eller prova med din e-postadress.",
            )
        with self.world.lock:
            record = self.world.tokens.get(f"{username}:{password}")
        if (
            record is None
            or record.platform != "blog"
            or record.state != "valid"
            or record.subject_id != str(user.id)
        ):
            raise WpError(
                401,
                "incorrect_password",
                "The provided password is an invalid application password.",
            )
        return user.id

    def _fault(self, rule: FaultRule) -> Response:
        if rule.kind == "rate_limit":
            # 429 with Retry-After: `code` seconds (default 30); subcode 503: maintenance mode instead
            return self._too_many(int(rule.code or 30), status=503 if rule.subcode == 503 else 429)
        if rule.kind == "auth_error":
            return WpError(
                401,
                "incorrect_password",
                "The provided password is an invalid application password.",
            ).response()
        return text_response(
            HOST_ERROR % (rule.status, rule.status), rule.status, "text/html; charset=UTF-8"
        )

    def _too_many(self, seconds: int, status: int = 429) -> Response:
        response = text_response(HOST_ERROR % (status, status), status, "text/html; charset=UTF-8")
        response.set_header("Retry-After", str(seconds))
        return response

    # --- routing --------------------------------------------------------------------------

    def _route(self, req: Request, user: int | None) -> Response:
        urls = render.Urls(req.host_url + req.script_name)
        path, method = req.path, req.method
        if path.startswith("/wp-json"):
            route = path[len("/wp-json") :].rstrip("/") or "/"
            return self._api(req, route, method, user, urls)
        if method not in ("GET", "HEAD"):
            raise WpError(405, "method_not_allowed", "Method not allowed")
        if path in ("/", "") and req.params().get("p"):
            post = self._public_post(req.params()["p"])
            return Response(301, b"", [("Location", urls.permalink(post))])
        if path in ("/feed/", "/feed", "/feed/atom/", "/feed/rss2/"):
            return self._posts_feed(req, urls, atom=path.startswith("/feed/atom"))
        if path in ("/comments/feed/", "/comments/feed"):
            return self._site_comments_feed(req, urls)
        m = re.fullmatch(r"/(\d{4})/(\d{2})/(\d{2})/([a-z0-9\-]+)/(feed/(atom/)?)?", path)
        if m:
            post = next(
                (
                    p
                    for p in self.store.posts.values()
                    if p.slug == m.group(4)
                    and urls.permalink(p).endswith(
                        path[: path.index(m.group(4))] + m.group(4) + "/"
                    )
                    and not p.deleted
                    and p.status == "publish"
                ),
                None,
            )
            if post is None:
                raise BlogNotFound(path)
            if m.group(5):
                return self._post_comments_feed(req, post, urls, atom=bool(m.group(6)))
            body = (
                f'<!DOCTYPE html><html lang="sv-SE"><head><title>{render.esc(post.title)}</title></head>'
                f"<body><article><h1>{render.esc(post.title)}</h1>{render.wpautop(post.content)}</article></body></html>"
            )
            return text_response(body, 200, "text/html; charset=UTF-8")
        raise BlogNotFound(path)

    # --- REST API ---------------------------------------------------------------------------

    def _api(
        self, req: Request, route: str, method: str, user: int | None, urls: render.Urls
    ) -> Response:
        if route == "/" and method == "GET":
            return json_response(
                {
                    "name": self.store.title,
                    "description": self.store.description,
                    "url": urls.home,
                    "home": urls.home,
                    "gmt_offset": "1",
                    "timezone_string": "Europe/Stockholm",
                    "namespaces": [
                        "oembed/1.0",
                        "wp/v2",
                        "wp-site-health/v1",
                        "wp-block-editor/v1",
                    ],
                    "authentication": {
                        "application-passwords": {
                            "endpoints": {
                                "authorization": f"{urls.home}/wp-admin/authorize-application.php"
                            }
                        }
                    },
                    "routes": {
                        r: {"namespace": "wp/v2"}
                        for r in ("/wp/v2/posts", "/wp/v2/comments", "/wp/v2/users/me")
                    },
                }
            )
        if route == "/wp/v2/users/me" and method == "GET":
            if user is None:
                raise WpError(401, "rest_not_logged_in", "You are not currently logged in.")
            u = self.store.users[user]
            data = {
                "id": u.id,
                "name": u.name,
                "url": "",
                "description": "",
                "link": f"{urls.home}/author/{u.slug}/",
                "slug": u.slug,
                "avatar_urls": {},
                "meta": [],
            }
            if req.params().get("context") == "edit":
                data.update(
                    username=u.username,
                    email=f"{u.username}@example.se",
                    roles=["editor"],
                    capabilities={"moderate_comments": True, "edit_posts": True},
                )
            return json_response(data)
        if route == "/wp/v2/posts" and method == "GET":
            return self._list_posts(req, user, urls)
        m = re.fullmatch(r"/wp/v2/posts/(\d+)", route)
        if m and method == "GET":
            return json_response(
                render.post_json(
                    self.store,
                    self._readable_post(int(m.group(1)), user),
                    urls,
                    edit=self._edit(req, user, "posts"),
                )
            )
        if route == "/wp/v2/comments" and method == "GET":
            return self._list_comments(req, user, urls)
        if route == "/wp/v2/comments" and method == "POST":
            return self._create_comment(req, user, urls)
        m = re.fullmatch(r"/wp/v2/comments/(\d+)", route)
        if m:
            comment = self._comment(int(m.group(1)))
            if method == "GET":
                if comment.status != "approved" and user is None:
                    raise WpError(
                        401, "rest_cannot_read", "Sorry, you are not allowed to read this comment."
                    )
                return json_response(
                    render.comment_json(
                        self.store, comment, urls, edit=self._edit(req, user, "comments")
                    )
                )
            if method in ("POST", "PUT", "PATCH"):
                return self._update_comment(req, user, comment, urls)
            if method == "DELETE":
                return self._delete_comment(req, user, comment, urls)
        raise WpError(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    def _edit(self, req: Request, user: int | None, kind: str) -> bool:
        if req.params().get("context") != "edit":
            return False
        if user is None:
            raise WpError(
                401,
                "rest_forbidden_context",
                f"Sorry, you are not allowed to edit {kind} in this post type."
                if kind == "posts"
                else "Sorry, you are not allowed to edit comments.",
            )
        return True

    def _paging(self, req: Request) -> tuple[int, int]:
        params = req.params()
        try:
            per_page = int(params.get("per_page", 10))
        except ValueError:
            per_page = 0
        if not 1 <= per_page <= 100:
            raise WpError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): per_page",
                params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            )
        try:
            page = int(params.get("page", 1))
        except ValueError:
            page = 0
        if page < 1:
            raise WpError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): page",
                params={"page": "page must be greater than or equal to 1"},
            )
        return page, per_page

    def _paginated(
        self, req: Request, rows: list, page: int, per_page: int, invalid_page_code: str, render_row
    ) -> Response:
        total = len(rows)
        pages = math.ceil(total / per_page) if total else 0
        if page > pages and total:
            raise WpError(
                400,
                invalid_page_code,
                "The page number requested is larger than the number of pages available.",
            )
        chunk = rows[(page - 1) * per_page : page * per_page]
        base = req.host_url + req.script_name + req.path
        query = [(k, v) for k, v in req.query if k != "page"]
        links = []
        if page > 1:
            links.append(f'<{url_with(base, [*query, ("page", str(page - 1))])}>; rel="prev"')
        if page < pages:
            links.append(f'<{url_with(base, [*query, ("page", str(page + 1))])}>; rel="next"')
        headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
        if links:
            headers.append(("Link", ", ".join(links)))
        response = json_response([render_row(r) for r in chunk], 200, headers)
        return response

    def _list_posts(self, req: Request, user: int | None, urls: render.Urls) -> Response:
        page, per_page = self._paging(req)
        params = req.params()
        edit = self._edit(req, user, "posts")
        wanted = [s for s in str(params.get("status", "publish")).split(",") if s]
        if wanted != ["publish"] and user is None:
            raise WpError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): status",
                params={"status": "Status is forbidden."},
            )
        posts = [
            p
            for p in self.store.posts.values()
            if not p.deleted and (p.status in wanted or "any" in wanted)
        ]
        orderby, order = params.get("orderby", "date"), params.get("order", "desc")
        keys = {
            "date": lambda p: (p.date, p.id),
            "modified": lambda p: (p.modified, p.id),
            "id": lambda p: p.id,
            "title": lambda p: p.title,
        }
        if orderby not in keys or order not in ("asc", "desc"):
            raise WpError(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): orderby"
                if orderby not in keys
                else "Invalid parameter(s): order",
            )
        for name, attr in (("after", "date"), ("modified_after", "modified")):
            if params.get(name):
                bound = _parse_wp_date(params[name])
                posts = [p for p in posts if getattr(p, attr) > bound]
        posts.sort(key=keys[orderby], reverse=order == "desc")
        return self._paginated(
            req,
            posts,
            page,
            per_page,
            "rest_post_invalid_page_number",
            lambda p: render.post_json(self.store, p, urls, edit=edit),
        )

    def _list_comments(self, req: Request, user: int | None, urls: render.Urls) -> Response:
        page, per_page = self._paging(req)
        params = req.params()
        edit = self._edit(req, user, "comments")
        status = STATUS_PARAMS.get(str(params.get("status", "approve")))
        if status is None:
            status = "__none__"
        if status != "approved" and user is None:
            raise WpError(401, "rest_forbidden_param", "Query parameter not permitted: status")
        comments = [
            c
            for c in self.store.comments.values()
            if not c.deleted
            and c.status == status
            and not self.store.posts[c.post].deleted
            and (self.store.posts[c.post].status == "publish" or user is not None)
        ]
        for name, attr in (("post", "post"), ("parent", "parent")):
            if name in params and str(params[name]) != "":
                wanted = {int(v) for v in str(params[name]).split(",") if v.strip().isdigit()}
                comments = [c for c in comments if getattr(c, attr) in wanted]
        if params.get("after"):
            bound = _parse_wp_date(params["after"])
            comments = [c for c in comments if c.date > bound]
        orderby, order = params.get("orderby", "date_gmt"), params.get("order", "desc")
        keys = {
            "date": lambda c: (c.date, c.id),
            "date_gmt": lambda c: (c.date, c.id),
            "id": lambda c: c.id,
            "post": lambda c: (c.post, c.id),
            "parent": lambda c: (c.parent, c.id),
        }
        if orderby not in keys or order not in ("asc", "desc"):
            raise WpError(400, "rest_invalid_param", "Invalid parameter(s): orderby")
        comments.sort(key=keys[orderby], reverse=order == "desc")
        return self._paginated(
            req,
            comments,
            page,
            per_page,
            "rest_comment_invalid_page_number",
            lambda c: render.comment_json(self.store, c, urls, edit=edit),
        )

    def _readable_post(self, post_id: int, user: int | None) -> WpPost:
        post = self.store.posts.get(post_id)
        if post is None or post.deleted:
            raise WpError(404, "rest_post_invalid_id", "Invalid post ID.")
        if post.status != "publish" and user is None:
            raise WpError(401, "rest_forbidden", "Sorry, you are not allowed to do that.")
        return post

    def _public_post(self, value: Any) -> WpPost:
        try:
            post = self.store.live_post(int(value))
        except (ValueError, TypeError):
            raise BlogNotFound(str(value)) from None
        if post.status != "publish":
            raise BlogNotFound(str(value))
        return post

    def _comment(self, comment_id: int) -> WpComment:
        comment = self.store.comments.get(comment_id)
        if comment is None or comment.deleted:
            raise WpError(404, "rest_comment_invalid_id", "Invalid comment ID.")
        return comment

    def _create_comment(self, req: Request, user: int | None, urls: render.Urls) -> Response:
        if user is None:
            raise WpError(
                401, "rest_comment_login_required", "Sorry, you must be logged in to comment."
            )
        params = req.params()
        try:
            post_id, parent = int(params.get("post", 0)), int(params.get("parent", 0) or 0)
        except (TypeError, ValueError):
            raise WpError(400, "rest_invalid_param", "Invalid parameter(s): post") from None
        post = self.store.posts.get(post_id)
        if post is None or post.deleted:
            raise WpError(
                403,
                "rest_comment_invalid_post_id",
                "Sorry, you are not allowed to create this comment without a post.",
            )
        if parent:
            existing = self.store.comments.get(parent)
            if existing is None or existing.deleted or existing.post != post_id:
                raise WpError(
                    400, "rest_comment_invalid_reply_to", "Invalid comment parent."
                )  # see docs/simulator.md
        content = params.get("content")
        content = content.get("raw", "") if isinstance(content, dict) else str(content or "")
        if not content.strip():
            raise WpError(400, "rest_comment_content_invalid", "Invalid comment content.")
        for c in self.store.comments.values():
            if (
                not c.deleted
                and c.post == post_id
                and c.parent == parent
                and c.author == user
                and c.content.strip() == content.strip()
            ):
                raise WpError(
                    409,
                    "comment_duplicate",
                    "Duplicate comment detected; it looks as though you&#8217;ve already said that!",
                )
        comment = self.store.add_comment(post_id, content, author=user, parent=parent)
        return json_response(
            render.comment_json(self.store, comment, urls, edit=True),
            201,
            [("Location", urls.api(f"/wp/v2/comments/{comment.id}"))],
        )

    def _update_comment(
        self, req: Request, user: int | None, comment: WpComment, urls: render.Urls
    ) -> Response:
        if user is None:
            raise WpError(
                401, "rest_cannot_edit", "Sorry, you are not allowed to edit this comment."
            )
        params = req.params()
        if "status" in params:
            status = STATUS_PARAMS.get(str(params["status"]))
            if status is None:
                raise WpError(400, "rest_comment_failed_edit", "Updating comment status failed.")
            self.store.set_comment_status(comment.id, status)
        if "content" in params:
            content = params["content"]
            self.store.edit_comment(
                comment.id, content.get("raw", "") if isinstance(content, dict) else str(content)
            )
        return json_response(render.comment_json(self.store, comment, urls, edit=True))

    def _delete_comment(
        self, req: Request, user: int | None, comment: WpComment, urls: render.Urls
    ) -> Response:
        if user is None:
            raise WpError(
                401, "rest_cannot_delete", "Sorry, you are not allowed to delete this comment."
            )
        if str(req.params().get("force", "")).lower() in ("1", "true"):
            previous = render.comment_json(self.store, comment, urls, edit=True)
            self.store.delete_comment(comment.id)
            return json_response({"deleted": True, "previous": previous})
        if comment.status == "trash":
            raise WpError(410, "rest_already_trashed", "The comment has already been trashed.")
        self.store.set_comment_status(comment.id, "trash")
        return json_response(render.comment_json(self.store, comment, urls, edit=True))

    # --- feeds ---------------------------------------------------------------------------------

    def _posts_feed(self, req: Request, urls: render.Urls, *, atom: bool) -> Response:
        posts = sorted(
            (p for p in self.store.posts.values() if not p.deleted and p.status == "publish"),
            key=lambda p: (p.date, p.id),
            reverse=True,
        )
        build = max((p.modified for p in self.store.posts.values() if not p.deleted), default=0.0)
        self_url = req.host_url + req.script_name + req.path
        body = (render.posts_atom if atom else render.posts_rss)(
            self.store, posts[:FEED_SIZE], urls, self_url, build
        )
        return self._feed_response(req, body, build, atom)

    def _post_comments_feed(
        self, req: Request, post: WpPost, urls: render.Urls, *, atom: bool
    ) -> Response:
        comments = sorted(
            (
                c
                for c in self.store.comments.values()
                if c.post == post.id and not c.deleted and c.status == "approved"
            ),
            key=lambda c: (c.date, c.id),
            reverse=True,
        )
        build = max([post.modified, *(c.date for c in comments)])
        # As WordPress: the validators follow the newest date only, so an edited comment
        # changes neither (a conditional GET sees it only with the next new comment).
        self_url = req.host_url + req.script_name + req.path
        body = (render.comments_atom if atom else render.comments_rss)(
            self.store, post, comments[:FEED_SIZE], urls, self_url, build
        )
        return self._feed_response(req, body, build, atom)

    def _site_comments_feed(self, req: Request, urls: render.Urls) -> Response:
        # Only the site-wide RSS shape is kept simple: newest approved comments on any post.
        comments = sorted(
            (
                c
                for c in self.store.comments.values()
                if not c.deleted
                and c.status == "approved"
                and self.store.posts[c.post].status == "publish"
                and not self.store.posts[c.post].deleted
            ),
            key=lambda c: (c.date, c.id),
            reverse=True,
        )[:FEED_SIZE]
        build = max((c.date for c in comments), default=0.0)
        items = []
        for c in comments:
            post = self.store.posts[c.post]
            items.append(
                f"\t<item>\n\t\t<title>{render.xml_text('Kommentar till ' + post.title + ' av ' + c.author_name)}</title>\n"
                f"\t\t<link>{render.xml_text(urls.comment_link(post, c))}</link>\n"
                f"\t\t<dc:creator>{render.cdata(c.author_name)}</dc:creator>\n\t\t<pubDate>{render.rfc822(c.date)}</pubDate>\n"
                f'\t\t<guid isPermaLink="false">{render.xml_text(urls.guid(post))}#comment-{c.id}</guid>\n'
                f"\t\t<content:encoded>{render.cdata(render.wpautop(c.content))}</content:encoded>\n\t</item>\n"
            )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n\t{render.RSS_NS}\n\t>\n<channel>\n'
            f"\t<title>{render.xml_text('Kommentarer för ' + self.store.title)}</title>\n"
            f"\t<link>{render.xml_text(urls.home)}</link>\n\t<description>{render.xml_text(self.store.description)}</description>\n"
            f"\t<lastBuildDate>{render.rfc822(build)}</lastBuildDate>\n"
            + "".join(items)
            + "</channel>\n</rss>\n"
        )
        return self._feed_response(req, body, build, False)

    def _feed_response(self, req: Request, body: str, build: float, atom: bool) -> Response:
        """WordPress's send_headers(): ETag and Last-Modified from the build date; 304 when the
        client's validators match (both of them when it sends both)."""
        last_modified = format_datetime(datetime.fromtimestamp(int(build), UTC), usegmt=True)
        etag = '"' + hashlib.md5(last_modified.encode(), usedforsecurity=False).hexdigest() + '"'
        client_etag = req.headers.get("if-none-match", "")
        client_since = req.headers.get("if-modified-since", "")
        try:
            since = parsedate_to_datetime(client_since).timestamp() if client_since else None
        except (TypeError, ValueError):
            since = None
        modified_ok = since is not None and since >= int(build)
        etag_ok = bool(client_etag) and client_etag == etag
        if client_etag and client_since:
            not_modified = etag_ok and modified_ok
        else:
            not_modified = etag_ok or modified_ok
        if not_modified:
            return Response(304, b"", [("ETag", etag), ("Last-Modified", last_modified)])
        content_type = (
            "application/atom+xml; charset=UTF-8" if atom else "application/rss+xml; charset=UTF-8"
        )
        return Response(
            200,
            body.encode("utf-8"),
            [("Content-Type", content_type), ("ETag", etag), ("Last-Modified", last_modified)],
        )


def _parse_wp_date(value: str) -> float:
    """``after`` / ``modified_after``: WordPress's date query compares them with the local
    ``comment_date`` / ``post_modified`` columns, so a date without an offset is site time
    (here fixed at +01:00, as ``store.wp_local`` writes it)."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise WpError(400, "rest_invalid_param", "Invalid parameter(s): after") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC).timestamp() - SITE_OFFSET
    return parsed.timestamp()
