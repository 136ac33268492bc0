"""How full Redis is (INFO memory), and the once-a-day flag for telling the admins."""
from __future__ import annotations

from dataclasses import dataclass

import redis

from screener.store.keys import Keys

ALERT_EVERY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class MemoryUse:
    """Redis's memory in bytes: what it uses and the limit it is measured against."""

    used: int
    limit: int

    @property
    def percent(self) -> int:
        return self.used * 100 // self.limit if self.limit else 0


class RedisMemory:
    """Reads Redis's memory use; `limit_bytes` stands in for maxmemory when Redis has none (0: the machine's)."""

    def __init__(self, client: redis.Redis, keys: Keys, limit_bytes: int = 0) -> None:
        self.client = client
        self.keys = keys
        self.limit_bytes = limit_bytes

    def use(self) -> MemoryUse:
        """One INFO call (a read: it works when Redis is full)."""
        info = self.client.info("memory")
        limit = int(info.get("maxmemory") or 0) or self.limit_bytes or int(info.get("total_system_memory") or 0)
        return MemoryUse(int(info["used_memory"]), limit)

    def claim_alert(self) -> bool:
        """True for the first caller in ALERT_EVERY_SECONDS: that one tells the admins."""
        return bool(self.client.set(self.keys.memory_alert(), "1", nx=True, ex=ALERT_EVERY_SECONDS))
