"""Read-only views of the call log for the web page: filtered pages, one caller's history, daily counts."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Sequence

import redis

from screener.model import CallRecord
from screener.store.caller_links import CallerLinks
from screener.store.keys import Keys

SCAN_CHUNK = 200


@dataclass(frozen=True)
class CallPage:
    calls: list[CallRecord]
    next_before: str | None  # stream id to continue from (exclusive), or None at the end
    scanned_out: bool = False  # the scan limit stopped the search before the page was full


def _decode(raw: dict[bytes, bytes]) -> CallRecord | None:
    return CallRecord.from_hash({k.decode(): v.decode() for k, v in raw.items()}) if raw else None


class CallBrowser:
    """Pages through the call stream newest first; never writes."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def _load(self, sids: list[str]) -> list[CallRecord | None]:
        pipe = self.client.pipeline(transaction=False)
        for sid in sids:
            pipe.hgetall(self.keys.call(sid))
        return [_decode(raw) for raw in pipe.execute()]

    def page(self, before: str = "", line: str = "", action: str = "", limit: int = 50,
             scan_max: int = 5000) -> CallPage:
        """Newest calls first matching the filters, reading at most `scan_max` stream entries."""
        found: list[CallRecord] = []
        cursor, scanned = ("(" + before) if before else "+", 0
        while len(found) < limit and scanned < scan_max:
            chunk = self.client.xrevrange(self.keys.call_stream(), max=cursor, min="-", count=SCAN_CHUNK)
            if not chunk:
                return CallPage(found, None)
            scanned += len(chunk)
            ids = [entry_id.decode() for entry_id, _ in chunk]
            records = self._load([fields[b"sid"].decode() for _, fields in chunk])
            for entry_id, record in zip(ids, records):
                if record and (not line or record.line == line) and (not action or record.action == action):
                    found.append(record)
                    if len(found) == limit:
                        return CallPage(found, entry_id)
            cursor = "(" + ids[-1]
        return CallPage(found, cursor[1:] if cursor != "+" else None, scanned_out=scanned >= scan_max)

    def oldest_first(self, since_ms: int = 0, line: str = "", chunk: int = SCAN_CHUNK) -> Iterator[CallRecord]:
        """Every call since `since_ms` (stream time), oldest first, a chunk at a time (for exports)."""
        cursor = str(since_ms) if since_ms else "-"
        while True:
            entries = self.client.xrange(self.keys.call_stream(), min=cursor, max="+", count=chunk)
            if not entries:
                return
            for record in self._load([fields[b"sid"].decode() for _, fields in entries]):
                if record and (not line or record.line == line):
                    yield record
            cursor = "(" + entries[-1][0].decode()

    def by_caller(self, link_hash: str | Sequence[str], limit: int = 200) -> list[CallRecord]:
        """One caller's calls, newest first; several hashes while SCREENER_SECRET_KEY changes."""
        sids = CallerLinks(self.client, self.keys).sids(link_hash, limit)
        return [r for r in self._load(sids) if r]

    def since(self, seconds: int, scan_max: int = 50_000) -> list[CallRecord]:
        """Calls of the last `seconds` (at most `scan_max` of them), newest first."""
        start_ms = int((time.time() - seconds) * 1000)
        entries = self.client.xrevrange(self.keys.call_stream(), max="+", min=str(start_ms), count=scan_max)
        pipe = self.client.pipeline(transaction=False)
        for _, fields in entries:
            pipe.hmget(self.keys.call(fields[b"sid"].decode()), ["at", "action", "entry", "caller", "line"])
        calls = []
        for values in pipe.execute():
            at, action, entry, caller, line = (v.decode() if v is not None else "" for v in values)
            if at:
                calls.append(CallRecord(at=int(at), action=action, entry=entry, caller=caller, line=line))
        return calls

    def under_prefix(self, prefix: str, scan_max: int = 100_000) -> tuple[int, int]:
        """(calls a prefix entry would have blocked among those we can read, calls looked at): the newest
        `scan_max` calls. A call counts when its caller is stored in full (only blocked callers are) and
        starts with the prefix, or when the entry that matched it falls under the prefix. Other callers'
        numbers are stored only hashed and encrypted, and are not decrypted for a count: they are left out."""
        digits = prefix.rstrip("*")
        entries = self.client.xrevrange(self.keys.call_stream(), count=scan_max)
        pipe = self.client.pipeline(transaction=False)
        for _, fields in entries:
            pipe.hmget(self.keys.call(fields[b"sid"].decode()), ["caller", "entry"])
        matched = 0
        for caller, entry in pipe.execute():
            readable = [v.decode() for v in (caller, entry) if v]
            if any(v.startswith(digits) and "\u2022" not in v for v in readable):
                matched += 1
        return matched, len(entries)


def daily_counts(calls: list[CallRecord], days: int, today: float | None = None) -> tuple[list[str], dict[str, list[int]]]:
    """(dates oldest first, action -> count per date) in UTC."""
    today = today or time.time()
    dates = [time.strftime("%Y-%m-%d", time.gmtime(today - (days - 1 - i) * 86400)) for i in range(days)]
    position = {d: i for i, d in enumerate(dates)}
    series: dict[str, list[int]] = {}
    for call in calls:
        day = time.strftime("%Y-%m-%d", time.gmtime(call.at))
        if day in position:
            series.setdefault(call.action or "unknown", [0] * days)[position[day]] += 1
    return dates, series


def top_blocked(calls: list[CallRecord], count: int = 10) -> list[tuple[str, int]]:
    """The list entries (numbers or prefixes) that turned away the most calls."""
    return Counter(c.entry for c in calls if c.action == "block" and c.entry).most_common(count)
