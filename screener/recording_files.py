"""Recordings at rest: encrypted files on local disk, readable with any configured key, rotatable.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256) from SCREENER_RECORDING_KEYS, newest first; the
first encrypts, all decrypt, so a key is rotated by putting a new one in front and running
`screener recordings rotate`. Without the variable, one key is derived from SCREENER_SECRET_KEY.
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from screener.config import Settings
from screener.privacy import derive_key


class RecordingFileError(RuntimeError):
    """A stored recording is missing, unreadable with our keys, or does not match its checksum."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RecordingFiles:
    """Writes, reads and re-encrypts recording files under one folder."""

    def __init__(self, folder: Path, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one recording key is needed")
        self.folder = folder
        self.crypto = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> "RecordingFiles":
        keys = list(settings.recording_keys)
        if not keys:
            keys = [base64.urlsafe_b64encode(derive_key(settings.secret_key, b"recording-encryption")).decode()]
        return cls(settings.recordings_path, keys)

    def path(self, recording_sid: str) -> Path:
        return self.folder / f"{recording_sid}.enc"

    def write(self, recording_sid: str, audio: bytes) -> Path:
        """Encrypt and store atomically (temp file, fsync, rename); return the path."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.path(recording_sid)
        temp = target.with_suffix(".tmp")
        with open(temp, "wb") as handle:
            handle.write(self.crypto.encrypt(audio))
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(0o600)
        temp.replace(target)
        return target

    def read(self, recording_sid: str, expected_sha256: str | None = None) -> bytes:
        """Decrypt a stored recording; with expected_sha256, also prove it is the one archived."""
        try:
            token = self.path(recording_sid).read_bytes()
        except FileNotFoundError:
            raise RecordingFileError(f"{recording_sid}: no stored file") from None
        try:
            audio = self.crypto.decrypt(token)
        except InvalidToken:
            raise RecordingFileError(f"{recording_sid}: cannot decrypt (altered, or a key is missing)") from None
        if expected_sha256 is not None and sha256(audio) != expected_sha256:
            raise RecordingFileError(f"{recording_sid}: checksum does not match")
        return audio

    def rotate(self, recording_sid: str) -> None:
        """Re-encrypt one file with the newest key."""
        target = self.path(recording_sid)
        temp = target.with_suffix(".tmp")
        temp.write_bytes(self.crypto.rotate(target.read_bytes()))
        temp.chmod(0o600)
        temp.replace(target)
