"""Connect the demo organisation's Facebook page and Mastodon account to the simulator."""

from __future__ import annotations

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
    # The simulator is local: poll often so a newcomer sees Mastodon replies within seconds.
    Connection.objects.filter(account__in=attached).update(poll_interval=10, full_pass_interval=600)
    return attached
