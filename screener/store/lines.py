"""Lines (Twilio number -> destination and policy) and each line's allowlist."""
from __future__ import annotations

import redis

from screener.model import Line
from screener.store.keys import Keys


class Lines:
    """Reads and writes line settings; every change bumps a version the webhook's cache watches."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def save(self, line: Line) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.keys.lines(), line.number, line.to_json())
        pipe.incr(self.keys.lines_version())
        pipe.execute()

    def get(self, number: str) -> Line | None:
        raw = self.client.hget(self.keys.lines(), number)
        return Line.from_json(raw) if raw else None

    def all(self) -> dict[str, Line]:
        """Every line by its Twilio number."""
        return {k.decode(): Line.from_json(v) for k, v in self.client.hgetall(self.keys.lines()).items()}

    def snapshot(self) -> tuple[int, dict[str, Line]]:
        """The version and every line, read atomically."""
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.keys.lines_version())
        pipe.hgetall(self.keys.lines())
        try:
            version, raw = pipe.execute()
        except redis.exceptions.OutOfMemoryError:
            # Redis 7.0 refuses even a read-only MULTI when full: read without one, and trust the pair
            # only when the version did not move in between.
            version, raw = self._snapshot_without_transaction()
        return int(version or 0), {k.decode(): Line.from_json(v) for k, v in raw.items()}

    def _snapshot_without_transaction(self) -> tuple[bytes | None, dict]:
        for _ in range(3):
            pipe = self.client.pipeline(transaction=False)
            pipe.get(self.keys.lines_version())
            pipe.hgetall(self.keys.lines())
            pipe.get(self.keys.lines_version())
            before, raw, after = pipe.execute()
            if before == after:
                return before, raw
        raise RuntimeError("line settings kept changing while being read")

    def allow(self, line_number: str, caller: str) -> bool:
        """Put a caller on a line's allowlist; False when already there."""
        return self._change_allowlist("sadd", line_number, caller)

    def disallow(self, line_number: str, caller: str) -> bool:
        return self._change_allowlist("srem", line_number, caller)

    def _change_allowlist(self, command: str, line_number: str, caller: str) -> bool:
        """SADD or SREM, and bump the version the web processes' local copies watch (store/list_copy.py)."""
        pipe = self.client.pipeline(transaction=True)
        getattr(pipe, command)(self.keys.allowlist(line_number), caller)
        pipe.incr(self.keys.allowlists_version())
        changed, _ = pipe.execute()
        return bool(changed)

    def allowlist(self, line_number: str) -> set[str]:
        return {m.decode() for m in self.client.smembers(self.keys.allowlist(line_number))}
