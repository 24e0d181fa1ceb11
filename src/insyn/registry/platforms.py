"""Which handles and URLs are valid for each platform, and their canonical form.

A register entry whose URL points at another platform, or whose handle cannot exist there,
is refused with a message that says what is expected.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Platform

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _scheme_ok(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    # Plain http only towards this machine (the simulator in the demo and in tests).
    return parts.scheme == "http" and (parts.hostname or "") in _LOCAL_HOSTS


_RULES: dict[str, dict] = {
    Platform.FACEBOOK_PAGE: {
        "hosts": {"facebook.com", "www.facebook.com", "m.facebook.com"},
        "handle": re.compile(r"^[A-Za-z0-9.\-]{3,75}$|^\d{5,20}$"),
        "path": re.compile(r"^/(?:profile\.php)?(?P<handle>[A-Za-z0-9.\-]{3,75})?/?$"),
        "example": "https://www.facebook.com/angekommun",
    },
    Platform.FACEBOOK_GROUP: {
        "hosts": {"facebook.com", "www.facebook.com", "m.facebook.com"},
        "handle": re.compile(r"^[A-Za-z0-9.\-]{3,75}$"),
        "path": re.compile(r"^/groups/(?P<handle>[A-Za-z0-9.\-]{3,75})/?$"),
        "example": "https://www.facebook.com/groups/angeforaldrar",
    },
    Platform.INSTAGRAM: {
        "hosts": {"instagram.com", "www.instagram.com"},
        "handle": re.compile(r"^[A-Za-z0-9._]{1,30}$"),
        "path": re.compile(r"^/(?P<handle>[A-Za-z0-9._]{1,30})/?$"),
        "example": "https://www.instagram.com/angekommun",
    },
    Platform.YOUTUBE: {
        "hosts": {"youtube.com", "www.youtube.com", "m.youtube.com"},
        "handle": re.compile(r"^@[A-Za-z0-9._\-]{3,30}$|^UC[A-Za-z0-9_\-]{22}$"),
        "path": re.compile(r"^/(?:(?P<handle>@[A-Za-z0-9._\-]{3,30})|channel/(?P<channel>UC[A-Za-z0-9_\-]{22}))/?$"),
        "example": "https://www.youtube.com/@angekommun",
    },
    Platform.X: {
        "hosts": {"x.com", "www.x.com", "twitter.com", "www.twitter.com"},
        "handle": re.compile(r"^[A-Za-z0-9_]{1,15}$"),
        "path": re.compile(r"^/(?P<handle>[A-Za-z0-9_]{1,15})/?$"),
        "example": "https://x.com/angekommun",
    },
    Platform.LINKEDIN: {
        "hosts": {"linkedin.com", "www.linkedin.com", "se.linkedin.com"},
        "handle": re.compile(r"^[A-Za-z0-9\-_%]{2,100}$"),
        "path": re.compile(r"^/(?:company|showcase)/(?P<handle>[A-Za-z0-9\-_%]{2,100})/?$"),
        "example": "https://www.linkedin.com/company/ange-kommun",
    },
    Platform.BLUESKY: {
        "hosts": {"bsky.app"},
        "handle": re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$"),
        "path": re.compile(r"^/profile/(?P<handle>[A-Za-z0-9.\-]{3,253})/?$"),
        "example": "https://bsky.app/profile/ange.se",
    },
}

_MASTODON_HANDLE = re.compile(r"^@?(?P<user>[A-Za-z0-9_]{1,30})@(?P<host>[A-Za-z0-9.\-]+(?::\d+)?)$")


def normalise(platform: str, handle: str, url: str) -> tuple[str, str]:
    """Return the canonical (handle, url) or raise ValidationError in Swedish."""
    handle, url = (handle or "").strip(), (url or "").strip()
    if platform == Platform.MASTODON:
        return _normalise_mastodon(handle, url)
    if not _scheme_ok(url):
        raise ValidationError({"url": _("Adressen måste börja med https://.")})
    if platform == Platform.BLOG:
        if not handle:
            handle = _host(url) + urlsplit(url).path.rstrip("/")
        return handle, url
    rule = _RULES.get(platform)
    if rule is None:
        raise ValidationError({"platform": _("Okänd plattform.")})
    if platform != Platform.YOUTUBE and platform != Platform.BLUESKY:
        handle = handle.lstrip("@")
    if platform == Platform.BLUESKY:
        handle = handle.lstrip("@").lower()
    if not rule["handle"].match(handle):
        raise ValidationError(
            {"handle": _("Användarnamnet %(handle)s är inte giltigt för %(platform)s.")
             % {"handle": handle, "platform": Platform(platform).label}}
        )
    if _host(url) not in rule["hosts"]:
        raise ValidationError(
            {"url": _("Adressen hör inte till %(platform)s. Exempel: %(example)s")
             % {"platform": Platform(platform).label, "example": rule["example"]}}
        )
    parts = urlsplit(url)
    match = rule["path"].match(parts.path)
    if not match:
        raise ValidationError({"url": _("Adressen har fel form. Exempel: %(example)s") % {"example": rule["example"]}})
    url_handle = match.groupdict().get("handle") or match.groupdict().get("channel")
    if platform == Platform.FACEBOOK_PAGE and parts.path.startswith("/profile.php"):
        url_handle = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get("id")
    if url_handle and url_handle.lower() != handle.lower():
        raise ValidationError(
            {"handle": _("Användarnamnet stämmer inte med adressen (%(url_handle)s).") % {"url_handle": url_handle}}
        )
    return handle, url


def _normalise_mastodon(handle: str, url: str) -> tuple[str, str]:
    match = _MASTODON_HANDLE.match(handle)
    if not match:
        raise ValidationError({"handle": _("Ange Mastodon-kontot som @namn@server, t.ex. @angekommun@mastodon.nu.")})
    user, host = match["user"], match["host"].lower()
    if not _scheme_ok(url):
        raise ValidationError({"url": _("Adressen måste börja med https://.")})
    parts = urlsplit(url)
    netloc = parts.netloc.lower()
    if netloc != host or parts.path.rstrip("/") not in (f"/@{user}", f"/users/{user}"):
        raise ValidationError({"url": _("Adressen ska vara kontots sida, t.ex. https://%(host)s/@%(user)s") % {"host": host, "user": user}})
    return f"@{user}@{host}", f"{parts.scheme}://{netloc}/@{user}"
