"""minisign (Ed25519) signatures of feed files, with py-minisign: `.minisig` beside each file, checkable
with the minisign tool (`minisign -Vm FILE -P KEY`)."""
from __future__ import annotations

import os
from pathlib import Path

import minisign


class SignatureError(ValueError):
    """A file's signature is missing, malformed, or not made by the partner's key."""


class FeedKeyError(ValueError):
    """The feed signing key is not configured or cannot be read."""


def generate(path: Path) -> str:
    """Write a new secret key to `path` (mode 600, never overwriting) and return its public key."""
    pair = minisign.KeyPair.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(bytes(pair.secret_key) + b"\n")
    return public_key_text(pair.public_key)


def load(path: Path | None) -> minisign.SecretKey:
    """The secret key from SCREENER_FEED_KEY's file."""
    if path is None:
        raise FeedKeyError("SCREENER_FEED_KEY is not set: make a key with `screener feed keygen PATH` "
                           "and point SCREENER_FEED_KEY at it")
    try:
        key = minisign.SecretKey.from_file(path)
    except (OSError, minisign.Error) as exc:
        raise FeedKeyError(f"cannot read the feed key {path}: {exc}") from None
    if key.is_encrypted():
        raise FeedKeyError(f"{path} is protected by a password: make one with `screener feed keygen`")
    return key


def public_key_text(key: minisign.PublicKey) -> str:
    """The public key as minisign prints it (the base64 line partners pass to --key or `minisign -P`)."""
    return key.to_base64().decode()


def public_key_of(secret: minisign.SecretKey) -> str:
    return public_key_text(secret.get_public_key())


def sign(secret: minisign.SecretKey, data: bytes, name: str) -> bytes:
    """The .minisig file of `data` (prehashed Ed25519, as minisign signs by default), naming the file."""
    signature = secret.sign(data, prehash=True, trusted_comment=f"file:{name}")
    return bytes(signature) + b"\n"


def verify(public_key: str, data: bytes, signature: bytes | None, name: str) -> None:
    """Raise SignatureError unless `signature` is the partner's valid signature of `data`."""
    if not signature:
        raise SignatureError(f"{name}: no signature ({name}.minisig missing)")
    try:
        key = minisign.PublicKey.from_base64(public_key)
        key.verify(data, minisign.Signature.from_bytes(signature.strip()))
    except (minisign.Error, ValueError) as exc:
        raise SignatureError(f"{name}: bad signature ({exc})") from None


def check_public_key(text: str) -> str:
    """A public key given on the command line (the base64 line, or minisign's two-line .pub file)."""
    line = text.strip().splitlines()[-1].strip() if text.strip() else ""
    try:
        minisign.PublicKey.from_base64(line)
    except (minisign.Error, ValueError) as exc:
        raise SignatureError(f"not a minisign public key: {exc}") from None
    return line
