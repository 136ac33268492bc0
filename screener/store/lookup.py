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
        # Version and lines are swapped in as one tuple, so a reader never pairs a new version with old lines.
        self._snapshot: tuple[int, dict[str, Line]] = (-1, {})
        self._lock = threading.Lock()

    def known_line(self, number: str) -> Line | None:
        """The last settings seen for a line, without touching Redis."""
        return self._snapshot[1].get(number)

    def current(self, number: str) -> tuple[int, Line | None]:
        """The cached version and the line's settings at that version."""
        version, lines = self._snapshot
        return version, lines.get(number)

    @property
    def version(self) -> int:
        return self._snapshot[0]

    def refresh(self) -> None:
        """Read every line again (one round trip). Raises redis errors when unreachable."""
        with self._lock:
            self._snapshot = self._lines.snapshot()
