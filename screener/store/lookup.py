"""Everything a call decision needs from Redis, in one round trip, with the lines cached in memory."""
from __future__ import annotations

import threading

import redis

from screener.model import Line, ListMatches
from screener.numbers import Caller
from screener.store.blocklist import prefix_fields
from screener.store.keys import Keys
from screener.store.lines import Lines


class CallLookup:
    """Per-process reader for the webhook.

    Line settings are kept in memory and reloaded only when their version changes; the copy also
    serves as the "last known settings" when Redis cannot be reached.
    """

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._lines = Lines(client, keys)
        self._version = -1
        self._known_lines: dict[str, Line] = {}
        self._lock = threading.Lock()

    def known_line(self, number: str) -> Line | None:
        """The last settings seen for a line, without touching Redis."""
        return self._known_lines.get(number)

    def lookup(self, caller: Caller, line_number: str) -> tuple[Line | None, ListMatches]:
        """The line and what the lists say about the caller. Raises redis errors when unreachable."""
        pipe = self.client.pipeline(transaction=False)
        pipe.get(self.keys.lines_version())
        if caller.e164:
            digits = caller.e164[1:]
            pipe.sismember(self.keys.allowlist(line_number), caller.e164)
            pipe.hget(self.keys.blocklist_bucket(digits), digits)
            pipe.hmget(self.keys.blocklist_prefixes(), prefix_fields(caller.e164))
        results = pipe.execute()
        self._refresh_lines(int(results[0] or 0))
        line = self._known_lines.get(line_number)
        if not caller.e164:
            return line, ListMatches()
        allowlisted, exact, prefixes = results[1], results[2], results[3]
        if exact is not None:
            return line, ListMatches(bool(allowlisted), caller.e164, exact.decode())
        digits = caller.e164[1:]
        for length in range(len(prefixes), 0, -1):  # the longest prefix is the most specific
            meta_id = prefixes[length - 1]
            if meta_id is not None:
                return line, ListMatches(bool(allowlisted), "+" + digits[:length] + "*", meta_id.decode())
        return line, ListMatches(bool(allowlisted))

    def _refresh_lines(self, version: int) -> None:
        if version == self._version:
            return
        with self._lock:
            if version != self._version:
                self._version, self._known_lines = self._lines.snapshot()
