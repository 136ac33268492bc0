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
    """Keys derived from SCREENER_SECRET_KEY: one for the linking hash, one for encryption.

    During a change of the secret, `previous` holds the keys of SCREENER_SECRET_KEY_OLD: what they sealed
    still opens and their link hash is still known, while everything new is encrypted and hashed with the
    new secret alone (README "Rotating SCREENER_SECRET_KEY").
    """

    hash_key: bytes
    aead: AESGCM
    legacy: Fernet
    previous: "NumberVault | None" = None

    @classmethod
    def from_secret(cls, secret: str, old_secret: str = "") -> "NumberVault":
        enc_key = derive_key(secret, b"caller-number-encryption")
        return cls(hash_key=derive_key(secret, b"caller-number-hmac"), aead=AESGCM(enc_key),
                   legacy=Fernet(base64.urlsafe_b64encode(enc_key)),
                   previous=cls.from_secret(old_secret) if old_secret else None)

    def link_hash(self, e164: str) -> str:
        """A stable keyed hash of a number, to link a caller's calls without storing the number."""
        return hmac.new(self.hash_key, e164.encode(), hashlib.sha256).hexdigest()[:32]

    def old_link_hash(self, e164: str) -> str:
        """The number's link hash under SCREENER_SECRET_KEY_OLD, '' when no old secret is configured."""
        return self.previous.link_hash(e164) if self.previous else ""

    def link_hashes(self, e164: str) -> list[str]:
        """Every hash the number's calls may be indexed under: the current one first."""
        return [self.link_hash(e164)] + ([self.old_link_hash(e164)] if self.previous else [])

    def encrypt(self, text: str) -> str:
        """AES-256-GCM with a random nonce (every call's webhook does this: it must be cheap)."""
        nonce = os.urandom(12)
        return _GCM_PREFIX + base64.urlsafe_b64encode(nonce + self.aead.encrypt(nonce, text.encode(), None)).decode()

    def decrypt(self, token: str) -> str | None:
        """The text, or None when neither the current nor the old secret made the token, or it was altered."""
        text = self._decrypt(token)
        if text is None and self.previous is not None:
            return self.previous.decrypt(token)
        return text

    def reencrypted(self, token: str) -> tuple[str | None, bool]:
        """(the token as it should be stored, whether it changed): a token only the old secret opens comes
        back encrypted with the current one; (None, False) when no configured secret opens it."""
        if self._decrypt(token) is not None:
            return token, False
        text = self.previous.decrypt(token) if self.previous is not None else None
        return (None, False) if text is None else (self.encrypt(text), True)

    def _decrypt(self, token: str) -> str | None:
        try:
            if token.startswith(_GCM_PREFIX):
                raw = base64.urlsafe_b64decode(token[len(_GCM_PREFIX):])
                return self.aead.decrypt(raw[:12], raw[12:], None).decode()
            return self.legacy.decrypt(token.encode()).decode()
        except (InvalidTag, InvalidToken, ValueError):
            return None
