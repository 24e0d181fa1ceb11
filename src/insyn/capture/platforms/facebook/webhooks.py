"""Meta's webhook signature (Pages and Instagram share one app secret and one check)."""

from __future__ import annotations

import hashlib
import hmac
import string


def verify_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """Check ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw request body
    keyed with the app secret (Meta, Webhooks "Getting Started"). It is computed over the
    bytes as received: Meta escapes non-ASCII and "/" in the JSON, so re-serialising would
    not match. Constant-time. A missing or malformed header, or an empty secret, is False."""
    if not isinstance(header, str) or not header or not isinstance(app_secret, str):
        return False
    if not app_secret or not isinstance(body, (bytes, bytearray)):
        return False
    scheme, sep, digest = header.strip().partition("=")
    digest = digest.strip().lower()
    if sep != "=" or scheme.strip().lower() != "sha256" or len(digest) != 64:
        return False
    if any(c not in string.hexdigits for c in digest):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), bytes(body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, digest)
