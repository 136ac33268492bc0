"""The webhook's in-memory copy of the line settings, refreshed only when their version changes.

The copy also serves as the "last known settings" when Redis cannot be reached.
"""
from __future__ import annotations

import threading

import redis

from screener.model import Line
from screener.store.keys import Keys
from screener.store.lines import Lines


class CallLookup:
    """Per-process cache of every line, with the version it was read at."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._lines = Lines(client, keys)
        self.version = -1
        self._known_lines: dict[str, Line] = {}
        self._lock = threading.Lock()

    def known_line(self, number: str) -> Line | None:
        """The last settings seen for a line, without touching Redis."""
        return self._known_lines.get(number)

    def refresh(self) -> None:
        """Read every line again (one round trip). Raises redis errors when unreachable."""
        with self._lock:
            self.version, self._known_lines = self._lines.snapshot()
