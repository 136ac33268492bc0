"""Reports, confirmations and false-positive reports per number (the evidence screener.evidence_rules weighs),
who cast them, the quotas that send floods to review, and who is out of probation."""
from __future__ import annotations

import json
from dataclasses import asdict, replace

import redis

from screener.evidence_rules import Vote
from screener.store.keys import Keys

QUOTA_TTL = 8 * 86_400  # a day's or a week's counter outlives its period, then goes


class VoteStore:
    """Reads and writes votes: one hash per number, an index per principal, a zset of numbers."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def add(self, number: str, vote: Vote) -> Vote:
        """Store a vote under a new id and return it with the id."""
        stored = replace(vote, id=str(self.client.incr(self.keys.vote_seq())))
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.keys.votes(number), stored.id, json.dumps(asdict(stored), ensure_ascii=False))
        pipe.zadd(self.keys.vote_numbers(), {number: stored.at}, gt=True)
        pipe.sadd(self.keys.votes_by(stored.principal), f"{number} {stored.id}")
        pipe.execute()
        return stored

    def votes(self, number: str) -> list[Vote]:
        """Every vote on the number, reverted ones included, oldest first."""
        raws = self.client.hvals(self.keys.votes(number))
        return sorted((Vote(**json.loads(raw)) for raw in raws), key=lambda v: (v.at, int(v.id or 0)))

    def votes_many(self, numbers: list[str]) -> dict[str, list[Vote]]:
        """Every vote on each of `numbers` ([] for a number without evidence): which have any is one ZMSCORE,
        then the votes of those alone in one pipelined round trip (a partner's feed is mostly new numbers)."""
        found: dict[str, list[Vote]] = dict.fromkeys(numbers, [])
        scores = self.client.zmscore(self.keys.vote_numbers(), numbers) if numbers else []
        with_votes = [n for n, score in zip(numbers, scores) if score is not None]
        pipe = self.client.pipeline(transaction=False)
        for number in with_votes:
            pipe.hvals(self.keys.votes(number))
        for number, raws in zip(with_votes, pipe.execute() if with_votes else []):
            found[number] = sorted((Vote(**json.loads(raw)) for raw in raws), key=lambda v: (v.at, int(v.id or 0)))
        return found

    def has_evidence(self, number: str) -> bool:
        return self.client.zscore(self.keys.vote_numbers(), number) is not None

    def numbers(self) -> list[str]:
        """Every number that ever had a vote (ranges are proposed from these)."""
        return [n.decode() for n in self.client.zrange(self.keys.vote_numbers(), 0, -1)]

    def cast_by(self, principal: str) -> list[tuple[str, str]]:
        """(number, vote id) of every vote a person or partner cast."""
        return [tuple(m.decode().split(" ", 1)) for m in self.client.smembers(self.keys.votes_by(principal))]

    def revert(self, principal: str, only: set[str] | None = None) -> list[str]:
        """Flag every vote of a person or partner (on the numbers in `only`, when given) as reverted (kept,
        no longer counted); return the numbers that had a vote flagged now (reverted ones stay as they are)."""
        touched: dict[str, list[str]] = {}
        for number, vote_id in self.cast_by(principal):
            if only is None or number in only:
                touched.setdefault(number, []).append(vote_id)
        changed = []
        for number, ids in touched.items():
            raws = self.client.hmget(self.keys.votes(number), ids)
            flagged = {i: json.dumps({**json.loads(raw), "reverted": True}, ensure_ascii=False)
                       for i, raw in zip(ids, raws) if raw and not json.loads(raw).get("reverted")}
            if flagged:
                self.client.hset(self.keys.votes(number), mapping=flagged)
                changed.append(number)
        return sorted(changed)

    def local_evidence(self, numbers: list[str], chunk: int = 2000) -> dict[str, tuple[int, int]]:
        """Of `numbers`, those with counting evidence of our own (a local report or confirmation, not
        reverted): number -> (first, last) time of our votes. Read in pipelined chunks."""
        found: dict[str, tuple[int, int]] = {}
        for start in range(0, len(numbers), chunk):
            part = numbers[start:start + chunk]
            pipe = self.client.pipeline(transaction=False)
            for number in part:
                pipe.hvals(self.keys.votes(number))
            for number, raws in zip(part, pipe.execute()):
                times = [v["at"] for v in map(json.loads, raws) if v["org"] == "local" and not v.get("reverted")
                         and v["kind"] in ("report", "confirm")]
                if times:
                    found[number] = (min(times), max(times))
        return found

    def erase(self, number: str, ids: list[str]) -> int:
        """Delete votes outright (a rejected report on a caller who may be a source); the number leaves the
        index when it has no votes left. Returns how many were deleted."""
        if not ids:
            return 0
        votes = {v.id: v for v in self.votes(number) if v.id in ids}
        pipe = self.client.pipeline(transaction=True)
        pipe.hdel(self.keys.votes(number), *votes)
        for vote in votes.values():
            pipe.srem(self.keys.votes_by(vote.principal), f"{number} {vote.id}")
        pipe.execute()
        if not self.client.exists(self.keys.votes(number)):
            self.client.zrem(self.keys.vote_numbers(), number)
        return len(votes)

    def count_report(self, person: str, day: str) -> int:
        """Count one more report by a person on a day; return the day's count so far."""
        return self._count(self.keys.report_quota(person, day))

    def count_new_number(self, org: str, week: str) -> int:
        """Count one more new number from a partner in a week; return the week's count so far."""
        return self._count(self.keys.partner_quota(org, week))

    def new_numbers(self, org: str, week: str) -> int:
        """How many new numbers a partner sent in a week so far (without counting one more)."""
        return int(self.client.get(self.keys.partner_quota(org, week)) or 0)

    def _count(self, key: str) -> int:
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, QUOTA_TTL)
        return int(pipe.execute()[0])

    def trust(self, principal: str) -> bool:
        """Take a person or partner out of probation; False when they were out already."""
        return bool(self.client.sadd(self.keys.trusted(), principal))

    def trusted(self) -> set[str]:
        return {m.decode() for m in self.client.smembers(self.keys.trusted())}


class NeverBlock:
    """The never-block list: numbers that take no votes and veto ranges (lawyers, embassies, helplines...)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = keys.never_block()

    def add(self, number: str, record: dict) -> bool:
        return bool(self.client.hsetnx(self.key, number, json.dumps(record, ensure_ascii=False)))

    def remove(self, number: str) -> dict | None:
        pipe = self.client.pipeline(transaction=True)
        pipe.hget(self.key, number)
        pipe.hdel(self.key, number)
        raw, removed = pipe.execute()
        return json.loads(raw) if raw and removed else None

    def get(self, number: str) -> dict | None:
        raw = self.client.hget(self.key, number)
        return json.loads(raw) if raw else None

    def all(self) -> dict[str, dict]:
        return {k.decode(): json.loads(v) for k, v in self.client.hgetall(self.key).items()}
