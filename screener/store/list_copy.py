"""Keeps a web process's LocalLists (screener/local_lists.py) current from Redis while it answers.

The first sync reads the whole list (prefixes, then the buckets a batch at a time); later ones read only
the change stream (bl:changes, written by the blocklist scripts in the same step as the change) from
where the last one stopped, and the allowlists when their version moved. A copy that fell behind the
stream's trimmed start, or a stream that vanished (a flushed or restored Redis), reads everything again.
"""
from __future__ import annotations

import redis

from screener.local_lists import LocalLists
from screener.store.keys import Keys

SCAN_BATCH = 2000  # keys per SCAN step, and buckets read per pipelined round trip
CHANGES_PER_READ = 500
_START = "0-0"


def _id(raw: bytes | str) -> tuple[int, int]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


class ListCopy:
    """Reads the lists into `lists`; `sync()` raises redis errors when Redis cannot be reached."""

    def __init__(self, client: redis.Redis, keys: Keys, lists: LocalLists | None = None) -> None:
        self.client = client
        self.keys = keys
        self.lists = lists or LocalLists()
        self._last = _START  # the last change stream entry applied
        self._allow_version: bytes | None = b"unread"

    def sync(self) -> None:
        """Bring the copy up to date: everything the first time, else the changes since the last sync."""
        if not self.lists.ready:
            self.load()
            return
        first = self.client.xrange(self.keys.blocklist_changes(), "-", "+", count=1)
        if self._last != _START and (not first or _id(first[0][0]) > _id(self._last)):
            self.load()  # trimmed past what this copy saw, or gone: read it all again
            return
        self._apply_changes()
        self._sync_allowlists()

    def load(self) -> None:
        """Read the whole list and the allowlists, then the changes made meanwhile."""
        k = self.keys
        newest = self.client.xrevrange(k.blocklist_changes(), "+", "-", count=1)
        start = newest[0][0].decode() if newest else _START
        prefixes = [(d.decode(), m.decode()) for d, m in self.client.hgetall(k.blocklist_prefixes()).items()]
        self.lists.replace(self._exact_entries(), prefixes)
        self._last = start
        self._allow_version = b"unread"
        self._apply_changes()
        self._sync_allowlists()

    def _exact_entries(self) -> list[tuple[str, str]]:
        entries: list[tuple[str, str]] = []
        batch: list[bytes] = []
        for bucket in self.client.scan_iter(match=self.keys.blocklist_bucket_pattern(), count=SCAN_BATCH):
            batch.append(bucket)
            if len(batch) >= SCAN_BATCH:
                entries += self._read_buckets(batch)
                batch = []
        return entries + self._read_buckets(batch)

    def _read_buckets(self, buckets: list[bytes]) -> list[tuple[str, str]]:
        pipe = self.client.pipeline(transaction=False)
        for bucket in buckets:
            pipe.hgetall(bucket)
        return [(d.decode(), m.decode()) for found in pipe.execute() for d, m in found.items()]

    def _apply_changes(self) -> None:
        while True:
            changes = self.client.xrange(self.keys.blocklist_changes(), f"({self._last}", "+",
                                         count=CHANGES_PER_READ)
            for change_id, fields in changes:
                entries = fields[b"e"].decode().split(",")
                if fields[b"op"] == b"a":
                    self.lists.add(entries, fields[b"m"].decode())
                else:
                    self.lists.remove(entries)
                self._last = change_id.decode()
            if len(changes) < CHANGES_PER_READ:
                return

    def _sync_allowlists(self) -> None:
        version = self.client.get(self.keys.allowlists_version())
        if version == self._allow_version:
            return
        names = list(self.client.scan_iter(match=self.keys.allowlist("+*"), count=SCAN_BATCH))
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.smembers(name)
        stem = len(self.keys.allowlist(""))
        self.lists.set_allowlists({name.decode()[stem:]: {m.decode() for m in members}
                                   for name, members in zip(names, pipe.execute())})
        self._allow_version = version
