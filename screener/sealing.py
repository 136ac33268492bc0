"""TOTP secrets sealed at rest: AES-256-GCM under a key derived from SCREENER_SECRET_KEY (or the old one)."""
from __future__ import annotations

import base64
import os
from typing import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from screener.privacy import derive_key

# Sealed text is "t1:" + base64(nonce + ciphertext and tag). A TOTP secret is base32 ([A-Z2-7]), so a
# stored value without the prefix is a secret from before sealing, still in clear.
SEALED_PREFIX = "t1:"
_LABEL = b"totp-secret-encryption"


class SecretSealer:
    """Seals with the newest server secret; opens with any of them (newest first), during a key change too."""

    def __init__(self, server_secrets: Sequence[str]) -> None:
        self._keys = [AESGCM(derive_key(secret, _LABEL)) for secret in server_secrets if secret]

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(SEALED_PREFIX)

    def seal(self, text: str, owner: str) -> str:
        """The text sealed for one account (its name is bound in, so it cannot be moved to another).

        Without a server secret (a CLI command run without one) nothing can be sealed that the service
        could open: the text is returned as it is rather than sealed under a throw-away key.
        """
        if not text or self.is_sealed(text) or not self._keys:
            return text
        nonce = os.urandom(12)
        sealed = self._keys[0].encrypt(nonce, text.encode(), owner.encode())
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, stored: str, owner: str) -> tuple[str, bool]:
        """(the text, whether it should be sealed again: it was in clear or under the old secret).

        Text no key opens comes back sealed as it is, so that it is neither lost nor mistaken for "none".
        """
        if not stored:
            return "", False
        if not self.is_sealed(stored):
            return stored, bool(self._keys)
        raw = base64.urlsafe_b64decode(stored[len(SEALED_PREFIX):])
        for index, key in enumerate(self._keys):
            try:
                return key.decrypt(raw[:12], raw[12:], owner.encode()).decode(), index > 0
            except InvalidTag:
                continue
        return stored, False
