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
        WebhookConfig(args.webhook_url, args.app_secret, args.verify_token)
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
        )
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
