"""Connect the demo organisation's Facebook page, Instagram and Mastodon accounts to the simulator."""

from __future__ import annotations

import json

from django.db import transaction

from insyn.capture.actions import connect_account
from insyn.capture.models import Connection
from insyn.registry import actions
from insyn.registry.models import Account, Platform, User

DEMO_APP_SECRET = "insyn-demo-app-secret"
DEMO_VERIFY_TOKEN = "insyn-demo-verify-token"


@transaction.atomic
def attach_simulator(info: dict) -> list[Account]:
    """``info`` is the JSON line the simulator prints on start (its addresses, ids and tokens)."""
    samordnare = User.objects.get(username="samordnare")
    attached = []
    page = info["pages"][0]
    fb = Account.objects.get(platform=Platform.FACEBOOK_PAGE, handle="alvbykommun")
    if fb.external_id != page["id"]:
        actions.update_account(samordnare, fb, external_id=page["id"])
    connect_account(fb, token=page["token"], base_url=info["graph_url"], actor=samordnare)
    attached.append(fb)

    masto_info = info["mastodon_accounts"][0]
    host = info["mastodon_url"].split("://", 1)[1]
    handle = f"@{masto_info['acct'].split('@')[0]}@{host}"
    masto = Account.objects.get(platform=Platform.MASTODON, name="Älvby kommun på Mastodon")
    if masto.handle != handle or masto.external_id != masto_info["id"]:
        actions.update_account(samordnare, masto, handle=handle, url=f"{info['mastodon_url']}/@{masto_info['acct'].split('@')[0]}",
                               external_id=masto_info["id"])
    connect_account(masto, token=masto_info["token"], base_url=info["mastodon_url"], actor=samordnare)
    attached.append(masto)

    # Instagram is reached through the Graph with the linked Page's token.
    for ig_info in info.get("instagram_accounts", [])[:1]:
        ig = Account.objects.get(platform=Platform.INSTAGRAM, name="Älvby kommun på Instagram")
        if ig.external_id != ig_info["id"]:
            actions.update_account(samordnare, ig, external_id=ig_info["id"])
        connect_account(ig, token=ig_info["token"], base_url=info["graph_url"], actor=samordnare)
        attached.append(ig)
    # YouTube has no comment webhooks: capture polls it, within the channel's daily quota.
    for yt_info in info.get("youtube_channels", [])[:1]:
        yt = Account.objects.get(platform=Platform.YOUTUBE, name="Kulturskolan Älvby")
        if yt.external_id != yt_info["id"]:
            actions.update_account(samordnare, yt, external_id=yt_info["id"])
        # Google's "authorized user" credentials: the client refreshes its hour-long access tokens.
        secret = json.dumps(yt_info["credentials"]) if yt_info.get("credentials") else yt_info["token"]
        connect_account(yt, token=secret, base_url=info["youtube_url"], actor=samordnare)
        attached.append(yt)
    # The blog is read over the WordPress REST API with an application password.
    for blog_info in info.get("blogs", [])[:1]:
        blog = Account.objects.get(platform=Platform.BLOG, name="Älvby kommuns blogg")
        if blog.url != blog_info["url"] + "/" or blog.external_id != str(blog_info["user_id"]):
            actions.update_account(samordnare, blog, url=blog_info["url"] + "/", external_id=str(blog_info["user_id"]))
        connect_account(blog, token=blog_info["token"], base_url=blog_info["url"] + "/wp-json", actor=samordnare)
        attached.append(blog)
    # Bluesky: the app password is the stored credential; the PDS is the simulator's /bluesky.
    for bsky_info in info.get("bluesky_accounts", [])[:1]:
        bsky = Account.objects.get(platform=Platform.BLUESKY, name="Älvby kommun på Bluesky")
        if bsky.handle != bsky_info["handle"] or bsky.external_id != bsky_info["did"]:
            actions.update_account(samordnare, bsky, handle=bsky_info["handle"], external_id=bsky_info["did"],
                                   url=f"https://bsky.app/profile/{bsky_info['handle']}")
        connect_account(bsky, token=bsky_info["app_password"], base_url=info["bluesky_url"], actor=samordnare)
        attached.append(bsky)
    # The simulator is local: poll often so a newcomer sees Mastodon replies within seconds.
    Connection.objects.filter(account__in=attached).update(poll_interval=10, full_pass_interval=600)
    # A YouTube poll costs quota units (docs/platforms/youtube.md): once a minute is plenty.
    Connection.objects.filter(account__in=attached, account__platform=Platform.YOUTUBE).update(poll_interval=60)
    return attached
