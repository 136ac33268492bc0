"""Watch Redis's memory: past SCREENER_REDIS_MEMORY_PERCENT of its limit, refuse uploads and imports (the call
path needs the room) and tell the admins, once a day while it lasts."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from screener import jobs
from screener.store.connection import FULL
from screener.store.memory import MemoryUse

if TYPE_CHECKING:
    from screener.services import Services

log = logging.getLogger("screener.memory")


class RedisMemoryHigh(Exception):
    """Redis is past the memory threshold: nothing large may be written to it now."""

    def __init__(self, percent: int, threshold: int) -> None:
        super().__init__(f"Redis memory at {percent}% (threshold {threshold}%)")
        self.percent = percent
        self.threshold = threshold


def check(svc: Services) -> MemoryUse:
    """Redis's memory use now; past the threshold the admins are alerted (the first time in a day)."""
    use = svc.memory.use()
    threshold = svc.settings.redis_memory_percent
    if use.percent >= threshold:
        try:
            if svc.memory.claim_alert():
                jobs.enqueue_memory_alert(svc.alerts, use.percent, threshold)
                log.warning("redis_memory_high percent=%d threshold=%d alerted=yes", use.percent, threshold)
        except FULL:  # at the very limit nothing can be queued: the log line and /readyz still say it
            log.error("redis_memory_high percent=%d threshold=%d alerted=no error=redis_full", use.percent, threshold)
    return use


def is_high(svc: Services, use: MemoryUse) -> bool:
    return use.percent >= svc.settings.redis_memory_percent


def refuse_when_high(svc: Services) -> None:
    """RedisMemoryHigh when Redis is past the threshold (an upload or an import would fill it further)."""
    use = check(svc)
    if is_high(svc, use):
        raise RedisMemoryHigh(use.percent, svc.settings.redis_memory_percent)
