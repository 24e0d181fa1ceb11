"""Encryption of secrets at rest (platform access tokens) with Fernet.

``INSYN_TOKEN_KEYS`` holds one or more Fernet keys, newest first; MultiFernet decrypts with
any of them and encrypts with the first, so keys can be rotated without downtime.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenDecryptionError(Exception):
    """The stored token cannot be decrypted with any configured key."""


def make_fernet(keys: list[str]) -> MultiFernet:
    if not keys:
        raise ValueError("at least one Fernet key is required")
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def encrypt(fernet: MultiFernet, plaintext: str) -> str:
    return fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(fernet: MultiFernet, ciphertext: str) -> str:
    try:
        return fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise TokenDecryptionError("token cannot be decrypted with the configured keys") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
