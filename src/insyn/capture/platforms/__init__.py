"""One module per platform, chosen through a plain dict of dotted paths and imported lazily."""

from __future__ import annotations

from importlib import import_module

from .base import Platform

PLATFORMS: dict[str, str] = {
    "facebook_page": "insyn.capture.platforms.facebook.FacebookPage",
    "mastodon": "insyn.capture.platforms.mastodon.Mastodon",
    "bluesky": "insyn.capture.platforms.bluesky.Bluesky",
    "blog": "insyn.capture.platforms.blog.Blog",
    "youtube": "insyn.capture.platforms.youtube.YouTube",
    "instagram": "insyn.capture.platforms.instagram.Instagram",
}


def platform_class(name: str) -> type[Platform]:
    try:
        dotted = PLATFORMS[name]
    except KeyError:
        raise LookupError(f"no capture module for platform {name!r}") from None
    module, _, attr = dotted.rpartition(".")
    return getattr(import_module(module), attr)
