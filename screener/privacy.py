"""Caller numbers as personal data: a keyed hash for linking, a masked form, encryption at rest."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Tokens made by this version: "g1:" + base64(nonce + AES-256-GCM ciphertext and tag). Tokens without
# the prefix are Fernet tokens from earlier versions, still readable.
_GCM_PREFIX = "g1:"


def derive_key(secret: str, label: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from the server secret with HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"screener", info=label).derive(secret.encode())


@dataclass(frozen=True)
class NumberVault:
    """Keys derived from SCREENER_SECRET_KEY: one for the linking hash, one for encryption."""

    hash_key: bytes
    aead: AESGCM
    legacy: Fernet

    @classmethod
    def from_secret(cls, secret: str) -> "NumberVault":
        enc_key = derive_key(secret, b"caller-number-encryption")
        return cls(hash_key=derive_key(secret, b"caller-number-hmac"), aead=AESGCM(enc_key),
                   legacy=Fernet(base64.urlsafe_b64encode(enc_key)))

    def link_hash(self, e164: str) -> str:
        """A stable keyed hash of a number, to link a caller's calls without storing the number."""
        return hmac.new(self.hash_key, e164.encode(), hashlib.sha256).hexdigest()[:32]

    def encrypt(self, text: str) -> str:
        """AES-256-GCM with a random nonce (every call's webhook does this: it must be cheap)."""
        nonce = os.urandom(12)
        return _GCM_PREFIX + base64.urlsafe_b64encode(nonce + self.aead.encrypt(nonce, text.encode(), None)).decode()

    def decrypt(self, token: str) -> str | None:
        """The text, or None when the token was made with another key or was altered."""
        try:
            if token.startswith(_GCM_PREFIX):
                raw = base64.urlsafe_b64decode(token[len(_GCM_PREFIX):])
                return self.aead.decrypt(raw[:12], raw[12:], None).decode()
            return self.legacy.decrypt(token.encode()).decode()
        except (InvalidTag, InvalidToken, ValueError):
            return None
