"""Write a spooled call record into the call log, once per CallSid (screener/store/lua/call_replay.lua)."""
from __future__ import annotations

from dataclasses import dataclass

import redis

from screener.store import scripts
from screener.store.keys import Keys

WRITTEN, FILLED_IN = 1, 2


@dataclass(frozen=True)
class SpooledCall:
    """A call record as the webhook would have written it, kept in the spool until Redis takes it."""

    sid: str
    line: str
    at: int
    caller_kind: str
    caller_masked: str
    caller_hash: str
    caller: str  # in full only for a blocked caller
    encrypted_number: str
    retention_seconds: int
    action: str
    rule: str
    reason: str
    entry: str
    degraded: bool
    why: str  # redis_unreachable, redis_full, or unreplicated (a copy of a record WAIT could not confirm)


class CallReplay:
    """Runs call_replay.lua."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.keys = keys
        self._script = scripts.register(client, "call_replay")

    def write(self, call: SpooledCall) -> int:
        """0 when the call was logged before, WRITTEN, or FILLED_IN into a record a callback started."""
        k = self.keys
        return int(self._script(
            keys=[k.call(call.sid), k.call_stream(), k.calls_unsettled(), k.calls_by_caller(call.caller_hash or "-"),
                  k.call_number(call.sid)],
            args=[call.sid, call.line, call.at, call.caller_kind, call.caller_masked, call.caller_hash, call.caller,
                  call.encrypted_number, max(call.retention_seconds, 1), call.action, call.rule, call.reason,
                  call.entry, "1" if call.degraded else "0", call.why]))
