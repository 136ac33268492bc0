"""Append-only hash chains in Redis: each entry carries the SHA-256 of the one before, so an edit,
a removal or a reordering is detectable. The audit log and the evidence log are both chains."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import redis

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


class HashChain:
    """One chain: a Redis list of JSON entries and a key holding the newest hash."""

    def __init__(self, client: redis.Redis, log_key: str, head_key: str) -> None:
        self.client = client
        self.log_key = log_key
        self.head_key = head_key

    def append(self, body: dict[str, Any]) -> str:
        """Append one entry (an `at` time and the `prev` link are added); concurrent writers are
        serialised by an optimistic WATCH on the head."""
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.head_key)
                    prev = (pipe.get(self.head_key) or GENESIS.encode()).decode()
                    full = {"at": time.time(), **body, "prev": prev}
                    digest = entry_hash(prev, full)
                    pipe.multi()
                    pipe.rpush(self.log_key, json.dumps({**full, "hash": digest}, sort_keys=True, ensure_ascii=False))
                    pipe.set(self.head_key, digest)
                    pipe.execute()
                    return digest
                except redis.WatchError:
                    continue

    def entries(self, start: int = 0, end: int = -1) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.client.lrange(self.log_key, start, end)]

    def __len__(self) -> int:
        return int(self.client.llen(self.log_key))

    def verify(self) -> ChainReport:
        """Recompute the chain; report the first entry whose hash or link does not match."""
        prev = GENESIS
        entries = self.entries()
        for index, record in enumerate(entries):
            body = {k: v for k, v in record.items() if k != "hash"}
            if body.get("prev") != prev or entry_hash(prev, body) != record.get("hash"):
                return ChainReport(len(entries), index)
            prev = record["hash"]
        head = self.client.get(self.head_key)
        if entries and (head or b"").decode() != prev:
            return ChainReport(len(entries), len(entries) - 1)
        if not entries and head:
            return ChainReport(0, 0)  # the whole log was deleted
        return ChainReport(len(entries), None)
