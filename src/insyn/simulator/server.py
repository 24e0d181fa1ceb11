"""The Simulator (world + apps + scenario + webhooks) and the servers that run it.

One Simulator serves:
- the Graph API at the root of its main port (`/v23.0/...`, unversioned too), Instagram
  professional accounts included (they are Graph nodes, reached with their Page's token),
- the control API at `/_sim/` on the main port,
- the Mastodon API at the root of its own port (a plain instance URL), and also
  under `/mastodon` on the main port for tools that want one address.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import asdict, dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .blog import BlogSite
from .bluesky import BlueskyAccountInfo, BlueskySim
from .clock import Clock
from .control import ControlApp
from .faults import FaultInjector, FaultRule, RateMeter, fault_from_json
from .graph import DEFAULT_VERSION, GraphApp
from .mastodon import MastodonApp
from .scenario import Scenario, ScenarioConfig
from .store import FbUser, NotFound, SimEvent, Token, World
from .webhooks import Delivery, WebhookConfig, WebhookDispatcher
from .youtube import YouTubeApp, YouTubeScenario

log = logging.getLogger("insyn.simulator")

WORLD_FILE = "world.json"


@dataclass
class PageInfo:
    page_id: str
    name: str
    username: str
    token: str


@dataclass
class InstagramInfo:
    ig_user_id: str
    username: str
    page_id: str
    token: str  # the linked Page's access token


@dataclass
class YouTubeChannelInfo:
    channel_id: str
    title: str
    handle: str
    token: str  # an OAuth 2 access token for the channel (valid until revoked)
    client_id: str = ""  # an OAuth client and refresh token for it, for the token endpoint
    client_secret: str = ""
    refresh_token: str = ""


@dataclass
class AccountInfo:
    account_id: str
    username: str
    acct: str
    display_name: str
    token: str | None


class Simulator:
    """The simulated platforms. Thread-safe; drive it from Python or over /_sim/."""

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Clock | None = None,
        data_dir: str | os.PathLike | None = None,
        webhook: WebhookConfig | None = None,
        scenario: ScenarioConfig | None = None,
        graph_hourly_limit: int = 4800,
        mastodon_limit: int = 300,
        mastodon_period: float = 300.0,
        app_id: str = "1",
        youtube_daily_quota: int = 10_000,
    ) -> None:
        self.data_dir = os.fspath(data_dir) if data_dir is not None else None
        path = self.world_path
        if path and os.path.exists(path):
            self.world = World.load(path)
        else:
            self.world = World(seed=seed, clock=clock)
        self.seed = self.world.seed
        self.faults = FaultInjector(self.seed)
        self.graph_meter = RateMeter(graph_hourly_limit, 3600.0)
        self.mastodon_meter = RateMeter(mastodon_limit, mastodon_period)
        self.mastodon_delete_meter = RateMeter(30, 1800.0)
        self.webhooks = WebhookDispatcher(webhook)
        self.world.subscribe(self.webhooks.on_event)
        self.graph = GraphApp(self.world, self.faults, self.graph_meter, app_id=app_id)
        self.mastodon = MastodonApp(
            self.world, self.faults, self.mastodon_meter, self.mastodon_delete_meter
        )
        self.control = ControlApp(self)
        self.scenario = Scenario(self.world, seed=self.seed, config=scenario)
        # YouTube keeps its records in world.meta["youtube"], saved with the world.
        self.youtube = YouTubeApp(self.world, self.faults, daily_quota=youtube_daily_quota)
        self.youtube_scenario = YouTubeScenario(self.world, self.youtube.store, seed=self.seed, config=scenario)
        # Bluesky keeps its own tables and file (bluesky.json) beside the world's.
        self.bluesky = BlueskySim(
            self.world, self.faults, seed=self.seed, data_dir=self.data_dir, config=scenario
        )
        # The blog (WordPress REST API + feeds) keeps its own file (blog.json) beside the world's.
        self.blog = BlogSite(self.world, self.faults, seed=self.seed, data_dir=self.data_dir)
        self._save_lock = threading.Lock()

    # --- setting up a world -----------------------------------------------------------

    @property
    def world_path(self) -> str | None:
        return os.path.join(self.data_dir, WORLD_FILE) if self.data_dir else None

    def create_page(
        self, name: str = "Norrvik kommun", *, page_id: str | None = None, token: str | None = None
    ) -> PageInfo:
        """A Facebook Page and a valid Page access token for it."""
        with self.world.lock:
            page = self.world.create_page(name, page_id=str(page_id) if page_id else None)
            record = self.world.create_token("graph", page.id, token)
            return PageInfo(page.id, page.name, page.username, record.token)

    def create_mastodon_account(
        self,
        username: str,
        display_name: str | None = None,
        *,
        token: str | None = None,
        kommun: bool = True,
        domain: str | None = None,
    ) -> AccountInfo:
        """A Mastodon account; a kommun account (the default) gets a token and the scenario's attention."""
        with self.world.lock:
            account = self.world.create_maccount(
                username,
                display_name or username,
                domain=domain,
                note="Officiellt konto." if kommun else "",
            )
            record = (
                self.world.create_token("mastodon", account.id, token)
                if (kommun or token)
                else None
            )
            if kommun:
                self.world.meta.setdefault("kommun_accounts", []).append(account.id)
            return AccountInfo(
                account.id,
                account.username,
                account.acct,
                account.display_name,
                record.token if record else None,
            )

    def create_bluesky_account(
        self, handle: str, display_name: str | None = None, *, app_password: str | None = None
    ) -> BlueskyAccountInfo:
        """A kommun's Bluesky account with an app password (the scenario's target)."""
        return self.bluesky.create_account(handle, display_name, app_password=app_password)

    def create_youtube_channel(self, title: str, *, handle: str | None = None, token: str | None = None,
                               channel_id: str | None = None) -> YouTubeChannelInfo:
        """A kommun's YouTube channel and an OAuth access token for it (the scenario's target)."""
        with self.world.lock:
            channel = self.youtube.store.create_channel(title, handle=handle, channel_id=channel_id)
            # the token from YouTube's own id stream, so the Graph and Mastodon ids stay as they were
            record = self.world.create_token("youtube", channel["id"], token or self.youtube.store.new_token())
            grant = self.youtube.store.create_oauth_client(channel["id"])
            return YouTubeChannelInfo(channel["id"], channel["title"], channel["handle"], record.token, **grant)

    def create_user(self, name: str) -> FbUser:
        return self.world.create_user(name)

    def create_instagram_account(self, page_id: str, username: str, name: str = "") -> InstagramInfo:
        """An Instagram professional account linked to a Page; the Page's token reaches it."""
        with self.world.lock:
            account = self.world.create_ig_account(str(page_id), username, name)
            token = next(t.token for t in self.world.tokens.values()
                         if t.subject_id == account.page_id and t.platform == "graph")
            return InstagramInfo(account.id, account.username, account.page_id, token)

    def seed_default_world(
        self,
        *,
        name: str = "Norrvik kommun",
        mastodon_username: str = "norrvikskommun",
        history_days: int = 3,
        page_token: str | None = None,
        mastodon_token: str | None = None,
        instagram_username: str | None = None,
        bluesky_handle: str | None = None,
        youtube_title: str | None = None,
        youtube_token: str | None = None,
    ) -> dict:
        """A kommun with a Facebook Page and a Mastodon account (and, when a username is
        given, an Instagram account linked to the Page), and a few days of history."""
        page = self.create_page(name, token=page_token)
        account = self.create_mastodon_account(mastodon_username, name, token=mastodon_token)
        instagram = self.create_instagram_account(page.page_id, instagram_username, name) if instagram_username else None
        bluesky = self.create_bluesky_account(bluesky_handle, name) if bluesky_handle else None
        youtube = self.create_youtube_channel(youtube_title, token=youtube_token) if youtube_title else None
        if history_days:
            self.scenario.seed_history(history_days)
            self.bluesky.seed_history(history_days)
            self.youtube_scenario.seed_history(history_days)
        info = {"page": asdict(page), "mastodon_account": asdict(account)}
        if bluesky is not None:
            info["bluesky_account"] = asdict(bluesky)
        if instagram is not None:
            info["instagram_account"] = asdict(instagram)
        if youtube is not None:
            info["youtube_channel"] = asdict(youtube)
        if not self.blog.store.users:
            info["blog"] = self.blog.seed_default(name, history_days=history_days)
        return info

    # --- driving it -------------------------------------------------------------------

    def tick(self, n: int = 1) -> list[SimEvent]:
        events: list[SimEvent] = []
        for _ in range(max(0, n)):
            events.extend(self.scenario.tick())
            mark = self.world.seq
            self.bluesky.tick()
            self.blog.tick()  # no events: blogs have no webhooks
            self.youtube_scenario.tick()  # no events: YouTube has no comment webhooks
            events.extend(self.events(mark))
        return events

    def events(self, since_seq: int = 0) -> list[SimEvent]:
        with self.world.lock:
            return [e for e in self.world.events if e.seq > since_seq]

    def set_token_state(self, token: str, state: str) -> Token:
        return self.world.set_token_state(token, state)

    def add_fault(self, kind: str, **options: Any) -> FaultRule:
        """Inject a fault, e.g. add_fault("http_error", platform="graph", status=503, count=2)."""
        return self.faults.add(fault_from_json({"kind": kind, **options}))

    def clear_faults(self) -> None:
        self.faults.clear()

    def configure_webhook(self, config: WebhookConfig | None) -> None:
        self.webhooks.configure(config)

    def deliver_webhooks(self, *, wait_for_retries: bool = False) -> list[Delivery]:
        return self.webhooks.flush(wait_for_retries=wait_for_retries)

    def verify_webhook(self) -> dict:
        return self.webhooks.verify()

    def act(self, action: str, **p: Any) -> dict:
        """One named thing happening on a platform, for tests and demos that need it exactly."""
        w = self.world
        with w.lock:
            if action == "post":
                post = w.create_post(
                    str(p["page_id"]), str(p.get("message", "")), from_id=p.get("from_id")
                )
                return {"id": post.id}
            if action == "comment":
                author = (
                    p.get("from_id") or w.create_user(str(p.get("from_name", "Anna Andersson"))).id
                )
                comment = w.add_comment(str(p["object_id"]), str(author), str(p.get("message", "")))
                return {"id": comment.id, "from_id": author}
            if action == "edit_comment":
                return {"id": w.edit_comment(str(p["comment_id"]), str(p["message"])).id}
            if action == "delete_comment":
                return {"id": w.delete_comment(str(p["comment_id"])).id}
            if action == "hide_comment":
                return {
                    "id": w.set_comment_hidden(str(p["comment_id"]), bool(p.get("hidden", True))).id
                }
            if action == "edit_post":
                return {"id": w.edit_post(str(p["post_id"]), str(p["message"])).id}
            if action == "delete_post":
                return {"id": w.delete_post(str(p["post_id"])).id}
            if action == "reaction":
                w.react(str(p["object_id"]), str(p["from_id"]), str(p.get("reaction_type", "like")))
                return {}
            if action == "message":
                user_id = (
                    p.get("user_id") or w.create_user(str(p.get("user_name", "Anna Andersson"))).id
                )
                message = w.send_message(
                    str(p["page_id"]),
                    str(user_id),
                    str(p.get("text", "")),
                    from_page=bool(p.get("from_page", False)),
                )
                return {
                    "id": message.id,
                    "conversation_id": message.conversation_id,
                    "user_id": user_id,
                }
            if action.startswith("yt_"):
                return self._act_youtube(action, p)
            if action.startswith("ig_"):
                return self._act_instagram(action, p)
            if action == "mastodon_account":
                info = self.create_mastodon_account(
                    str(p["username"]), p.get("display_name"), kommun=False, domain=p.get("domain")
                )
                return asdict(info)
            if action == "status":
                status = w.create_status(
                    str(p["account_id"]),
                    str(p.get("text", "")),
                    visibility=str(p.get("visibility", "public")),
                    in_reply_to_id=p.get("in_reply_to_id"),
                    spoiler_text=str(p.get("spoiler_text", "")),
                )
                return {"id": status.id}
            if action == "edit_status":
                return {"id": w.edit_status(str(p["status_id"]), str(p["text"])).id}
            if action == "delete_status":
                return {"id": w.delete_status(str(p["status_id"])).id}
            if action == "favourite":
                return {"id": w.favourite(str(p["account_id"]), str(p["status_id"])).id}
            if action == "reblog":
                return {"id": w.reblog(str(p["account_id"]), str(p["status_id"])).id}
        raise NotFound(f"action {action}")

    def _act_youtube(self, action: str, p: dict) -> dict:
        store = self.youtube.store
        if action == "yt_video":
            video = store.upload(str(p["channel_id"]), str(p.get("title", "")), str(p.get("description", "")),
                                 comments_disabled=bool(p.get("comments_disabled", False)))
            return {"id": video["id"]}
        if action in ("yt_comment", "yt_reply"):
            author = p.get("author_id") or store.create_user(str(p.get("name", "Anna Andersson")))["id"]
            status = str(p.get("status", "published"))
            if action == "yt_comment":
                comment = store.comment(str(p["video_id"]), str(author), str(p.get("text", "")), status=status)
            else:
                comment = store.reply(str(p["parent_id"]), str(author), str(p.get("text", "")), status=status)
            return {"id": comment["id"], "author_id": author}
        if action == "yt_edit":
            return {"id": store.edit(str(p["comment_id"]), str(p["text"]))["id"]}
        if action == "yt_delete":
            return {"id": store.delete(str(p["comment_id"]))["id"]}
        if action == "yt_moderate":
            return {"id": store.set_status(str(p["comment_id"]), str(p["status"]))["id"]}
        if action == "yt_delete_video":
            return {"id": store.delete_video(str(p["video_id"]))["id"]}
        raise NotFound(f"action {action}")

    def _act_instagram(self, action: str, p: dict) -> dict:
        w = self.world
        if action == "ig_media":
            media = w.create_media(str(p["ig_user_id"]), str(p.get("caption", "")),
                                   media_type=str(p.get("media_type", "IMAGE")))
            return {"id": media.id}
        if action == "ig_comment":
            author = p.get("from_id") or w.create_ig_person(str(p.get("username", "anna.anders1")),
                                                            str(p.get("name", "Anna Andersson"))).id
            comment = w.add_ig_comment(str(p["object_id"]), str(author), str(p.get("text", "")))
            return {"id": comment.id, "from_id": author}
        if action == "ig_delete_comment":
            return {"id": w.delete_ig_comment(str(p["comment_id"])).id}
        if action == "ig_hide_comment":
            return {"id": w.set_ig_comment_hidden(str(p["comment_id"]), bool(p.get("hidden", True))).id}
        if action == "ig_edit_caption":
            return {"id": w.edit_caption(str(p["media_id"]), str(p["caption"])).id}
        if action == "ig_delete_media":
            return {"id": w.delete_media(str(p["media_id"])).id}
        if action == "ig_message":
            person = p.get("person_id") or w.create_ig_person(str(p.get("username", "anna.anders1")),
                                                              str(p.get("name", "Anna Andersson"))).id
            message = w.send_ig_message(str(p["ig_user_id"]), str(person), str(p.get("text", "")),
                                        from_business=bool(p.get("from_business", False)))
            return {"id": message.id, "person_id": person}
        if action == "ig_unsend":
            return {"id": w.unsend_ig_message(str(p["mid"])).id}
        raise NotFound(f"action {action}")

    # --- looking at it ----------------------------------------------------------------

    def state(self, *, full: bool = False) -> dict:
        w = self.world
        with w.lock:
            data: dict[str, Any] = {
                "seed": w.seed,
                "now": w.now(),
                "clock": w.clock.to_json(),
                "tick_count": w.tick_count,
                "counts": w.counts(),
                "graph_version": DEFAULT_VERSION,
                "pages": [
                    {
                        **asdict(page),
                        "tokens": [asdict(t) for t in w.tokens.values() if t.subject_id == page.id],
                    }
                    for page in w.pages.values()
                ],
                "mastodon_accounts": [
                    {
                        "id": a.id,
                        "username": a.username,
                        "acct": a.acct,
                        "display_name": a.display_name,
                        "tokens": [asdict(t) for t in w.tokens.values() if t.subject_id == a.id],
                    }
                    for a in (
                        w.maccounts[i]
                        for i in w.meta.get("kommun_accounts", [])
                        if i in w.maccounts
                    )
                ],
                "instagram_accounts": [
                    {
                        "id": a.id,
                        "username": a.username,
                        "page_id": a.page_id,
                        "tokens": [asdict(t) for t in w.tokens.values() if t.subject_id == a.page_id],
                    }
                    for a in w.ig_business_accounts()
                ],
                "bluesky": self.bluesky.state(),
                "blog": self.blog.state(),
                "youtube_channels": [
                    {**c, "tokens": [asdict(t) for t in w.tokens.values() if t.subject_id == c["id"]]}
                    for c in self.youtube.store.kommun_channels()
                ],
                "youtube_counts": self.youtube.store.counts(),
                "faults": [r.to_json() for r in self.faults.rules()],
                "webhooks": {
                    "configured": self.webhooks.config is not None,
                    "pending": self.webhooks.pending_count(),
                },
            }
            if full:
                data["world"] = w.to_json()
            return data

    def save(self) -> str | None:
        path = self.world_path
        if path is None:
            return None
        with self._save_lock:
            self.world.save(path)
            self.bluesky.save()
            self.blog.save()
        return path

    # --- WSGI -------------------------------------------------------------------------

    def wsgi_app(self, environ: dict, start_response):
        """The main port: Graph API at /, control at /_sim, Mastodon also at /mastodon."""
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app in (
            ("/_sim/bluesky", self.bluesky.control),
            ("/_sim", self.control),
            ("/mastodon", self.mastodon),
            ("/bluesky", self.bluesky.app),
            ("/blog", self.blog.app),
        ):
            if path == prefix or path.startswith(prefix + "/"):
                environ = dict(environ)
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
                return app(environ, start_response)
        if path.startswith("/youtube/"):  # the Data API's own paths, /youtube/v3/...
            return self.youtube(environ, start_response)
        return self.graph(environ, start_response)

    def mastodon_wsgi_app(self, environ: dict, start_response):
        return self.mastodon(environ, start_response)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)


