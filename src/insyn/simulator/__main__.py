"""python -m insyn.simulator --port 8765 [--webhook-url URL --app-secret S --verify-token T]
[--tick-seconds 5] [--seed N] [--data-dir DIR]

Runs the simulated Graph API and Mastodon instance until interrupted, printing
one JSON line with the addresses, the page and account ids and their tokens.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from .server import Simulator, start_in_thread
from .webhooks import WebhookConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m insyn.simulator", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=8765, help="Graph API and /_sim/ (0: any free port)"
    )
    parser.add_argument(
        "--mastodon-port", type=int, default=None, help="Mastodon instance (default: --port + 1)"
    )
    parser.add_argument("--webhook-url", help="callback URL for Page webhooks (feed, messages)")
    parser.add_argument(
        "--app-secret", default="simulator-app-secret", help="signs X-Hub-Signature-256"
    )
    parser.add_argument("--verify-token", default="", help="hub.verify_token for the handshake")
    parser.add_argument(
        "--verify", action="store_true", help="run the hub.challenge handshake at start"
    )
    parser.add_argument(
        "--tick-seconds", type=float, default=5.0, help="scenario tick interval (0: never)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", help="keep the world in DIR/world.json across restarts")
    parser.add_argument(
        "--kommun", default="Norrvik kommun", help="name of the simulated municipality"
    )
    parser.add_argument("--mastodon-username", default="norrvikskommun")
    parser.add_argument(
        "--bluesky-handle",
        default="norrvikskommun.bsky.social",
        help="the kommun's Bluesky handle ('' for none)",
    )
    parser.add_argument(
        "--instagram-username",
        default="norrvikskommun",
        help="Instagram account linked to the Page ('' for none)",
    )
    parser.add_argument(
        "--instagram-webhook-url", help="callback URL for Instagram webhooks (default: --webhook-url)"
    )
    parser.add_argument(
        "--youtube-title",
        default="Kulturskolan",
        help="title of the kommun's YouTube channel ('' for none)",
    )
    parser.add_argument(
        "--page-token", help="use this Page access token instead of a generated one"
    )
    parser.add_argument(
        "--mastodon-token", help="use this Mastodon access token instead of a generated one"
    )
    parser.add_argument(
        "--history-days", type=int, default=3, help="days of past traffic in a new world"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
    )
    webhook = (
        WebhookConfig(
            args.webhook_url,
            args.app_secret,
            args.verify_token,
            instagram_url=args.instagram_webhook_url,
        )
        if args.webhook_url
        else None
    )
    sim = Simulator(seed=args.seed, data_dir=args.data_dir, webhook=webhook)
    if not sim.world.pages and not sim.world.maccounts:
        sim.seed_default_world(
            name=args.kommun,
            mastodon_username=args.mastodon_username,
            history_days=args.history_days,
            page_token=args.page_token,
            mastodon_token=args.mastodon_token,
            instagram_username=args.instagram_username or None,
            bluesky_handle=args.bluesky_handle or None,
            youtube_title=args.youtube_title or None,
        )
    elif args.bluesky_handle and not sim.bluesky.store.kommun_actors():
        # A world kept from before Bluesky was simulated gets its account now.
        sim.create_bluesky_account(args.bluesky_handle, args.kommun)
        sim.bluesky.seed_history(args.history_days)
    if args.instagram_username and sim.world.pages and not sim.world.ig_business_accounts():
        # A world kept from before Instagram was simulated: link an account to its Page.
        sim.create_instagram_account(sorted(sim.world.pages)[0], args.instagram_username, args.kommun)
    if not sim.blog.store.users:
        # A world kept from before the blog was simulated gets its blog now.
        sim.blog.seed_default(args.kommun, history_days=args.history_days)
    if args.youtube_title and not sim.youtube.store.kommun_channels():
        # A world kept from before YouTube was simulated gets its channel now.
        sim.create_youtube_channel(args.youtube_title)
        sim.youtube_scenario.seed_history(args.history_days)
    mastodon_port = (
        args.mastodon_port
        if args.mastodon_port is not None
        else (args.port + 1 if args.port else 0)
    )
    handle = start_in_thread(
        sim,
        host=args.host,
        port=args.port,
        mastodon_port=mastodon_port,
        tick_seconds=args.tick_seconds or None,
        auto_webhooks=webhook is not None,
    )
    state = sim.state()
    print(
        json.dumps(
            {
                "graph_url": handle.graph_url,
                "graph_version_url": handle.graph_version_url,
                "mastodon_url": handle.mastodon_url,
                "bluesky_url": handle.bluesky_url,
                "youtube_url": handle.youtube_url,
                "blog_url": handle.blog_url,
                "control_url": handle.control_url,
                "pages": [
                    {
                        "id": p["id"],
                        "name": p["name"],
                        "token": p["tokens"][0]["token"] if p["tokens"] else None,
                    }
                    for p in state["pages"]
                ],
                "mastodon_accounts": [
                    {
                        "id": a["id"],
                        "acct": a["acct"],
                        "token": a["tokens"][0]["token"] if a["tokens"] else None,
                    }
                    for a in state["mastodon_accounts"]
                ],
                "bluesky_accounts": [
                    {
                        "did": a["did"],
                        "handle": a["handle"],
                        "app_password": a["app_passwords"][0] if a["app_passwords"] else None,
                    }
                    for a in state["bluesky"]["accounts"]
                ],
                "youtube_channels": [
                    {
                        "id": c["id"],
                        "title": c["title"],
                        "handle": c["handle"],
                        "token": c["tokens"][0]["token"] if c["tokens"] else None,
                        "credentials": sim.youtube.credentials(c["id"], handle.youtube_url),
                    }
                    for c in state["youtube_channels"]
                ],
                "blogs": [
                    {"url": handle.blog_url, "user_id": u["id"], "username": u["username"],
                     "token": next((t.token for t in sim.world.tokens.values()
                                    if t.platform == "blog" and t.subject_id == str(u["id"])), None)}
                    for u in state["blog"]["users"][:1]
                ],
                "instagram_accounts": [
                    {
                        "id": a["id"],
                        "username": a["username"],
                        "page_id": a["page_id"],
                        "token": a["tokens"][0]["token"] if a["tokens"] else None,
                    }
                    for a in state["instagram_accounts"]
                ],
            },
            ensure_ascii=False,
        ),
        flush=True,
    )
    if args.verify and webhook is not None:
        print(json.dumps({"webhook_verification": sim.verify_webhook()}), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
