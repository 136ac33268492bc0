"""Blocklist entries proposed by one curator and waiting for a second (the two-person rule).

A proposal is not on the list: the webhook never sees it until another curator confirms it."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import redis

from screener.store.blocklist import EntryMeta
from screener.store.keys import Keys


@dataclass(frozen=True)
class Proposal:
    """An entry, why it should be listed, and who proposed it when."""

    entry: str
    meta: EntryMeta
    proposed_by: str
    proposed_at: int


class Proposals:
    """Reads and writes proposals (one hash: entry -> JSON)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = keys.blocklist_proposals()

    def propose(self, entry: str, meta: EntryMeta, by: str) -> bool:
        """False when the entry is already waiting."""
        record = {"meta": asdict(meta), "proposed_by": by, "proposed_at": int(time.time())}
        return bool(self.client.hsetnx(self.key, entry, json.dumps(record, ensure_ascii=False)))

    def all(self) -> list[Proposal]:
        return sorted((self._load(k.decode(), v) for k, v in self.client.hgetall(self.key).items()),
                      key=lambda p: p.proposed_at)

    def get(self, entry: str) -> Proposal | None:
        raw = self.client.hget(self.key, entry)
        return self._load(entry, raw) if raw else None

    def take(self, entry: str) -> Proposal | None:
        """Remove a proposal and return it (once: two curators deciding at once get it once)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hget(self.key, entry)
        pipe.hdel(self.key, entry)
        raw, removed = pipe.execute()
        return self._load(entry, raw) if raw and removed else None

    @staticmethod
    def _load(entry: str, raw: bytes) -> Proposal:
        data = json.loads(raw)
        return Proposal(entry, EntryMeta(**data["meta"]), data["proposed_by"], data["proposed_at"])
