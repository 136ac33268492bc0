"""The call log: one record per CallSid, a stream for order, an index per caller (by keyed hash).

A call's record is written by the webhook's round trip (screener/store/call_path.py); this module
updates and reads it."""
from __future__ import annotations

from typing import Mapping, Sequence

import redis

from screener.store import scripts
from screener.model import CallRecord
from screener.store.caller_links import CallerLinks
from screener.store.keys import Keys


class CallLog:
    """Writes and reads the call log."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._status = scripts.register(client, "call_status")

    def update_status(self, sid: str, status: str, duration: str, at: int) -> bool:
        """Apply a status callback once; False for a repeat of one already applied."""
        return bool(self._status(keys=[self.keys.call(sid), self.keys.call_stream(), self.keys.calls_unsettled()],
                                 args=[status, duration, at, sid]))

    def unsettled(self, arrived_before: int, count: int = 500) -> list[str]:
        """CallSids of calls that arrived before then and that reconciliation has not settled, oldest first."""
        found = self.client.zrangebyscore(self.keys.calls_unsettled(), "-inf", arrived_before, start=0, num=count)
        return [sid.decode() for sid in found]

    def settle(self, sid: str) -> None:
        """Reconciliation has accounted for every callback of the call."""
        self.client.zrem(self.keys.calls_unsettled(), sid)

    def set_fields(self, sid: str, values: Mapping[str, str]) -> None:
        """Add facts to an existing call record (alert delivery, screening outcome)."""
        self.client.hset(self.keys.call(sid), mapping=dict(values))

    def get(self, sid: str) -> dict[str, str] | None:
        """The call's hash as stored, every field (what the evidence chain seals); `record` reads it typed."""
        raw = self.client.hgetall(self.keys.call(sid))
        return {k.decode(): v.decode() for k, v in raw.items()} or None

    def record(self, sid: str) -> CallRecord | None:
        """The call's record, typed; None for a call never logged."""
        fields = self.get(sid)
        return CallRecord.from_hash(fields) if fields else None

    def encrypted_number(self, sid: str) -> str | None:
        raw = self.client.get(self.keys.call_number(sid))
        return raw.decode() if raw else None

    def recent(self, count: int = 50) -> list[dict[str, str]]:
        """The newest calls first."""
        entries = self.client.xrevrange(self.keys.call_stream(), count=count)
        pipe = self.client.pipeline(transaction=False)
        for _, fields in entries:
            pipe.hgetall(self.keys.call(fields[b"sid"].decode()))
        return [{k.decode(): v.decode() for k, v in raw.items()} for raw in pipe.execute() if raw]

    def history(self, link_hash: str | Sequence[str], count: int = 50) -> list[str]:
        """CallSids of one caller's calls, newest first; several hashes while SCREENER_SECRET_KEY changes."""
        return CallerLinks(self.client, self.keys).sids(link_hash, count)
