"""The shared blocklist: exact numbers in small hash buckets, prefixes in one hash, shared metadata.

Layout (see README "Data layout"): an exact number is a field (its digits) in one of 2^17 small
hashes chosen by CRC32, whose value is the id of an interned metadata record (category, reason,
evidence, source, who, when). An import of a million rows shares one metadata record, so an entry
costs a few dozen bytes. A lookup reads one field and the number's prefixes: O(number length).
Nothing else is stored per entry: `bl:meta:count` counts the entries of each metadata record (for
the web page's counts by category and source), changed in the same transaction as the entries.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

import redis

from screener.model import SCREEN_META_PREFIX
from screener.numbers import is_prefix
from screener.store import scripts
from screener.store.keys import BLOCKLIST_BUCKETS, Keys

# A script that scans buckets examines about this many entries per call, about a millisecond of Redis
# time (Redis spends ~1 us per bucket plus ~0.4 us per entry), so ringing phones wait no longer than that.
ENTRIES_PER_CALL = 2000
MAX_BUCKETS_PER_CALL = 1024
# Change stream entries kept (about): one per added chunk (up to 2000 numbers) or single change, so at most
# some 400,000 recent numbers (a few MB) sit in the stream. A web process's local copy reads it every second;
# one that falls further behind (a big import) reads the whole list again (store/list_copy.py).
CHANGES_KEPT = 200


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


MISSING_META = EntryMeta(reason="(metadata missing)")


def buckets_per_call(entries: int) -> int:
    """How many buckets one scanning call may read for a list of `entries` entries."""
    return max(16, min(MAX_BUCKETS_PER_CALL, ENTRIES_PER_CALL * BLOCKLIST_BUCKETS // max(entries, 1)))


def _digits(entry: str) -> str:
    return entry.lstrip("+").rstrip("*")


def _changed(entry: str) -> str:
    """An entry as the change stream names it: its digits, followed by `*` for a prefix."""
    return _digits(entry) + ("*" if is_prefix(entry) else "")


def prefix_fields(e164: str) -> list[str]:
    """The digit prefixes of a number that a prefix entry could match, shortest first."""
    digits = _digits(e164)
    return [digits[:n] for n in range(1, len(digits))]


class Blocklist:
    """Reads and writes the shared blocklist."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self._intern = scripts.register(client, "blocklist_intern_meta")
        self._add = scripts.register(client, "blocklist_add")
        self._remove = scripts.register(client, "blocklist_remove")
        self._retag = scripts.register(client, "blocklist_retag")
        self._tally = scripts.register(client, "blocklist_tally")

    def intern_meta(self, meta: EntryMeta) -> str:
        """The id of a metadata record, creating it once."""
        k = self.keys
        result = self._intern(
            keys=[k.blocklist_meta_index(), k.blocklist_meta(), k.blocklist_meta_seq()],
            args=[meta.to_json(), SCREEN_META_PREFIX if meta.action == "screen" else ""],
        )
        return result.decode() if isinstance(result, bytes) else str(result)

    def add_many(self, entries: Iterable[str], meta: EntryMeta, batch: int = 2000) -> int:
        """Add normalised entries that are not on the list yet; return how many were new."""
        meta_id = self.intern_meta(meta)
        added = 0
        chunk: list[str] = []
        for entry in entries:
            chunk.append(entry)
            if len(chunk) >= batch:
                added += self._add_chunk(chunk, meta_id)
                chunk = []
        if chunk:
            added += self._add_chunk(chunk, meta_id)
        return added

    def _add_chunk(self, chunk: list[str], meta_id: str) -> int:
        locations = [self._location(entry) for entry in chunk]
        k = self.keys
        return int(self._add(keys=[k.blocklist_count(), k.blocklist_meta_counts(), k.blocklist_changes(),
                                   k.blocklist_prefixes(), *(key for key, _ in locations)],
                             args=[meta_id, CHANGES_KEPT, *(field for _, field in locations)]))

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
        return [BlocklistEntry(e, EntryMeta.from_json(raws[m]) if raws.get(m) else MISSING_META) for e, m in found]

    def meta(self, meta_id: str) -> EntryMeta:
        raw = self.client.hget(self.keys.blocklist_meta(), meta_id)
        return EntryMeta.from_json(raw) if raw else MISSING_META

    def remove(self, entry: str) -> BlocklistEntry | None:
        """Take an entry off the list; return what it was (for the audit log), or None."""
        key, _ = self._location(entry)
        k = self.keys
        meta_id = self._remove(keys=[key, k.blocklist_count(), k.blocklist_meta_counts(), k.blocklist_changes()],
                               args=[_changed(entry), CHANGES_KEPT])
        return None if meta_id is None else BlocklistEntry(entry, self.meta(meta_id.decode()))

    def update(self, entry: str, meta: EntryMeta) -> BlocklistEntry | None:
        """Give an entry new metadata; return what it was (for the audit log), or None when not listed."""
        key, field = self._location(entry)
        if self.client.hget(key, field) is None:
            return None  # interning first would leave an unused metadata record behind
        old_id = self._retag(keys=[key, self.keys.blocklist_meta_counts(), self.keys.blocklist_changes()],
                             args=[_changed(entry), self.intern_meta(meta), CHANGES_KEPT])
        return None if old_id is None else BlocklistEntry(entry, self.meta(old_id.decode()))

    def count(self) -> int:
        return int(self.client.get(self.keys.blocklist_count()) or 0)

    def metas(self) -> dict[str, EntryMeta]:
        """Every metadata record by id (there are few: an import shares one)."""
        return {k.decode(): EntryMeta.from_json(v) for k, v in self.client.hgetall(self.keys.blocklist_meta()).items()}

    def facets(self) -> dict[tuple[str, str], int]:
        """(category, source) -> number of entries, from the per-metadata counts. They add up to count()
        unless a write stopped half-way or the counts predate this version: recount() mends both."""
        counts = {k.decode(): int(v) for k, v in self.client.hgetall(self.keys.blocklist_meta_counts()).items()}
        metas = self.metas() if counts else {}
        result: dict[tuple[str, str], int] = {}
        for meta_id, n in counts.items():
            meta = metas.get(meta_id, MISSING_META)
            result[(meta.category, meta.source)] = result.get((meta.category, meta.source), 0) + n
        return {pair: n for pair, n in result.items() if n > 0}

    def recount(self) -> int:
        """Count the entries of each metadata record from the list itself, set the counts and the total, and
        delete the retired per-entry index. Scans the buckets a slice per call, so calls are answered
        meanwhile; entries added or removed during the scan may be miscounted (run it again after an import)."""
        k = self.keys
        tally = Counter(v.decode() for v in self.client.hvals(k.blocklist_prefixes()))
        step = buckets_per_call(self.count())
        for first in range(0, BLOCKLIST_BUCKETS, step):
            flat = self._tally(args=[k.blocklist_bucket_stem(), first, step])
            tally.update({flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)})
        total = sum(tally.values())
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(k.blocklist_meta_counts())
        if tally:
            pipe.hset(k.blocklist_meta_counts(), mapping=dict(tally))
        pipe.set(k.blocklist_count(), total)
        # UNLINK: the old index of a large list takes Redis a while to free; do it off the main thread.
        pipe.unlink(*k.retired_blocklist_index())
        pipe.execute()
        return total

    def __iter__(self) -> Iterator[BlocklistEntry]:
        """Every entry, prefixes first, in no particular order otherwise."""
        metas = self.metas()
        for digits, meta_id in self.client.hscan_iter(self.keys.blocklist_prefixes(), count=1000):
            yield BlocklistEntry("+" + digits.decode() + "*", metas.get(meta_id.decode(), MISSING_META))
        for bucket in self.client.scan_iter(match=self.keys.blocklist_bucket_pattern(), count=1000):
            for digits, meta_id in self.client.hgetall(bucket).items():
                yield BlocklistEntry("+" + digits.decode(), metas.get(meta_id.decode(), MISSING_META))
