"""The AT Protocol's identifiers, written the way the protocol writes them.

- DIDs: ``did:plc:`` and 24 base32 characters (the PLC method's identifier).
- TIDs: record keys for posts and likes; 64 bits (top bit zero, 53 bits of microseconds since
  the epoch, 10 bits of clock id) in 13 characters of base32-sortable
  ``234567abcdefghijklmnopqrstuvwxyz`` (atproto.com/specs/tid).
- CIDs: CIDv1, codec dag-cbor (0x71), sha2-256 multihash, multibase base32 (``bafyrei…``).
  The simulator hashes canonical JSON instead of DAG-CBOR: the shape is right and any change
  of the record gives a new CID, which is what clients rely on.
- Session tokens: JWTs (HS256) with the claims the PDS writes (``scope``, ``sub``, ``aud``,
  ``iat``, ``exp``; ``jti`` on refresh tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

S32_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
B32_LOWER = "abcdefghijklmnopqrstuvwxyz234567"


def tid(micros: int, clock_id: int = 0) -> str:
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    out = []
    for _ in range(13):
        out.append(S32_CHARS[value & 31])
        value >>= 5
    return "".join(reversed(out))


def tid_time(value: str) -> float | None:
    """The time a TID encodes (seconds), or None when it is not a TID."""
    if len(value) != 13 or any(c not in S32_CHARS for c in value) or value[0] not in S32_CHARS[:16]:
        return None
    n = 0
    for c in value:
        n = (n << 5) | S32_CHARS.index(c)
    return (n >> 10) / 1_000_000


def cid_for(value: Any) -> str:
    digest = hashlib.sha256(
        json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).digest()
    raw = bytes([0x01, 0x71, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def random_did(rng) -> str:
    return "did:plc:" + "".join(rng.choice(B32_LOWER) for _ in range(24))


def at_uri(did: str, collection: str, rkey: str) -> str:
    return f"at://{did}/{collection}/{rkey}"


def split_uri(uri: str) -> tuple[str, str, str] | None:
    """(did, collection, rkey) of ``at://did/collection/rkey``, or None."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    parts = uri[5:].split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def iso(t: float) -> str:
    """AT Protocol datetimes: ISO 8601, milliseconds, ``Z``."""
    dt = datetime.fromtimestamp(t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> float | None:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_encode(header: dict, payload: dict, secret: bytes) -> str:
    signing = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(payload, separators=(",", ":")).encode())
    )
    signature = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return signing + "." + _b64(signature)


def jwt_decode(token: str, secret: bytes) -> tuple[dict, dict] | None:
    """(header, payload) of a token signed with ``secret``; None for anything else."""
    try:
        head, body, signature = token.split(".")
        expected = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        header, payload = json.loads(_unb64(head)), json.loads(_unb64(body))
    except (ValueError, TypeError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    return header, payload


def graphemes(text: str) -> int:
    """A close count of user-perceived characters (combining marks and joiners not counted)."""
    import unicodedata

    count = 0
    joined = False
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200d\ufe0f\ufe0e" or 0x1F3FB <= ord(ch) <= 0x1F3FF:
            joined = ch == "\u200d"
            continue
        if joined:
            joined = False
            continue
        count += 1
    return count
