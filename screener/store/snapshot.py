"""A copy of every key under the prefix, as DUMP payloads, and its return with RESTORE.

Two passes. The blocklist's buckets (the bulk: 2^17 small hashes) are read pipelined outside any
transaction, so that calls are answered meanwhile. Everything else (the audit and evidence chains and
their heads, call records, recordings' records, users, lines, counts) is read in one MULTI/EXEC, WATCHing
both chains' heads from before the key names are listed: if a chain grows meanwhile, the pass starts again.
So the chains' entries, their heads and the call records they seal are one moment's state. Names are
kept without the prefix, so a copy can return under another SCREENER_KEY_PREFIX.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterable, Iterator

import redis

from screener.store.keys import Keys

PIPELINE = 1000  # keys per round trip
WATCH_TRIES = 20
_HEAD = struct.Struct(">IqI")  # name length, time to live (ms, -1 for none), payload length


class SnapshotError(RuntimeError):
    """The copy could not be taken, or cannot be put back."""


@dataclass(frozen=True)
class KeyCopy:
    """One key: its name under the prefix, its DUMP payload, and its time to live in ms (-1: none)."""

    name: bytes
    payload: bytes
    ttl_ms: int


@dataclass(frozen=True)
class Tips:
    """What the atomic pass saw: each chain's entries, and the blocklist's count."""

    audit_entries: int
    evidence_entries: int
    blocklist_entries: int


def write_copies(out: BinaryIO, copies: Iterable[KeyCopy]) -> int:
    """Frame each copy onto `out`; return how many."""
    n = 0
    for copy in copies:
        out.write(_HEAD.pack(len(copy.name), copy.ttl_ms, len(copy.payload)))
        out.write(copy.name)
        out.write(copy.payload)
        n += 1
    return n


def read_copies(stream: BinaryIO) -> Iterator[KeyCopy]:
    """The copies framed by write_copies, one at a time; SnapshotError on a cut-off file."""
    while True:
        head = stream.read(_HEAD.size)
        if not head:
            return
        if len(head) < _HEAD.size:
            raise SnapshotError("the key file ends inside a record")
        name_len, ttl_ms, payload_len = _HEAD.unpack(head)
        name, payload = stream.read(name_len), stream.read(payload_len)
        if len(name) < name_len or len(payload) < payload_len:
            raise SnapshotError("the key file ends inside a record")
        yield KeyCopy(name, payload, ttl_ms)


class Snapshot:
    """Reads and restores every key under one prefix."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.prefix = keys.prefix.encode()
        self.stem = keys.blocklist_bucket_stem().encode()

    def is_empty(self) -> bool:
        """True when no key under the prefix exists."""
        for _ in self.client.scan_iter(match=self._pattern(self.keys.prefix), count=1000):
            return False
        return True

    def redis_version(self) -> str:
        return str(self.client.info("server")["redis_version"])

    def buckets(self) -> Iterator[KeyCopy]:
        """The blocklist's buckets, pipelined, outside a transaction (each bucket once)."""
        seen: set[bytes] = set()  # SCAN may return a name twice; there are at most 2^17
        batch: list[bytes] = []
        for name in self.client.scan_iter(match=self._pattern(self.keys.blocklist_bucket_stem()), count=PIPELINE):
            if name not in seen:
                seen.add(name)
                batch.append(name)
            if len(batch) >= PIPELINE:
                yield from self._dump(batch)
                batch = []
        yield from self._dump(batch)

    def rest(self) -> tuple[list[KeyCopy], Tips]:
        """Every other key, read at one moment (see the module's docstring)."""
        k = self.keys
        heads = [k.audit_head(), k.evidence_head()]
        for _ in range(WATCH_TRIES):
            with self.client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(*heads)
                    listed = self.client.scan_iter(match=self._pattern(k.prefix), count=PIPELINE)
                    names = sorted({name for name in listed if not name.startswith(self.stem)})
                    pipe.multi()
                    pipe.llen(k.audit_log())
                    pipe.llen(k.evidence_log())
                    pipe.get(k.blocklist_count())
                    for name in names:
                        pipe.dump(name)
                        pipe.pttl(name)
                    audit, evidence, count, *flat = pipe.execute()
                except redis.WatchError:
                    continue
            copies = [KeyCopy(name[len(self.prefix):], payload, ttl)
                      for name, payload, ttl in zip(names, flat[0::2], flat[1::2]) if payload is not None]
            return copies, Tips(int(audit), int(evidence), int(count or 0))
        raise SnapshotError(f"the audit or evidence chain grew during each of {WATCH_TRIES} tries: "
                            "run the backup again at a quieter time")

    def restore(self, copies: Iterable[KeyCopy], taken_at_ms: int) -> int:
        """RESTORE each copy under this prefix; a key that had a time to live expires when it would have
        (ABSTTL from the moment the copy was taken), so an old session does not come back. Returns how many."""
        n = 0
        pipe = self.client.pipeline(transaction=False)
        for copy in copies:
            name = self.prefix + copy.name
            if copy.ttl_ms >= 0:
                pipe.restore(name, taken_at_ms + copy.ttl_ms, copy.payload, absttl=True)
            else:
                pipe.restore(name, 0, copy.payload)
            n += 1
            if len(pipe) >= PIPELINE:
                pipe.execute()
        pipe.execute()
        return n

    def _dump(self, names: list[bytes]) -> Iterator[KeyCopy]:
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.dump(name)
            pipe.pttl(name)
        flat = pipe.execute()
        for name, payload, ttl in zip(names, flat[0::2], flat[1::2]):
            if payload is not None:  # gone since it was listed
                yield KeyCopy(name[len(self.prefix):], payload, ttl)

    @staticmethod
    def _pattern(stem: str) -> str:
        """MATCH for every name starting with `stem` (a prefix may hold glob characters: they are escaped)."""
        return "".join("\\" + c if c in "*?[]\\" else c for c in stem) + "*"
