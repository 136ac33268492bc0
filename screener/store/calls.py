"""The call log: one record per CallSid, a stream for order, an index per caller (by keyed hash)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import redis

from screener.store.keys import Keys

# KEYS: call hash, stream, by-caller zset, encrypted-number key, campaign window, campaign flag
# ARGV: ttl, encrypted number ('' for none), at, link hash ('' for none), campaign identity ('' for none),
#       window seconds, distinct-lines threshold, calls-on-one-line threshold, line, then field/value pairs
# Returns 0 for a CallSid logged before, 1 when logged, 2 when logged and a campaign was newly detected.
_RECORD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
local sid = ARGV[11]
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('XADD', KEYS[2], '*', 'sid', sid)
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[3], ARGV[3], sid) end
if ARGV[2] ~= '' then redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[1]) end
if ARGV[5] == '' then return 1 end
local now, window = tonumber(ARGV[3]), tonumber(ARGV[6])
redis.call('ZADD', KEYS[5], now, ARGV[9] .. '|' .. sid)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - window)
redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -1001)
redis.call('EXPIRE', KEYS[5], window)
local lines, on_this_line, distinct = {}, 0, 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  local line = string.match(member, '^(.*)|')
  if not lines[line] then lines[line] = true; distinct = distinct + 1 end
  if line == ARGV[9] then on_this_line = on_this_line + 1 end
end
if distinct >= tonumber(ARGV[7]) or on_this_line >= tonumber(ARGV[8]) then
  if redis.call('SET', KEYS[6], now, 'NX', 'EX', window) then return 2 end
end
return 1
"""

# KEYS: call hash, stream. ARGV: status, duration ('' for none), at, sid
_STATUS = """
local created = redis.call('EXISTS', KEYS[1]) == 0
if redis.call('HSETNX', KEYS[1], 'st:' .. ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[3])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'duration', ARGV[2]) end
if created then
  redis.call('HSET', KEYS[1], 'sid', ARGV[4], 'at', ARGV[3], 'action', 'unknown',
             'reason', 'no decision logged (store was unreachable when the call arrived)')
  redis.call('XADD', KEYS[2], '*', 'sid', ARGV[4])
end
return 1
"""


CAMPAIGN_DETECTED = 2


@dataclass(frozen=True)
class CampaignRule:
    """When calls from one number (or prefix) become a campaign: within `window_seconds`, calls to
    `distinct_lines` different lines, or `calls_on_one_line` calls to the same line."""

    window_seconds: int = 3600
    distinct_lines: int = 3
    calls_on_one_line: int = 5


@dataclass(frozen=True)
class CallRecord:
    """What the call log keeps about one call at the moment of decision."""

    sid: str
    line: str
    at: int
    caller_kind: str
    action: str
    rule: str
    reason: str
    entry: str = ""
    caller: str = ""  # the full number: only for blocked callers, whose numbers are evidence
    caller_masked: str = ""
    caller_hash: str = ""
    degraded: bool = False

    def fields(self) -> dict[str, str]:
        return {
            "sid": self.sid,
            "line": self.line,
            "at": str(self.at),
            "caller_kind": self.caller_kind,
            "action": self.action,
            "rule": self.rule,
            "reason": self.reason,
            "entry": self.entry,
            "caller": self.caller,
            "caller_masked": self.caller_masked,
            "caller_hash": self.caller_hash,
            "degraded": "1" if self.degraded else "0",
            "status": "ringing",
        }


class CallLog:
    """Writes and reads the call log."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._record = client.register_script(_RECORD)
        self._status = client.register_script(_STATUS)

    def record(self, call: CallRecord, encrypted_number: str = "", retention_seconds: int = 0,
               campaign: CampaignRule | None = None, campaign_identity: str = "") -> int:
        """Log a decision once per CallSid, atomically, and count it in the caller's campaign window.

        Returns 0 when this CallSid was logged already, 1 when logged, CAMPAIGN_DETECTED when this call
        crossed a campaign threshold (reported once per window and identity).
        """
        flat: list[str] = []
        for key, value in call.fields().items():
            flat += [key, value]
        k = self.keys
        rule = campaign or CampaignRule()
        identity = campaign_identity if campaign else ""
        return int(self._record(
            keys=[k.call(call.sid), k.call_stream(), k.calls_by_caller(call.caller_hash or "-"),
                  k.call_number(call.sid), k.campaign_window(identity or "-"), k.campaign_flag(identity or "-")],
            args=[max(retention_seconds, 1), encrypted_number, call.at, call.caller_hash, identity,
                  rule.window_seconds, rule.distinct_lines, rule.calls_on_one_line, call.line, *flat],
        ))

    def update_status(self, sid: str, status: str, duration: str, at: int) -> bool:
        """Apply a status callback once; False for a repeat of one already applied."""
        return bool(self._status(keys=[self.keys.call(sid), self.keys.call_stream()], args=[status, duration, at, sid]))

    def set_fields(self, sid: str, values: Mapping[str, str]) -> None:
        """Add facts to an existing call record (alert delivery, screening outcome)."""
        self.client.hset(self.keys.call(sid), mapping=dict(values))

    def get(self, sid: str) -> dict[str, str] | None:
        raw = self.client.hgetall(self.keys.call(sid))
        return {k.decode(): v.decode() for k, v in raw.items()} or None

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

    def history(self, link_hash: str, count: int = 50) -> list[str]:
        """CallSids of one caller's calls, newest first."""
        return [s.decode() for s in self.client.zrevrange(self.keys.calls_by_caller(link_hash), 0, count - 1)]
