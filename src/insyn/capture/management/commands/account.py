from __future__ import annotations

import argparse

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from insyn.capture import actions as capture_actions
from insyn.registry import actions
from insyn.registry.models import Account, Authority, Organisation, Platform, Unit

DEFAULT_TEXT = "Registrerat från kommandoraden – komplettera i förteckningen."
# Everyday names accepted on the command line for the register's platform codes.
PLATFORM_ALIASES = {"facebook": Platform.FACEBOOK_PAGE, "fb": Platform.FACEBOOK_PAGE, "twitter": Platform.X,
                    "wordpress": Platform.BLOG, "rss": Platform.BLOG}
# What --external-id, --token and --base-url are on each platform (docs/capture.md and docs/platforms/).
ADD_EPILOG = """what each platform needs:
  facebook_page  --external-id the Page id, --token a Page access token
  mastodon       --handle @name@server, --external-id the account id, --token an access token
                 (base URL: the handle's server)
  instagram      --external-id the Instagram user id (ig-user-id, not the @name), --token the linked
                 Facebook Page's access token (docs/platforms/instagram.md)
  youtube        --handle @channel, --external-id the channel id (UC...), --token Google's
                 authorized-user credentials JSON {client_id, client_secret, refresh_token}
                 (docs/platforms/youtube.md)
  bluesky        --handle name.bsky.social, --external-id the DID (did:plc:...), --token an app
                 password, never the account's password (docs/platforms/bluesky.md)
  blog           --handle the blog's host (blogg.example.se), --token user:application-password with
                 --base-url https://blogg.example.se/wp-json (WordPress REST API), or --token - for
                 the feed (default: the blog's /feed/); --external-id optional (docs/platforms/blog.md)
"""


class Command(BaseCommand):
    help = "Register and connect accounts from the command line: `insyn account add ...`, `insyn account list`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register an account and connect it for capture", epilog=ADD_EPILOG,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        add.add_argument("--platform", required=True, type=lambda v: PLATFORM_ALIASES.get(v.lower(), v.lower()),
                         choices=Platform.values, help="facebook_page (or facebook), mastodon, instagram, …")
        add.add_argument("--external-id", default="", help="the platform's id for the account (see below; "
                         "optional only for a blog)")
        add.add_argument("--handle", required=True)
        add.add_argument("--token", required=True, help="access token, app password or credentials (stored "
                         "encrypted; see below)")
        add.add_argument("--base-url", default="", help="API root; default per platform (Mastodon: the handle's server)")
        add.add_argument("--unit", help="unit name (default: the only unit)")
        add.add_argument("--name", help="display name (default: the handle)")
        add.add_argument("--url", help="the account's page (default derived from platform and handle)")
        add.add_argument("--organisation", default="Min organisation", help="used only when no organisation exists yet")
        add.add_argument("--kansli-email", default="kommunkansliet@localhost")
        sub.add_parser("list", help="accounts and their capture status")

    def handle(self, *args, action, **options):
        if action == "list":
            for account in Account.objects.select_related("connection").order_by("pk"):
                status = getattr(getattr(account, "connection", None), "status", "ej ansluten")
                self.stdout.write(f"{account.pk:>4}  {account.platform:<15} {account.handle:<40} {account.status:<11} {status}")
            return
        try:
            account = self._add(**options)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                               if hasattr(exc, "error_dict") else " ".join(exc.messages)) from exc
        self.stdout.write(f"Konto {account.pk} registrerat och anslutet: {account.handle} ({account.get_platform_display()}).")

    @transaction.atomic
    def _add(self, *, platform, external_id, handle, token, base_url, unit, name, url, organisation, kansli_email, **_):
        if not Organisation.objects.exists():
            actions.load_policy_file()
            org = actions.create_organisation(organisation, kansli_email, actor="cli")
            authority = actions.create_authority(org, organisation, Authority.Kind.STYRELSE, "KS", actor="cli")
            actions.create_unit(authority, organisation, Unit.Kind.FORVALTNING, actor="cli")
        units = Unit.objects.select_related("authority__organisation")
        if unit:
            units = units.filter(name=unit)
        if units.count() != 1:
            raise CommandError("Ange --unit med enhetens namn." if not unit else f"Enheten {unit!r} finns inte (eller finns flera gånger).")
        the_unit = units.get()
        if not external_id and platform != Platform.BLOG:
            raise CommandError("Ange --external-id: plattformens id för kontot (se insyn account add --help).")
        account = actions.register_account_from_cli(
            unit=the_unit, platform=platform, handle=handle, url=url or _default_url(platform, handle),
            name=name or handle, external_id=external_id, text=DEFAULT_TEXT,
        )
        capture_actions.connect_account(account, token=token, base_url=base_url, actor="cli")
        return account


def _default_url(platform: str, handle: str) -> str:
    h = handle.lstrip("@")
    if platform == Platform.MASTODON and "@" in h:
        user, host = h.split("@", 1)
        scheme = "http" if host.split(":")[0] in ("127.0.0.1", "localhost") else "https"
        return f"{scheme}://{host}/@{user}"
    return {
        Platform.BLOG: f"https://{h.rstrip('/')}/",
        Platform.FACEBOOK_PAGE: f"https://www.facebook.com/{h}",
        Platform.FACEBOOK_GROUP: f"https://www.facebook.com/groups/{h}",
        Platform.INSTAGRAM: f"https://www.instagram.com/{h}",
        Platform.YOUTUBE: f"https://www.youtube.com/{handle}",
        Platform.X: f"https://x.com/{h}",
        Platform.BLUESKY: f"https://bsky.app/profile/{h}",
        Platform.LINKEDIN: f"https://www.linkedin.com/company/{h}",
    }.get(platform, handle)
