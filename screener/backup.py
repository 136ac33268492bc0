"""`screener backup` and `restore`: a consistent copy of one instance in a folder, checked before it returns.

A backup folder holds:
  redis-buckets.bin   the blocklist's buckets (store/snapshot.py frames), read pipelined
  redis-keys.bin      every other key under the prefix, read in one transaction (chains, calls, users, ...)
  checkpoints.jsonl   the signed checkpoints, copied before the keys, so it signs no entry the copy lacks
  recordings/         the encrypted recordings, copied after the keys, so every sealed one is there
  uploads/            list files uploaded and not yet committed or discarded
  manifest.json       format, versions, counts, and the SHA-256 and size of every file above, with an
                      HMAC under a key derived from SCREENER_SECRET_KEY (so an edited manifest is refused)
Never a key: SCREENER_SECRET_KEY and the checkpoint signing key are kept elsewhere by the admin
(README "Backups"); without the first nothing encrypted in a backup can be read.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import redis

from screener.checkpoints import CheckpointError, load_key, public_key_text
from screener.config import Settings
from screener.privacy import derive_key
from screener.store.imports import UPLOAD_FOLDER
from screener.store.keys import Keys
from screener.store.snapshot import Snapshot, SnapshotError, read_copies, write_copies

FORMAT = 1
MANIFEST = "manifest.json"
BUCKETS_FILE = "redis-buckets.bin"
KEYS_FILE = "redis-keys.bin"
CHECKPOINTS_FILE = "checkpoints.jsonl"
_MAC_LABEL = b"backup-manifest"


class BackupError(RuntimeError):
    """A backup cannot be taken, or a folder cannot be restored; the message says why."""


class PartialRestore(BackupError):
    """A restore that stopped after writing part of the backup."""


@dataclass
class Manifest:
    """What a backup holds: its files' checksums, counts and versions."""

    body: dict[str, Any] = field(default_factory=dict)

    def mac(self, secret: str) -> str:
        text = json.dumps(self.body, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(derive_key(secret, _MAC_LABEL), text, hashlib.sha256).hexdigest()


def _screener_version() -> str:
    try:
        return version("screener")
    except PackageNotFoundError:
        return "unknown"


def _hash_file(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}


def _copy_tree(source: Path, target: Path) -> list[Path]:
    """Copy every regular file under source to target (mode 600, folders 700); return the copies."""
    copied = []
    if not source.is_dir():
        return copied
    for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink()):
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(path, destination)
        destination.chmod(0o600)
        copied.append(destination)
    return copied


def _empty_folder(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def take(settings: Settings, client: redis.Redis, folder: Path) -> Manifest:
    """Write a backup of the instance into `folder` (new or empty); return its manifest."""
    if not settings.secret_key:
        raise BackupError("SCREENER_SECRET_KEY is unset: a backup is sealed with it, and is unreadable without it")
    if not _empty_folder(folder):
        raise BackupError(f"{folder} is not empty: give a new folder for each backup")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    snapshot = Snapshot(client, Keys(settings.key_prefix))
    # 1. The checkpoints first: every checkpoint copied then signs counts the chains still hold later.
    checkpoints = settings.checkpoints_path.read_bytes() if settings.checkpoints_path.exists() else b""
    (folder / CHECKPOINTS_FILE).write_bytes(checkpoints)
    # 2. The keys: buckets pipelined, then the rest in one transaction.
    with (folder / BUCKETS_FILE).open("wb") as out:
        buckets = write_copies(out, snapshot.buckets())
    try:
        copies, tips = snapshot.rest()
    except SnapshotError as exc:
        raise BackupError(str(exc)) from None
    with (folder / KEYS_FILE).open("wb") as out:
        write_copies(out, copies)
    # 3. The files: after the keys, so every recording the copied evidence chain seals is there.
    recordings = _copy_tree(settings.recordings_path, folder / "recordings")
    uploads = _copy_tree(settings.instance_path / UPLOAD_FOLDER, folder / "uploads")
    files = [folder / CHECKPOINTS_FILE, folder / BUCKETS_FILE, folder / KEYS_FILE, *recordings, *uploads]
    body = {
        "format": FORMAT,
        "taken_at_ms": int(time.time() * 1000),
        "versions": {"screener": _screener_version(), "redis": snapshot.redis_version()},
        "key_prefix": settings.key_prefix,
        "checkpoint_public_key": _checkpoint_public_key(settings),
        "recordings_s3": settings.recordings_s3 or None,  # kept in the bucket, not here: back it up there
        "counts": {"redis_keys": buckets + len(copies), "blocklist_buckets": buckets,
                   "blocklist_entries": tips.blocklist_entries, "audit_entries": tips.audit_entries,
                   "evidence_entries": tips.evidence_entries, "recordings": len(recordings),
                   "uploads": len(uploads), "checkpoints": checkpoints.count(b"\n")},
        "files": {str(path.relative_to(folder)): _hash_file(path) for path in files},
    }
    manifest = Manifest(body)
    record = {**body, "hmac_sha256": manifest.mac(settings.secret_key)}
    target = folder / MANIFEST
    target.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    target.chmod(0o600)
    return manifest


def _checkpoint_public_key(settings: Settings) -> str | None:
    if not settings.checkpoint_key_path.exists():
        return None
    try:
        return public_key_text(load_key(settings.checkpoint_key_path).public_key())
    except CheckpointError as exc:
        raise BackupError(str(exc)) from None


def check(settings: Settings, folder: Path) -> Manifest:
    """The backup's manifest, once its HMAC and every file's size and SHA-256 are right; BackupError naming
    the first thing that is not (an altered, cut-off or incomplete backup)."""
    try:
        record = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder / MANIFEST} is missing: not a backup, or an incomplete one") from None
    except ValueError:
        raise BackupError(f"{folder / MANIFEST} is not valid JSON: the backup is damaged") from None
    if not isinstance(record, dict) or "hmac_sha256" not in record:
        raise BackupError(f"{folder / MANIFEST} is not a backup manifest")
    mac = str(record.pop("hmac_sha256"))
    manifest = Manifest(record)
    secrets = [s for s in (settings.secret_key, settings.secret_key_old) if s]
    if not secrets:
        raise BackupError("SCREENER_SECRET_KEY is unset: set it to the key the backup was made with")
    if not any(hmac.compare_digest(manifest.mac(secret), mac) for secret in secrets):
        raise BackupError("the manifest does not match SCREENER_SECRET_KEY: it was altered, or the backup was "
                          "made with another key (set SCREENER_SECRET_KEY to that one)")
    if record.get("format") != FORMAT:
        raise BackupError(f"backup format {record.get('format')!r}; this version reads format {FORMAT}")
    for name, expected in record["files"].items():
        path = (folder / name).resolve()
        if Path(name).is_absolute() or ".." in Path(name).parts or folder.resolve() not in path.parents:
            raise BackupError(f"the manifest names a file outside the backup: {name}")
        if not path.is_file():
            raise BackupError(f"{name} is missing: the backup is incomplete")
        if _hash_file(path) != expected:
            raise BackupError(f"{name} does not match its checksum: the backup is damaged or altered")
    return manifest


