from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from insyn.registry.platforms import normalise


@pytest.mark.parametrize("platform,handle,url,expected", [
    ("facebook_page", "angekommun", "https://www.facebook.com/angekommun/", ("angekommun", "https://www.facebook.com/angekommun/")),
    ("facebook_group", "foraldrar", "https://www.facebook.com/groups/foraldrar", ("foraldrar", "https://www.facebook.com/groups/foraldrar")),
    ("instagram", "@ange.kommun", "https://www.instagram.com/ange.kommun", ("ange.kommun", "https://www.instagram.com/ange.kommun")),
    ("youtube", "@angekommun", "https://www.youtube.com/@angekommun", ("@angekommun", "https://www.youtube.com/@angekommun")),
    ("x", "@angekommun", "https://twitter.com/angekommun", ("angekommun", "https://twitter.com/angekommun")),
    ("mastodon", "angekommun@Mastodon.nu", "https://mastodon.nu/@angekommun", ("@angekommun@mastodon.nu", "https://mastodon.nu/@angekommun")),
    ("mastodon", "@kommun@127.0.0.1:8765", "http://127.0.0.1:8765/@kommun", ("@kommun@127.0.0.1:8765", "http://127.0.0.1:8765/@kommun")),
    ("bluesky", "Ange.se", "https://bsky.app/profile/ange.se", ("ange.se", "https://bsky.app/profile/ange.se")),
    ("linkedin", "ange-kommun", "https://www.linkedin.com/company/ange-kommun", ("ange-kommun", "https://www.linkedin.com/company/ange-kommun")),
])
def test_valid_handles_are_normalised(platform, handle, url, expected):
    assert normalise(platform, handle, url) == expected


@pytest.mark.parametrize("platform,handle,url", [
    ("facebook_page", "angekommun", "https://www.facebook.com/groups/angekommun"),
    ("facebook_page", "angekommun", "javascript:alert(1)"),
    ("instagram", "ange kommun", "https://www.instagram.com/ange"),
    ("x", "a_name_much_too_long_for_x", "https://x.com/a_name_much_too_long_for_x"),
    ("mastodon", "@kommun@mastodon.nu", "https://annan.server/@kommun"),
    ("mastodon", "@kommun@evil.example", "http://evil.example/@kommun"),
    ("bluesky", "not a domain", "https://bsky.app/profile/x"),
    ("youtube", "@angekommun", "https://vimeo.com/angekommun"),
])
def test_invalid_handles_are_refused(platform, handle, url):
    with pytest.raises(ValidationError):
        normalise(platform, handle, url)


def test_platform_names_are_translated():
    from django.utils import translation

    from insyn.registry.models import Platform

    with translation.override("sv"):
        assert Platform.FACEBOOK_PAGE.label == "Facebook-sida"
    with translation.override("en"):
        assert (Platform.FACEBOOK_PAGE.label, Platform.FACEBOOK_GROUP.label) == ("Facebook Page", "Facebook group")
