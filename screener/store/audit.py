"""The audit log of changes made by people: who, what, before and after, in a hash chain."""
from __future__ import annotations

from typing import Any

import redis

from screener.store.chain import GENESIS, ChainReport, HashChain, entry_hash
from screener.store.keys import Keys

__all__ = ["AuditLog", "ChainReport", "GENESIS", "entry_hash"]


class AuditLog:
    """Appends and verifies audit entries."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.chain = HashChain(client, keys.audit_log(), keys.audit_head())

    def append(self, actor: str, action: str, target: str, before: Any = None, after: Any = None) -> str:
        """Append one entry; returns its hash."""
        return self.chain.append({"actor": actor, "action": action, "target": target, "before": before, "after": after})

    def entries(self, start: int = 0, end: int = -1) -> list[dict[str, Any]]:
        return self.chain.entries(start, end)

    def verify(self) -> ChainReport:
        return self.chain.verify()