def restore(settings: Settings, client: redis.Redis, folder: Path) -> Manifest:
    """Put a checked backup into an empty instance: Redis, recordings, uploads, checkpoints. Nothing is written
    unless the backup checks out and the instance is empty."""
    manifest = check(settings, folder)
    body = manifest.body
    snapshot = Snapshot(client, Keys(settings.key_prefix))
    _require_empty(settings, snapshot)
    if body["counts"]["checkpoints"]:
        _require_checkpoint_key(settings, body.get("checkpoint_public_key"))
    _require_redis_version(snapshot.redis_version(), body["versions"]["redis"])
    files = body["files"]
    try:
        for name in (BUCKETS_FILE, KEYS_FILE):
            with (folder / name).open("rb") as stream:
                snapshot.restore(read_copies(stream), int(body["taken_at_ms"]))
    except (SnapshotError, redis.ResponseError) as exc:
        # Checked beforehand, so only a Redis that refuses a payload (or a key written meanwhile) gets here.
        raise PartialRestore(f"Redis refused a key part-way ({exc}): the instance now holds part of the backup; "
                          f"delete the keys under {settings.key_prefix!r} before restoring again") from None
    for part, target in (("recordings", settings.recordings_path),
                         ("uploads", settings.instance_path / UPLOAD_FOLDER)):
        for name in files:
            if name.startswith(part + "/"):
                destination = target / Path(name).relative_to(part)
                destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                shutil.copyfile(folder / name, destination)
                destination.chmod(0o600)
    checkpoints = (folder / CHECKPOINTS_FILE).read_bytes()
    if checkpoints:
        settings.checkpoints_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(settings.checkpoints_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(checkpoints)
            out.flush()
            os.fsync(out.fileno())
    return manifest


def _require_empty(settings: Settings, snapshot: Snapshot) -> None:
    found = []
    if not snapshot.is_empty():
        found.append(f"Redis has keys under {settings.key_prefix!r}")
    for what, path in (("recordings", settings.recordings_path), ("uploads", settings.instance_path / UPLOAD_FOLDER)):
        if not _empty_folder(path):
            found.append(f"{path} holds {what}")
    if settings.checkpoints_path.exists() and settings.checkpoints_path.stat().st_size:
        found.append(f"{settings.checkpoints_path} holds checkpoints")
    if found:
        raise BackupError("restore goes into an empty instance only, and this one is not: " + "; ".join(found))


def _require_checkpoint_key(settings: Settings, expected: str) -> None:
    """The checkpoints are checked with the instance's signing key, which backups never hold."""
    path = settings.checkpoint_key_path
    if not path.exists():
        raise BackupError(f"no checkpoint key at {path}: copy the instance's checkpoint.key there from where you "
                          f"keep it (its public key is {expected}), then restore again")
    try:
        found = public_key_text(load_key(path).public_key())
    except CheckpointError as exc:
        raise BackupError(str(exc)) from None
    if found != expected:
        raise BackupError(f"the checkpoint key at {path} is not the one the backup's checkpoints were signed with "
                          f"(public key {expected})")


def _require_redis_version(target: str, source: str) -> None:
    """RESTORE reads the payloads of the same or an older Redis only."""
    def major_minor(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())

    if major_minor(target) < major_minor(source):
        raise BackupError(f"this Redis is {target}, older than the {source} the backup was taken from: "
                          "restore into the same or a newer Redis")
