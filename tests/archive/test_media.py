from __future__ import annotations

import httpx
import pytest

from insyn.archive.media import MediaRejected, fetch_media, media_path, sniff, store_media
from insyn.archive.models import Item, ItemMedia, Media
from insyn.lib.http import HttpSeam

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64


def test_sniffing_uses_content_not_names():
    assert sniff(PNG) == "image/png" and sniff(JPEG) == "image/jpeg"
    assert sniff(b"<html><script>") is None
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"


@pytest.mark.django_db
def test_a_file_is_stored_once_by_its_hash(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    a, b = store_media(PNG), store_media(PNG)
    assert a.sha256 == b.sha256 and Media.objects.count() == 1
    assert media_path(a.sha256).read_bytes() == PNG


@pytest.mark.django_db
def test_too_large_or_wrong_type_is_refused(settings, tmp_path):
    settings.DATA_DIR, settings.MEDIA_MAX_BYTES = tmp_path, 32
    with pytest.raises(MediaRejected, match="limit"):
        store_media(PNG)
    settings.MEDIA_MAX_BYTES = 10_000
    with pytest.raises(MediaRejected, match="allowed"):
        store_media(b"MZ\x90\x00 an executable")
    assert not Media.objects.exists()


@pytest.mark.django_db
def test_fetch_records_success_and_failure(settings, tmp_path, world, make_account):
    from datetime import UTC, datetime

    settings.DATA_DIR = tmp_path
    account = make_account(status="aktivt")
    item = Item.objects.create(account=account, platform_id="c1", kind="comment", direction="inkommen",
                               record_type="public_comment", inkommen_at=datetime(2026, 1, 1, tzinfo=UTC))
    good = ItemMedia.objects.create(item=item, platform_url="https://cdn.example/a.png")
    bad = ItemMedia.objects.create(item=item, platform_url="https://cdn.example/b.exe")
    routes = {"/a.png": httpx.Response(200, content=PNG), "/b.exe": httpx.Response(200, content=b"MZ...")}
    http = HttpSeam(transport=httpx.MockTransport(lambda r: routes[r.url.path]), sleep=lambda s: None)
    assert fetch_media(good, http).media.mime_type == "image/png"
    http = HttpSeam(transport=httpx.MockTransport(lambda r: routes[r.url.path]), sleep=lambda s: None)
    fetched = fetch_media(bad, http)
    assert fetched.media is None and "allowed" in fetched.error
