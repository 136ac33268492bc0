"""The webhook's single Redis round trip: read the lists, pick one of the pre-made decisions, log the
call and count it in its campaign window, atomically, in one Lua call.

The decision logic stays in Python (screener/policy.py): before the round trip the webhook asks the
policy what it would decide for each possible list outcome (allowlisted / blocklisted / screen-listed /
on no list); the script only finds out which outcome holds and records that decision. So a call costs
one round trip, and the policy is still a pure, tested function. The script is
screener/store/lua/call_path.lua.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import redis
from hiredis import pack_command
from redis.connection import Connection
from redis.exceptions import NoScriptError

from screener.model import ENTRY_PLACEHOLDER as ENTRY
from screener.model import LIST_OUTCOMES as OUTCOMES
from screener.model import SCREEN_META_PREFIX, Decision
from screener.store import scripts
from screener.store.blocklist import prefix_fields
from screener.store.connection import UNREACHABLE
from screener.store.keys import Keys

_SCRIPT = "call_path"  # screener/store/lua/call_path.lua: its KEYS and ARGV are documented there


class StaleLines(Exception):
    """The lines changed since this process cached them: refresh and decide again."""


@dataclass(frozen=True)
class CallFacts:
    """What the webhook knows of a call before the round trip."""

    sid: str
    line: str
    at: int
    caller_e164: str  # '' when the caller ID is not a number
    caller_kind: str
    caller_masked: str
    caller_hash: str
    encrypted_number: str
    retention_seconds: int
    previous_caller_hash: str = ""  # the hash under SCREENER_SECRET_KEY_OLD while the secret is changed


@dataclass(frozen=True)
class Campaign:
    """Thresholds: within `window_seconds` (0 = off), `distinct_lines` lines or `calls_on_one_line` calls."""

    window_seconds: int = 3600
    distinct_lines: int = 3
    calls_on_one_line: int = 5


@dataclass(frozen=True)
class Outcome:
    """What the round trip found and did."""

    decision: Decision
    outcome: str  # one of OUTCOMES
    logged: bool  # False when this CallSid was logged before (Twilio retried the webhook)
    campaign: bool  # True when this call crossed a campaign threshold (once per window and identity)
    identity: str  # what the campaign window counts: the caller's keyed hash, or `p:<prefix entry>`
    replicated: bool = True  # False when WAIT said too few replicas had the write (it may not survive a failover)


def _with_entry(chosen: Decision, entry: str) -> Decision:
    """The pre-made decision with the matching entry in place of its placeholder."""
    if entry and chosen.entry == ENTRY:
        return Decision(chosen.action, chosen.rule, chosen.reason.replace(ENTRY, entry), entry, chosen.degraded)
    return chosen


def choose_outcome(facts: CallFacts, candidates: dict[str, Decision], allowed: bool, entry: str,
                   meta: str) -> Outcome:
    """The pre-made decision that call_path.lua would pick for what the lists said (allowlisted, the matching
    entry and its metadata id), with the entry as the log shows it; nothing logged. For reads made without
    the script: Redis full (read only), or the process's local copy of the lists while Redis is down."""
    if allowed:
        outcome = "allowlisted"
    elif entry:
        outcome = "screenlisted" if meta.startswith(SCREEN_META_PREFIX) else "blocklisted"
    else:
        outcome = "unlisted"
    chosen = candidates[outcome]
    keep_full = chosen.rule == "blocklist" and chosen.action.value == "block"
    shown = entry if not entry or entry.endswith("*") or keep_full else facts.caller_masked
    identity = "p:" + entry if entry.endswith("*") else facts.caller_hash
    return Outcome(_with_entry(chosen, shown), outcome, logged=False, campaign=False, identity=identity)


