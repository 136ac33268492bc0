"""Recordings at rest: encrypted before they are stored, on local disk or in S3-compatible storage,
readable with any configured key, rotatable.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256) from SCREENER_RECORDING_KEYS, newest first; the
first encrypts, all decrypt, so a key is rotated by putting a new one in front and running
`screener recordings rotate`. Without the variable, one key is derived from SCREENER_SECRET_KEY (and,
while it is being changed, one from SCREENER_SECRET_KEY_OLD: `screener secret rewrap` moves them over).
Storage: SCREENER_RECORDINGS_S3 (s3://bucket/prefix) when set, else a local folder. The storage only
ever sees ciphertext.
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from screener.config import Settings
from screener.privacy import derive_key


class RecordingFileError(RuntimeError):
    """A stored recording is missing, unreadable with our keys, or does not match its checksum."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Blobs(Protocol):
    """Where encrypted recordings are kept."""

    def put(self, name: str, data: bytes) -> str: ...
    def get(self, name: str) -> bytes | None: ...


class LocalBlobs:
    """Files in one folder (mode 700), written atomically (temp file, fsync, rename), mode 600."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / name

    def put(self, name: str, data: bytes) -> str:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.path(name)
        temp = target.with_suffix(".tmp")
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(0o600)
        temp.replace(target)
        return str(target)

    def get(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None


class S3Blobs:
    """Objects under a prefix in an S3 bucket (AWS or any S3-compatible service)."""

    def __init__(self, url: str, endpoint_url: str = "") -> None:
        try:
            import boto3
        except ImportError:
            raise RecordingFileError("SCREENER_RECORDINGS_S3 needs boto3: pip install 'screener[s3]'") from None

        parts = urlsplit(url)
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, name: str, data: bytes) -> str:
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)
        return f"s3://{self.bucket}/{self._key(name)}"

    def get(self, name: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None


class RecordingFiles:
    """Encrypts, stores, reads back and re-encrypts recordings."""

    def __init__(self, folder: Path, keys: list[str], blobs: Blobs | None = None) -> None:
        if not keys:
            raise ValueError("at least one recording key is needed")
        self.local = LocalBlobs(folder)
        self.blobs: Blobs = blobs or self.local
        self.newest = Fernet(keys[0].encode())
        self.crypto = MultiFernet([self.newest, *(Fernet(k.encode()) for k in keys[1:])])

    @classmethod
    def from_settings(cls, settings: Settings) -> "RecordingFiles":
        keys = list(settings.recording_keys)
        if not keys:  # derived from the server secret, and during its change from the old one too
            keys = [base64.urlsafe_b64encode(derive_key(secret, b"recording-encryption")).decode()
                    for secret in (settings.secret_key, settings.secret_key_old) if secret]
        blobs = S3Blobs(settings.recordings_s3, settings.s3_endpoint_url) if settings.recordings_s3 else None
        return cls(settings.recordings_path, keys, blobs)

    @staticmethod
    def name(recording_sid: str) -> str:
        return f"{recording_sid}.enc"

    def path(self, recording_sid: str) -> Path:
        """The local file (when recordings are kept on disk)."""
        return self.local.path(self.name(recording_sid))

    def write(self, recording_sid: str, audio: bytes) -> str:
        """Encrypt and store; return where it went."""
        return self.blobs.put(self.name(recording_sid), self.crypto.encrypt(audio))

    def exists(self, recording_sid: str) -> bool:
        return self.blobs.get(self.name(recording_sid)) is not None

    def read(self, recording_sid: str, expected_sha256: str | None = None) -> bytes:
        """Decrypt a stored recording; with expected_sha256, also prove it is the one archived."""
        token = self.blobs.get(self.name(recording_sid))
        if token is None:
            raise RecordingFileError(f"{recording_sid}: no stored file")
        try:
            audio = self.crypto.decrypt(token)
        except InvalidToken:
            raise RecordingFileError(f"{recording_sid}: cannot decrypt (altered, or a key is missing)") from None
        if expected_sha256 is not None and sha256(audio) != expected_sha256:
            raise RecordingFileError(f"{recording_sid}: checksum does not match")
        return audio

    def rotate(self, recording_sid: str) -> None:
        """Re-encrypt one recording with the newest key."""
        token = self.blobs.get(self.name(recording_sid))
        if token is None:
            raise RecordingFileError(f"{recording_sid}: no stored file")
        self.blobs.put(self.name(recording_sid), self.crypto.rotate(token))

    def rewrap(self, recording_sid: str) -> bool | None:
        """Re-encrypt one recording with the newest key unless it is under it already: True when rewritten,
        False when current, None when no file is stored (not archived yet). Raises RecordingFileError when
        no key opens it (the file is then left as it is)."""
        token = self.blobs.get(self.name(recording_sid))
        if token is None:
            return None
        if self._under_newest(token):
            return False
        try:
            rotated = self.crypto.rotate(token)
        except InvalidToken:
            raise RecordingFileError(f"{recording_sid}: cannot decrypt (altered, or a key is missing)") from None
        self.blobs.put(self.name(recording_sid), rotated)
        return True

    def _under_newest(self, token: bytes) -> bool:
        try:
            self.newest.decrypt(token)
        except InvalidToken:
            return False
        return True
