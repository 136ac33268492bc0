"""Keeps a web process's LocalLists (screener/local_lists.py) current from Redis while it answers.

The first sync reads the whole list (prefixes, then the buckets a slice per script call); later ones read only
the change stream (bl:changes, written by the blocklist scripts in the same step as the change) from
where the last one stopped, and the allowlists when their version moved. A copy that fell behind the
stream's trimmed start, or a stream that vanished (a flushed or restored Redis), reads everything again.
"""
from __future__ import annotations

from typing import Iterator

import redis

from screener.local_lists import LocalLists
from screener.store import scripts
from screener.store.blocklist import buckets_per_call
from screener.store.keys import BLOCKLIST_BUCKETS, Keys

SCAN_BATCH = 1000  # keys per SCAN step (the allowlists)
CHANGES_PER_READ = 500
_START = "0-0"


class ListCopy:
    """Reads the lists into `lists`; `sync()` raises redis errors when Redis cannot be reached."""

    def __init__(self, client: redis.Redis, keys: Keys, lists: LocalLists | None = None) -> None:
        self.client = client
        self.keys = keys
        self.lists = lists or LocalLists()
        self._last = _START  # the last change stream entry applied
        self._seen = 0  # how many entries the stream had had when that one was added
        self._allow_version: bytes | None = b"unread"
        self._scan = scripts.register(client, "blocklist_scan")

    def sync(self) -> None:
        """Bring the copy up to date: everything the first time, else the changes since the last sync."""
        if not self.lists.ready:
            self.load()
            return
        added, length, _ = self._stream()
        unseen = added - self._seen
        if unseen < 0 or unseen > length:
            self.load()  # trimmed past what this copy saw, or made anew (a flushed or replaced Redis)
            return
        self._apply_changes()
        self._sync_allowlists()

    def _stream(self) -> tuple[int, int, str]:
        """The change stream's (entries ever added, entries kept, id of the last one added), from one XINFO."""
        try:
            info = self.client.xinfo_stream(self.keys.blocklist_changes())
        except redis.ResponseError:  # no stream yet
            return 0, 0, _START
        last = info["last-generated-id"]
        return int(info["entries-added"]), int(info["length"]), last.decode() if isinstance(last, bytes) else last

    def load(self) -> None:
        """Read the whole list and the allowlists, then the changes made meanwhile."""
        k = self.keys
        added, _, start = self._stream()
        prefixes = [(d.decode(), m.decode()) for d, m in self.client.hgetall(k.blocklist_prefixes()).items()]
        self.lists.replace(self._exact_entries(), prefixes)
        self._last, self._seen = start, added
        self._allow_version = b"unread"
        self._apply_changes()
        self._sync_allowlists()

    def _exact_entries(self) -> Iterator[tuple[str, str]]:
        """Every exact entry's (digits, metadata id), read a slice of buckets per call of the web page's search
        script (blocklist_scan.lua, matching everything), so that ringing phones wait no longer than for it."""
        k = self.keys
        step = buckets_per_call(int(self.client.get(k.blocklist_count()) or 0))
        for first in range(0, BLOCKLIST_BUCKETS, step):
            _, flat = self._scan(args=[k.blocklist_bucket_stem(), first, min(step, BLOCKLIST_BUCKETS - first),
                                       "", "", BLOCKLIST_BUCKETS * 128])
            for i in range(0, len(flat), 2):
                yield flat[i].decode(), flat[i + 1].decode()

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
                self._seen += 1
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