class CallPath:
    """Runs the webhook's script."""

    def __init__(self, client: redis.Redis, keys: Keys, wait_replicas: int = 0, wait_ms: int = 50) -> None:
        """With wait_replicas, every call's write is followed, in the same round trip, by WAIT for that many
        replicas (at most wait_ms): the write then survives a failover, or the caller learns it may not."""
        self.client = client
        self.keys = keys
        self._threads = threading.local()
        self._sha = scripts.sha(_SCRIPT)
        self.wait_replicas = wait_replicas
        self._wait = pack_command(("WAIT", wait_replicas, wait_ms)) if wait_replicas else None

    def decide_and_log(self, facts: CallFacts, candidates: dict[str, Decision], lines_version: int,
                       campaign: Campaign) -> Outcome:
        """One round trip. Raises StaleLines when the line settings changed, redis errors when unreachable."""
        k = self.keys
        digits = facts.caller_e164[1:]
        prefixes = prefix_fields(facts.caller_e164) if digits else []
        # ARGV in the groups screener/store/lua/call_path.lua names: the lines, the call, the campaign, the
        # change of the secret, the candidates, then the prefixes, last because how many there are depends on the caller's number.
        args: list[object] = [
            lines_version,
            digits, facts.at, max(facts.retention_seconds, 1), facts.encrypted_number, facts.caller_hash,
            facts.caller_e164, facts.sid, facts.line, facts.caller_kind, facts.caller_masked,
            campaign.window_seconds, campaign.distinct_lines, campaign.calls_on_one_line, k.prefix,
            facts.previous_caller_hash,
        ]
        for name in OUTCOMES:
            decision = candidates[name]
            keep_full = decision.rule == "blocklist" and decision.action.value == "block"
            args += [decision.action.value, decision.rule, decision.reason, "1" if keep_full else ""]
        args += prefixes
        result = self._run([k.lines_version(), k.allowlist(facts.line), k.blocklist_bucket(digits or "-"),
                            k.blocklist_prefixes(), k.call(facts.sid), k.call_stream(),
                            k.calls_by_caller(facts.caller_hash or "-"), k.call_number(facts.sid),
                            k.calls_unsettled(), k.calls_by_caller(facts.previous_caller_hash or "-"),
                            k.callers_moved()], args)
        status = result[0].decode()
        if status == "stale":
            raise StaleLines(result[1].decode())
        outcome = OUTCOMES[int(result[1]) - 1]
        chosen = _with_entry(candidates[outcome], result[2].decode())
        replicated = self._wait is None or getattr(self._threads, "acks", 0) >= self.wait_replicas
        return Outcome(chosen, outcome, status != "dup", status == "campaign", result[3].decode(), replicated)

    def decide_read_only(self, facts: CallFacts, candidates: dict[str, Decision], lines_version: int) -> Outcome:
        """The decision the script would pick, from reads alone (one pipelined round trip), logging nothing:
        for when Redis is full and refuses the script's writes. Follows call_path.lua's reading part."""
        k = self.keys
        digits = facts.caller_e164[1:]
        prefixes = prefix_fields(facts.caller_e164) if digits else []
        pipe = self.client.pipeline(transaction=False)
        pipe.get(k.lines_version())
        if digits:
            pipe.sismember(k.allowlist(facts.line), "+" + digits)
            pipe.hget(k.blocklist_bucket(digits), digits)
            if prefixes:
                pipe.hmget(k.blocklist_prefixes(), prefixes)
        version, *found = pipe.execute()
        if int(version or 0) != lines_version:
            raise StaleLines((version or b"0").decode())
        allowed, exact, by_prefix = (found + [None])[:3] if found else (False, None, None)
        entry, meta = "", ""
        if exact is not None:
            entry, meta = "+" + digits, exact.decode()
        else:
            for field, value in reversed(list(zip(prefixes, by_prefix or []))):
                if value is not None:
                    entry, meta = "+" + field + "*", value.decode()
                    break
        return choose_outcome(facts, candidates, bool(allowed), entry, meta)

    def _run(self, keys: list[str], args: list[object]) -> list:
        """EVALSHA on this thread's own connection; once more on a new connection when that one turned out
        broken (Redis closed it while idle, restarted or failed over). Never after a timeout: the script
        may have reached Redis and run late, and a second run would find the call logged ("dup") and so
        skip its alert; a timeout goes to the caller's fallback answer instead.

        The command goes straight to a connection, packed by hiredis: redis-py's client machinery around
        one command (Script wrapper, pool checkout, retry and metrics hooks, argument packing in Python)
        cost more CPU than the rest of the call's client work together."""
        try:
            return self._evalsha(keys, args)
        except (redis.TimeoutError, TimeoutError):
            raise
        except UNREACHABLE:
            return self._evalsha(keys, args)

    def _evalsha(self, keys: list[str], args: list[object]) -> list:
        """Raises redis errors; unless Redis answered, the connection goes back to the pool, closed."""
        connection = self._connection()
        try:
            try:
                return self._send(connection, keys, args)
            except NoScriptError:  # Redis restarted, failed over or was flushed of scripts
                # Loaded on this same connection: with Sentinel, the pool's next one may be another server.
                connection.send_packed_command([pack_command(("SCRIPT", "LOAD", scripts.load(_SCRIPT)))])
                sha = connection.read_response()
                self._sha = sha.decode() if isinstance(sha, bytes) else sha
                return self._send(connection, keys, args)
        except redis.ResponseError:
            raise  # Redis answered in full: the connection is in order
        except BaseException:
            # Anything else (a timeout, a dropped connection, an interrupted read) may leave a reply
            # unread: close the connection and give it back. The pool reconnects it on its next use,
            # where the Sentinels then say the master is (a held connection would only ever reconnect
            # to the address it had).
            self._threads.connection = None
            connection.disconnect()
            self.client.connection_pool.release(connection)
            raise

    def _send(self, connection: Connection, keys: list[str], args: list[object]) -> list:
        command = pack_command(("EVALSHA", self._sha, len(keys), *keys, *args))
        if self._wait is None:
            connection.send_packed_command([command])
            return connection.read_response()
        connection.send_packed_command([command, self._wait])  # one round trip for both
        try:
            result = connection.read_response()
        except redis.ResponseError:
            connection.read_response()  # WAIT's reply, so that the connection stays in step
            raise
        self._threads.acks = connection.read_response()
        return result

    def _connection(self) -> Connection:
        """This thread's connection, taken from the shared pool (same settings, same Sentinel master) once.
        Held for the thread's life, which suits gunicorn's fixed gthread pool; a server with a thread per
        request would hold one connection per request."""
        connection = getattr(self._threads, "connection", None)
        if connection is None:
            connection = self._threads.connection = self.client.connection_pool.get_connection()
        return connection
