"""Attachments, stored once by content hash under ``DATA_DIR/media``.

A file is accepted only if it is within ``MEDIA_MAX_BYTES`` and its content really is one
of the allowed types (checked from its first bytes, not from what the platform claims).
Writes are atomic (temporary file, then rename), so a crash never leaves half a file under
a hash name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction

from insyn.lib.http import HttpSeam, TransportFailure

from .models import ItemMedia, Media

# (magic prefix, offset, mime type)
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ftyp", 4, "video/mp4"),
    (b"%PDF-", 0, "application/pdf"),
]


class MediaRejected(ValueError):
    """The file is too large or not an allowed type."""


def sniff(data: bytes) -> str | None:
    for magic, offset, mime in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            if mime == "image/webp" and data[:4] != b"RIFF":
                continue
            return mime
    return None


def media_path(sha256: str) -> Path:
    return Path(settings.DATA_DIR) / "media" / sha256[:2] / sha256[2:4] / sha256


def store_media(data: bytes) -> Media:
    if len(data) > settings.MEDIA_MAX_BYTES:
        raise MediaRejected(f"file is {len(data)} bytes; the limit is {settings.MEDIA_MAX_BYTES}")
    mime = sniff(data)
    if mime is None:
        raise MediaRejected("not an allowed file type (jpeg, png, gif, webp, mp4, pdf)")
    digest = hashlib.sha256(data).hexdigest()
    path = media_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    media, _ = Media.objects.get_or_create(sha256=digest, defaults={"size": len(data), "mime_type": mime})
    return media


def fetch_media(item_media: ItemMedia, http: HttpSeam | None = None) -> ItemMedia:
    """Download one attachment and store it; a failure is recorded on the row, not raised."""
    own_http = http is None
    http = http or HttpSeam(max_attempts=3)
    try:
        response = http.request("GET", item_media.platform_url)
        if response.status_code != 200:
            raise MediaRejected(f"HTTP {response.status_code}")
        media = store_media(response.content)
    except (MediaRejected, TransportFailure) as exc:
        ItemMedia.objects.filter(pk=item_media.pk).update(error=str(exc)[:300])
    else:
        with transaction.atomic():
            ItemMedia.objects.filter(pk=item_media.pk).update(media=media, error="")
    finally:
        if own_http:
            http.close()
    item_media.refresh_from_db()
    return item_media


def fetch_pending_media(limit: int = 20) -> int:
    """Fetch attachments not yet stored and not yet failed (the worker calls this each round)."""
    rows = list(ItemMedia.objects.filter(media__isnull=True, error="").order_by("id")[:limit])
    if rows:
        http = HttpSeam(max_attempts=2, timeout=30)
        try:
            for row in rows:
                fetch_media(row, http)
        finally:
            http.close()
    return len(rows)