@dataclass
class SimulatorHandle:
    """A running simulator: its addresses and the way to stop it."""

    simulator: Simulator
    url: str
    graph_url: str
    mastodon_url: str
    _servers: list
    _threads: list
    _stop: threading.Event

    @property
    def graph_version_url(self) -> str:
        return f"{self.graph_url}/{DEFAULT_VERSION}"

    @property
    def youtube_url(self) -> str:
        """The Data API root, as https://www.googleapis.com (methods under ``/youtube/v3/``)."""
        return self.url

    @property
    def blog_url(self) -> str:
        """The simulated WordPress site's home URL (REST API under ``/wp-json``, feed at ``/feed/``)."""
        return f"{self.url}/blog"

    @property
    def bluesky_url(self) -> str:
        """The simulated PDS's base URL (XRPC methods under ``/xrpc/``)."""
        return f"{self.url}/bluesky"

    @property
    def control_url(self) -> str:
        return f"{self.url}/_sim"

    def stop(self) -> None:
        self._stop.set()
        self.simulator.webhooks.stop()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.simulator.save()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve(host: str, port: int, app) -> tuple[WSGIServer, threading.Thread]:
    server = make_server(
        host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        daemon=True,
        name=f"insyn-sim-{server.server_port}",
    )
    thread.start()
    return server, thread


