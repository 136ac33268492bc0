"""Caller numbers as personal data: a keyed hash for linking, a masked form, encryption at rest."""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(secret: str, label: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from the server secret with HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"screener", info=label).derive(secret.encode())


@dataclass(frozen=True)
class NumberVault:
    """Keys derived from SCREENER_SECRET_KEY: one for the linking hash, one for encryption."""

    hash_key: bytes
    fernet: Fernet

    @classmethod
    def from_secret(cls, secret: str) -> "NumberVault":
        enc_key = base64.urlsafe_b64encode(derive_key(secret, b"caller-number-encryption"))
        return cls(hash_key=derive_key(secret, b"caller-number-hmac"), fernet=Fernet(enc_key))

    def link_hash(self, e164: str) -> str:
        """A stable keyed hash of a number, to link a caller's calls without storing the number."""
        return hmac.new(self.hash_key, e164.encode(), hashlib.sha256).hexdigest()[:32]

    def encrypt(self, e164: str) -> str:
        return self.fernet.encrypt(e164.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """The number, or None when the token was made with another key or was altered."""
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None
