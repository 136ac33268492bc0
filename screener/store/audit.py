"""The audit log of changes made by people: who, what, before and after, in a hash chain."""
from __future__ import annotations

from typing import Any, Callable

import redis

from screener.store.chain import GENESIS, ChainReport, HashChain, entry_hash
from screener.store.keys import Keys

__all__ = ["AuditLog", "ChainReport", "GENESIS", "entry_hash"]


class AuditLog:
    """Appends and verifies audit entries."""

    def __init__(self, client: redis.Redis, keys: Keys, after_append: Callable[[int], None] | None = None) -> None:
        self.client = client
        self.keys = keys
        self.chain = HashChain(client, keys.audit_log(), keys.audit_head())
        self.after_append = after_append  # told the entry count after each append (a checkpoint may be due)

    def append(self, actor: str, action: str, target: str, before: Any = None, after: Any = None) -> str:
        """Append one entry; returns its hash."""
        digest, count = self.chain.append_counted(
            {"actor": actor, "action": action, "target": target, "before": before, "after": after})
        if self.after_append is not None:
            self.after_append(count)
        return digest

    def append_once(self, marker: str, actor: str, action: str, target: str, before: Any = None,
                    after: Any = None, keep_seconds: int = 0) -> str | None:
        """Append one entry unless the key `marker` exists, and set it in the same transaction: a job run
        again after it was killed records its one entry once. Returns the hash, None if it was there."""
        digest, count = self.chain.append_counted(
            {"actor": actor, "action": action, "target": target, "before": before, "after": after},
            once=marker, once_ttl=keep_seconds)
        if not digest:
            return None
        if self.after_append is not None:
            self.after_append(count)
        return digest

    def entries(self, start: int = 0, end: int = -1) -> list[dict[str, Any]]:
        return self.chain.entries(start, end)

    def verify(self) -> ChainReport:
        return self.chain.verify()