def start_in_thread(
    simulator: Simulator | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    mastodon_port: int = 0,
    tick_seconds: float | None = None,
    auto_webhooks: bool | None = None,
    **simulator_options: Any,
) -> SimulatorHandle:
    """Serve a simulator on background threads (port 0: any free port).

    tick_seconds: run the scenario every so many seconds (None: only when told).
    auto_webhooks: deliver webhooks from a background thread (default: when a webhook
    is configured and the scenario ticks on its own); otherwise call deliver_webhooks().
    """
    sim = simulator or Simulator(**simulator_options)
    main_server, main_thread = _serve(host, port, sim.wsgi_app)
    masto_server, masto_thread = _serve(host, mastodon_port, sim.mastodon_wsgi_app)
    stop = threading.Event()
    threads = [main_thread, masto_thread]
    if auto_webhooks is None:
        auto_webhooks = tick_seconds is not None and sim.webhooks.config is not None
    if auto_webhooks:
        sim.webhooks.start()
    housekeeping = threading.Thread(
        target=_housekeeping, args=(sim, tick_seconds, stop), daemon=True, name="insyn-sim-ticker"
    )
    housekeeping.start()
    threads.append(housekeeping)
    display_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{display_host}:{main_server.server_port}"
    return SimulatorHandle(
        sim,
        url,
        url,
        f"http://{display_host}:{masto_server.server_port}",
        [main_server, masto_server],
        threads,
        stop,
    )


def _housekeeping(sim: Simulator, tick_seconds: float | None, stop: threading.Event) -> None:
    next_tick = time.monotonic() + tick_seconds if tick_seconds else None
    last_save = 0.0
    interval = min(0.2, tick_seconds) if tick_seconds else 0.2
    while not stop.wait(interval):
        if next_tick is not None and time.monotonic() >= next_tick:
            try:
                sim.tick()
            except Exception:  # noqa: BLE001 - the demo keeps running; the error is logged
                log.exception("scenario tick failed")
            next_tick = time.monotonic() + tick_seconds  # type: ignore[operator]
        if (sim.world.dirty or sim.blog.dirty) and sim.world_path and time.monotonic() - last_save >= 1.0:
            last_save = time.monotonic()
            try:
                sim.save()
            except OSError:
                log.exception("saving the simulated world failed")
