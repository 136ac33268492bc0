"""One caller's calls across changes of SCREENER_SECRET_KEY.

A call is indexed under its caller's link hash (calls:by:<hash>), a keyed hash of the number that changes
with the secret. When the secret changes, the old hash's index is merged into the new hash's (by the
webhook on the caller's next call, or by `screener secret rewrap`) and the old hash is noted as moved:
the call records keep the hash they were logged with (the evidence chain seals it), so a page reached
from an older call still finds the caller's every call."""
from __future__ import annotations

from typing import Iterable, Iterator

import redis

from screener.store.keys import Keys

MOVES_FOLLOWED = 8  # one per change of the secret; more than a deployment will ever chain


class CallerLinks:
    """Finds and merges the per-caller call indexes."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def current_of(self, hashes: Iterable[str]) -> dict[str, str]:
        """Each hash mapped to the hash whose index now holds its calls (itself unless it was moved)."""
        final = {h: h for h in hashes if h}
        pending = list(dict.fromkeys(final.values()))
        for _ in range(MOVES_FOLLOWED):
            if not pending:
                break
            moved = self.client.hmget(self.keys.callers_moved(), pending)
            step = {h: m.decode() for h, m in zip(pending, moved) if m is not None}
            final = {start: step.get(now, now) for start, now in final.items()}
            pending = list(dict.fromkeys(step.values()))
        return final

    def sids(self, hashes: str | Iterable[str], count: int) -> list[str]:
        """CallSids of the calls indexed under these hashes (after their moves), newest first."""
        indexes = list(dict.fromkeys(self.current_of([hashes] if isinstance(hashes, str) else hashes).values()))
        if len(indexes) == 1:
            return [s.decode() for s in self.client.zrevrange(self.keys.calls_by_caller(indexes[0]), 0, count - 1)]
        pipe = self.client.pipeline(transaction=False)
        for h in indexes:
            pipe.zrevrange(self.keys.calls_by_caller(h), 0, count - 1, withscores=True)
        merged = {sid.decode(): at for found in pipe.execute() for sid, at in found}
        return sorted(merged, key=lambda sid: merged[sid], reverse=True)[:count]

    def move(self, old: str, new: str) -> bool:
        """Merge old's index into new's and note the move, atomically; False when old has no index."""
        old_key, new_key = self.keys.calls_by_caller(old), self.keys.calls_by_caller(new)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.exists(old_key)
            pipe.zunionstore(new_key, [new_key, old_key], aggregate="MAX")
            pipe.delete(old_key)
            pipe.hset(self.keys.callers_moved(), old, new)
            existed = pipe.execute()[0]
        return bool(existed)

    def indexed(self) -> Iterator[str]:
        """Every link hash that has an index of calls."""
        start = len(self.keys.calls_by_caller(""))
        for key in self.client.scan_iter(match=self.keys.calls_by_caller("*"), count=1000):
            yield key.decode()[start:]
