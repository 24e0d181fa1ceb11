"""Canonical serialisation and hashing used by the event chain and the raw capture log."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: the same value, the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def chain_hash(prev_hash: str, body: dict[str, Any]) -> str:
    """The hash of one chain entry: sha256 over the previous hash and the entry's canonical body."""
    return sha256_hex(prev_hash + "\n" + canonical_json(body))
