"""Changes proposed by one person and waiting for a second (the two-person rule), whatever they change.

A pending change is not in effect: nothing reads it but the pages that show it. `kind` names the domain
operation that would apply it, `target` what it changes (an entry, `line:caller`, a line, an account), and
`before`/`after` what a second person is asked to confirm, as JSON values."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import redis

from screener.store.keys import Keys


def change_id(kind: str, target: str) -> str:
    """One pending change per kind and target; the id is safe in a URL."""
    return hashlib.sha256(f"{kind}\0{target}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PendingChange:
    """What one person proposed to change, and who proposed it when."""

    id: str
    kind: str
    target: str
    before: Any
    after: Any
    proposed_by: str
    proposed_at: int


class PendingChanges:
    """Reads and writes pending changes (one hash: id -> JSON)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = keys.pending_changes()

    def propose(self, kind: str, target: str, before: Any, after: Any, by: str) -> PendingChange | None:
        """The change as stored; None when a change of this kind to this target is already waiting."""
        change = PendingChange(change_id(kind, target), kind, target, before, after, by, int(time.time()))
        record = {"kind": kind, "target": target, "before": before, "after": after, "proposed_by": by,
                  "proposed_at": change.proposed_at}
        if not self.client.hsetnx(self.key, change.id, json.dumps(record, ensure_ascii=False)):
            return None
        return change

    def all(self, *kinds: str) -> list[PendingChange]:
        """Every waiting change (of the given kinds), oldest first."""
        found = (self._load(k.decode(), v) for k, v in self.client.hgetall(self.key).items())
        return sorted((c for c in found if not kinds or c.kind in kinds), key=lambda c: c.proposed_at)

    def get(self, id: str) -> PendingChange | None:
        raw = self.client.hget(self.key, id)
        return self._load(id, raw) if raw else None

    def take(self, id: str) -> PendingChange | None:
        """Remove a change and return it (once: two people deciding at once get it once)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hget(self.key, id)
        pipe.hdel(self.key, id)
        raw, removed = pipe.execute()
        return self._load(id, raw) if raw and removed else None

    def put_back(self, change: PendingChange) -> None:
        """Restore a change taken by someone who may not decide it."""
        record = {"kind": change.kind, "target": change.target, "before": change.before, "after": change.after,
                  "proposed_by": change.proposed_by, "proposed_at": change.proposed_at}
        self.client.hsetnx(self.key, change.id, json.dumps(record, ensure_ascii=False))

    @staticmethod
    def _load(id: str, raw: bytes) -> PendingChange:
        data = json.loads(raw)
        return PendingChange(id, data["kind"], data["target"], data["before"], data["after"], data["proposed_by"],
                             data["proposed_at"])
