"""Signed checkpoints of the audit and evidence chains, kept outside Redis, so that cutting or re-hashing a
chain is detected: each checkpoint signs (Ed25519) every chain's entry count and head hash at a time.

The signing key is a file under the instance folder (never in Redis); the checkpoints are appended to a
file there, one JSON line each, which partners can copy and check with the public key alone:
the signature is over the canonical JSON (sorted keys, no spaces) of the line without its "signature".
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from screener.config import Settings
from screener.store.chain import HashChain

VERSION = 1
CHECKPOINT_PERIOD_SECONDS = 3600  # the worker checkpoints at least this often


class CheckpointError(RuntimeError):
    """A checkpoint cannot be made or read: the key is missing or the chains disagree with the last one."""


def canonical(body: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers: its JSON without "signature", keys sorted, no spaces."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64: what partners keep to check checkpoints."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at `path`; made there (mode 600, PEM) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    return load_key(path)


def load_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at `path`, or CheckpointError saying why not."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint key at {path}") from None
    except ValueError as exc:
        raise CheckpointError(f"{path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class Checkpoint:
    """One signed line of the checkpoints file: when, and each chain's entry count and head hash."""

    line: int  # 1-based line in the file
    at: str
    chains: dict[str, tuple[int, str]]  # name -> (entries, head)
    body: dict[str, Any]
    signature: str

    def signed_by(self, key: Ed25519PublicKey) -> bool:
        try:
            key.verify(base64.b64decode(self.signature), canonical(self.body))
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass
class CheckpointReport:
    """What `screener verify` says about the checkpoints: how many, the latest, and every problem."""

    checkpoints: int = 0
    latest: Checkpoint | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Checkpoints:
    """Makes and checks the signed checkpoints of some named chains."""

    def __init__(self, chains: dict[str, HashChain], key_path: Path, file_path: Path) -> None:
        self.chains = chains
        self.key_path = key_path
        self.file_path = file_path

    @classmethod
    def from_settings(cls, settings: Settings, chains: dict[str, HashChain]) -> "Checkpoints":
        return cls(chains, settings.checkpoint_key_path, settings.checkpoints_path)

    def public_key(self) -> str:
        """The public key (base64), making the key pair on first use."""
        return public_key_text(load_or_create_key(self.key_path).public_key())

    def read(self) -> tuple[list[Checkpoint], list[str]]:
        """Every checkpoint in the file, and a problem for each line that is not one."""
        found: list[Checkpoint] = []
        problems: list[str] = []
        if not self.file_path.exists():
            return found, problems
        with self.file_path.open(encoding="utf-8") as lines:
            for number, text in enumerate(lines, 1):
                try:
                    found.append(_parse(number, text))
                except (ValueError, KeyError, TypeError):
                    problems.append(f"{self.file_path}:{number}: not a checkpoint")
        return found, problems

    def make(self, now: datetime | None = None) -> Checkpoint:
        """Sign the chains' counts and heads and append the checkpoint to the file. Refuses (CheckpointError)
        when a chain no longer extends the latest checkpoint: signing it would bless the cut."""
        key = load_or_create_key(self.key_path)
        tips = {name: chain.tip() for name, chain in self.chains.items()}
        found, _ = self.read()
        if found:
            problems = self._compare(found[-1], tips, deep=True)
            if problems:
                raise CheckpointError("; ".join(problems))
        at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"version": VERSION, "at": at, "key": public_key_text(key.public_key()),
                "chains": {name: {"entries": count, "head": head} for name, (count, head) in tips.items()}}
        signature = base64.b64encode(key.sign(canonical(body))).decode()
        self._append({**body, "signature": signature})
        return Checkpoint(len(found) + 1, at, tips, body, signature)

    def check(self) -> CheckpointReport:
        """Every checkpoint's signature, and each chain against every checkpoint: fewer entries than it
        signed, or a different hash at its head's position, is a problem naming the checkpoint."""
        report = CheckpointReport()
        found, report.problems = self.read()
        report.checkpoints = len(found)
        if not found:
            return report
        report.latest = found[-1]
        try:
            public = load_key(self.key_path).public_key()
        except CheckpointError as exc:
            report.problems.append(f"cannot check signatures: {exc}")
            return report
        tips = {name: chain.tip() for name, chain in self.chains.items()}
        for checkpoint in found:
            if not checkpoint.signed_by(public):
                report.problems.append(f"{self.file_path}:{checkpoint.line}: bad signature")
                continue
            report.problems += self._compare(checkpoint, tips, deep=False)
        return report

    def _compare(self, checkpoint: Checkpoint, tips: dict[str, tuple[int, str]], deep: bool) -> list[str]:
        """How the chains now differ from what `checkpoint` signed (deep: also re-check every later entry)."""
        problems = []
        where = f"checkpoint {checkpoint.line} ({checkpoint.at})"
        for name, (signed_count, signed_head) in checkpoint.chains.items():
            chain = self.chains.get(name)
            if chain is None:
                continue
            count = tips[name][0]
            if count < signed_count:
                problems.append(f"{name}: {count} entries, but {where} signed {signed_count}: "
                                f"entries {count} to {signed_count - 1} are gone")
            elif chain.hash_at(signed_count - 1) != signed_head:
                problems.append(f"{name}: entry {signed_count - 1} is not the one {where} signed")
            elif deep:
                bad = chain.verify_since(signed_count, signed_head)
                if bad is not None:
                    problems.append(f"{name}: entry {bad} does not link to {where}")
        return problems

    def _append(self, record: dict[str, Any]) -> None:
        self.file_path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        with self.file_path.open("a", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)  # the worker and a command may both write
            out.write(line)
            out.flush()
            os.fsync(out.fileno())


def _parse(number: int, text: str) -> Checkpoint:
    record = json.loads(text)
    signature = record.pop("signature")
    chains = {name: (int(tip["entries"]), str(tip["head"])) for name, tip in record["chains"].items()}
    return Checkpoint(number, str(record["at"]), chains, record, str(signature))
