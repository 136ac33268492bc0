"""The shared blocklist: exact numbers in small hash buckets, prefixes in one hash, shared metadata.

Layout (see README "Data layout"): an exact number is a field (its digits) in one of 2^17 small
hashes chosen by CRC32, whose value is the id of an interned metadata record (category, reason,
evidence, source, who, when). An import of a million rows shares one metadata record, so an entry
costs a few dozen bytes. A lookup reads one field and the number's prefixes: O(number length).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

import redis

from screener.model import SCREEN_META_PREFIX
from screener.numbers import is_prefix
from screener.store.blocklist_index import BlocklistIndex
from screener.store.keys import Keys

_INTERN = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return id end
id = ARGV[2] .. tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('HSET', KEYS[2], id, ARGV[1])
return id
"""


@dataclass(frozen=True)
class EntryMeta:
    """Why an entry is on the list, and who put it there when."""

    category: str = "intimidation"
    reason: str = ""
    evidence: str = ""
    source: str = "manual"
    added_by: str = ""
    added_at: int = 0
    action: str = "block"  # or "screen": the caller is screened, not blocked

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> "EntryMeta":
        return cls(**json.loads(text))


@dataclass(frozen=True)
class BlocklistEntry:
    """One number or prefix on the list, with its metadata."""

    entry: str
    meta: EntryMeta


def _digits(entry: str) -> str:
    return entry.lstrip("+").rstrip("*")


def prefix_fields(e164: str) -> list[str]:
    """The digit prefixes of a number that a prefix entry could match, shortest first."""
    digits = _digits(e164)
    return [digits[:n] for n in range(1, len(digits))]


class Blocklist:
    """Reads and writes the shared blocklist."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._intern = client.register_script(_INTERN)
        self.index = BlocklistIndex(client, keys)

    def intern_meta(self, meta: EntryMeta) -> str:
        """The id of a metadata record, creating it once."""
        k = self.keys
        result = self._intern(
            keys=[k.blocklist_meta_index(), k.blocklist_meta(), k.blocklist_meta_seq()],
            args=[meta.to_json(), SCREEN_META_PREFIX if meta.action == "screen" else ""],
        )
        return result.decode() if isinstance(result, bytes) else str(result)

    def add_many(self, entries: Iterable[str], meta: EntryMeta, batch: int = 5000) -> int:
        """Add normalised entries that are not on the list yet; return how many were new."""
        meta_id = self.intern_meta(meta)
        added = 0
        chunk: list[str] = []
        for entry in entries:
            chunk.append(entry)
            if len(chunk) >= batch:
                added += self._add_chunk(chunk, meta_id, meta)
                chunk = []
        if chunk:
            added += self._add_chunk(chunk, meta_id, meta)
        return added

    def _add_chunk(self, chunk: list[str], meta_id: str, meta: EntryMeta) -> int:
        pipe = self.client.pipeline(transaction=True)
        for entry in chunk:
            pipe.hsetnx(*self._location(entry), meta_id)
        new = [entry for entry, created in zip(chunk, pipe.execute()) if created]
        if new:
            pipe = self.client.pipeline(transaction=True)
            pipe.incrby(self.keys.blocklist_count(), len(new))
            self.index.stage_add(pipe, new, meta)
            pipe.execute()
        return len(new)

    def _location(self, entry: str) -> tuple[str, str]:
        digits = _digits(entry)
        if is_prefix(entry):
            return self.keys.blocklist_prefixes(), digits
        return self.keys.blocklist_bucket(digits), digits

    def get(self, entry: str) -> BlocklistEntry | None:
        """The entry with its metadata, or None when it is not on the list."""
        meta_id = self.client.hget(*self._location(entry))
        if meta_id is None:
            return None
        return BlocklistEntry(entry, self.meta(meta_id.decode()))

    def get_many(self, entries: list[str]) -> list[BlocklistEntry]:
        """The listed ones among `entries`, in the same order, in two round trips."""
        pipe = self.client.pipeline(transaction=False)
        for entry in entries:
            pipe.hget(*self._location(entry))
        found = [(e, m.decode()) for e, m in zip(entries, pipe.execute()) if m is not None]
        ids = sorted({m for _, m in found})
        raws = dict(zip(ids, self.client.hmget(self.keys.blocklist_meta(), ids))) if ids else {}
        missing = EntryMeta(reason="(metadata missing)")
        return [BlocklistEntry(e, EntryMeta.from_json(raws[m]) if raws.get(m) else missing) for e, m in found]

    def meta(self, meta_id: str) -> EntryMeta:
        raw = self.client.hget(self.keys.blocklist_meta(), meta_id)
        return EntryMeta.from_json(raw) if raw else EntryMeta(reason="(metadata missing)")

    def remove(self, entry: str) -> BlocklistEntry | None:
        """Take an entry off the list; return what it was (for the audit log), or None."""
        existing = self.get(entry)
        if existing is None:
            return None
        if self.client.hdel(*self._location(entry)):
            pipe = self.client.pipeline(transaction=True)
            pipe.decr(self.keys.blocklist_count())
            self.index.stage_remove(pipe, entry, existing.meta)
            pipe.execute()
        return existing

    def update(self, entry: str, meta: EntryMeta) -> BlocklistEntry | None:
        """Give an entry new metadata; return what it was (for the audit log), or None when not listed."""
        existing = self.get(entry)
        if existing is None:
            return None
        meta_id = self.intern_meta(meta)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(*self._location(entry), meta_id)
        self.index.stage_remove(pipe, entry, existing.meta)
        self.index.stage_add(pipe, [entry], meta)
        pipe.execute()
        return existing

    def count(self) -> int:
        return int(self.client.get(self.keys.blocklist_count()) or 0)

    def __iter__(self) -> Iterator[BlocklistEntry]:
        """Every entry, prefixes first, in no particular order otherwise."""
        metas = {k.decode(): EntryMeta.from_json(v) for k, v in self.client.hgetall(self.keys.blocklist_meta()).items()}
        missing = EntryMeta(reason="(metadata missing)")
        for digits, meta_id in self.client.hscan_iter(self.keys.blocklist_prefixes(), count=1000):
            yield BlocklistEntry("+" + digits.decode() + "*", metas.get(meta_id.decode(), missing))
        for bucket in self.client.scan_iter(match=self.keys.blocklist_bucket_pattern(), count=1000):
            for digits, meta_id in self.client.hgetall(bucket).items():
                yield BlocklistEntry("+" + digits.decode(), metas.get(meta_id.decode(), missing))


def now() -> int:
    """Seconds since the epoch, as stored in metadata."""
    return int(time.time())
