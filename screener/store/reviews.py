"""The review queue: callers reported from the call log, waiting for a curator to accept or reject."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from typing import Iterator

import redis

from screener.store.caller_links import CallerLinks
from screener.store.keys import Keys


class ReviewError(ValueError):
    """A review that does not exist or was decided already."""


@dataclass(frozen=True)
class Report:
    """A request to put a caller on the blocklist.

    The full number is kept encrypted (it may belong to a source, not an intimidator) until a curator
    accepts; on rejection it is erased and only the masked form remains.
    """

    id: str
    number_encrypted: str
    number_masked: str
    caller_hash: str
    call_sid: str
    line: str
    note: str
    reported_by: str
    reported_at: int
    status: str = "open"  # open, accepted, rejected
    decided_by: str = ""
    decided_at: int = 0
    decision_note: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Report":
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def public(self) -> dict[str, object]:
        """The report as the audit log keeps it: without the encrypted number."""
        return {k: v for k, v in asdict(self).items() if k != "number_encrypted"}


class Reviews:
    """Opens, lists and decides reports."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def open(self, *, number_encrypted: str, number_masked: str, caller_hash: str, call_sid: str, line: str,
             note: str, reported_by: str) -> Report:
        review_id = str(self.client.incr(self.keys.reviews_seq()))
        report = Report(review_id, number_encrypted, number_masked, caller_hash, call_sid, line, note, reported_by,
                        int(time.time()))
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.keys.reviews(), review_id, report.to_json())
        pipe.zadd(self.keys.reviews_open(), {review_id: report.reported_at})
        pipe.execute()
        return report

    def get(self, review_id: str) -> Report | None:
        raw = self.client.hget(self.keys.reviews(), review_id)
        return Report.from_json(raw) if raw else None

    def open_count(self) -> int:
        return int(self.client.zcard(self.keys.reviews_open()))

    def open_reports(self, limit: int = 200) -> list[Report]:
        """Open reports, oldest first (first come, first decided)."""
        return self._load(self.client.zrange(self.keys.reviews_open(), 0, limit - 1))

    def closed_reports(self, limit: int = 50) -> list[Report]:
        """Decided reports, newest first."""
        return self._load(self.client.zrevrange(self.keys.reviews_closed(), 0, limit - 1))

    def open_for_caller(self, caller_hash: str) -> Report | None:
        """The open report on this caller, also when it was filed under the caller's hash before a change
        of SCREENER_SECRET_KEY."""
        if not caller_hash:
            return None
        reports = self.open_reports(1000)
        current = CallerLinks(self.client, self.keys).current_of([caller_hash, *(r.caller_hash for r in reports)])
        for report in reports:
            if report.caller_hash and current[report.caller_hash] == current[caller_hash]:
                return report
        return None

    def all_reports(self) -> Iterator[Report]:
        """Every report, open or decided."""
        for _, raw in self.client.hscan_iter(self.keys.reviews(), count=500):
            yield Report.from_json(raw)

    def swap(self, before: Report, after: Report) -> bool:
        """Store `after` in place of `before`, unless the report changed meanwhile (False then)."""
        key = self.keys.reviews()
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                raw = pipe.hget(key, before.id)
                if raw is None or Report.from_json(raw) != before:
                    return False
                pipe.multi()
                pipe.hset(key, before.id, after.to_json())
                pipe.execute()
            except redis.WatchError:
                return False
        return True

    def _load(self, ids: list[bytes]) -> list[Report]:
        if not ids:
            return []
        raws = self.client.hmget(self.keys.reviews(), [i.decode() for i in ids])
        return [Report.from_json(raw) for raw in raws if raw]

    def decide(self, review_id: str, *, accepted: bool, by: str, note: str) -> Report:
        """Close an open report once; the encrypted number is erased when it is rejected."""
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(self.keys.reviews_open())
                    if pipe.zscore(self.keys.reviews_open(), review_id) is None:
                        raise ReviewError("this report is not open (decided already, or no such report)")
                    report = Report.from_json(pipe.hget(self.keys.reviews(), review_id))
                    decided = replace(
                        report, status="accepted" if accepted else "rejected", decided_by=by,
                        decided_at=int(time.time()), decision_note=note,
                        number_encrypted=report.number_encrypted if accepted else "",
                    )
                    pipe.multi()
                    pipe.hset(self.keys.reviews(), review_id, decided.to_json())
                    pipe.zrem(self.keys.reviews_open(), review_id)
                    pipe.zadd(self.keys.reviews_closed(), {review_id: decided.decided_at})
                    pipe.execute()
                    return decided
                except redis.WatchError:
                    continue
