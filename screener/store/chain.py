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
        """Append one entry; returns its hash."""
        return self.append_counted(body)[0]

    def append_counted(self, body: dict[str, Any], once: str | None = None,
                       once_ttl: int = 0) -> tuple[str, int]:
        """Append one entry (an `at` time and the `prev` link are added); returns its hash and the number
        of entries now in the chain. Concurrent writers are serialised by an optimistic WATCH on the head.
        With `once` (a key): only if that key does not exist, which the same transaction then sets (for
        `once_ttl` seconds if given), so a job run again after a crash appends once; ("", 0) if it existed."""
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.head_key, *([once] if once else []))
                    if once and pipe.exists(once):
                        return "", 0
                    prev = (pipe.get(self.head_key) or GENESIS.encode()).decode()
                    full = {"at": time.time(), **body, "prev": prev}
                    digest = entry_hash(prev, full)
                    pipe.multi()
                    pipe.rpush(self.log_key, json.dumps({**full, "hash": digest}, sort_keys=True, ensure_ascii=False))
                    pipe.set(self.head_key, digest)
                    if once:
                        pipe.set(once, digest, ex=once_ttl or None)
                    count = pipe.execute()[0]
                    return digest, int(count)
                except redis.WatchError:
                    continue

    def entries(self, start: int = 0, end: int = -1) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.client.lrange(self.log_key, start, end)]

    def __len__(self) -> int:
        return int(self.client.llen(self.log_key))

    def hash_at(self, index: int) -> str | None:
        """The stored hash of the entry at `index` (GENESIS before the first), None past the end."""
        if index < 0:
            return GENESIS
        raw = self.client.lindex(self.log_key, index)
        return json.loads(raw).get("hash") if raw else None

    def tip(self) -> tuple[int, str]:
        """The number of entries and the newest entry's hash (GENESIS when empty), read together."""
        with self.client.pipeline(transaction=True) as pipe:
            pipe.llen(self.log_key)
            pipe.lindex(self.log_key, -1)
            count, last = pipe.execute()
        return int(count), (json.loads(last).get("hash", "") if last else GENESIS)

    def verify_since(self, start: int, prev: str) -> int | None:
        """Check the links and hashes of the entries from `start` on, `prev` being the hash before it
        (a checkpointed head): the index of the first that fails, or None. Cheaper than verify() on a
        long chain, since the part before `start` is vouched for by the checkpoint."""
        for index, record in enumerate(self.entries(start), start):
            body = {k: v for k, v in record.items() if k != "hash"}
            if body.get("prev") != prev or entry_hash(prev, body) != record.get("hash"):
                return index
            prev = record["hash"]
        return None

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
