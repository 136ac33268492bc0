"""The audit log of changes made by people: append-only, each entry hash-chained to the one before."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import redis

from screener.store.keys import Keys

GENESIS = "0" * 64


def entry_hash(prev: str, body: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the entry body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The result of checking a chain: where it first breaks, if anywhere."""

    entries: int
    first_bad: int | None  # index of the first entry that does not verify

    @property
    def ok(self) -> bool:
        return self.first_bad is None


class AuditLog:
    """Appends and verifies audit entries."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def append(self, actor: str, action: str, target: str, before: Any = None, after: Any = None) -> str:
        """Append one entry; concurrent writers are serialised by an optimistic WATCH on the head."""
        head_key, log_key = self.keys.audit_head(), self.keys.audit_log()
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(head_key)
                    prev = (pipe.get(head_key) or GENESIS.encode()).decode()
                    body = {
                        "at": time.time(),
                        "actor": actor,
                        "action": action,
                        "target": target,
                        "before": before,
                        "after": after,
                        "prev": prev,
                    }
                    digest = entry_hash(prev, body)
                    record = json.dumps({**body, "hash": digest}, sort_keys=True, ensure_ascii=False)
                    pipe.multi()
                    pipe.rpush(log_key, record)
                    pipe.set(head_key, digest)
                    pipe.execute()
                    return digest
                except redis.WatchError:
                    continue

    def entries(self, start: int = 0, end: int = -1) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.client.lrange(self.keys.audit_log(), start, end)]

    def verify(self) -> ChainReport:
        """Recompute the chain; report the first entry whose hash or link does not match."""
        prev = GENESIS
        entries = self.entries()
        for index, record in enumerate(entries):
            body = {k: v for k, v in record.items() if k != "hash"}
            if body.get("prev") != prev or entry_hash(prev, body) != record.get("hash"):
                return ChainReport(len(entries), index)
            prev = record["hash"]
        head = self.client.get(self.keys.audit_head())
        if entries and (head or b"").decode() != prev:
            return ChainReport(len(entries), len(entries) - 1)
        return ChainReport(len(entries), None)
