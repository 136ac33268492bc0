"""Committing or discarding an uploaded import so that a worker killed half-way leaves nothing stuck: the
import records in Redis how far it got (rows gone through, the metadata ids its entries carry), one
process at a time holds a lease on it, and whoever runs it next carries on from there or, when Discard
was pressed, takes off exactly the entries it added. Its audit entry is written once, in the same Redis
transaction as a marker, whatever crashes and reruns happen."""
from __future__ import annotations

import io
import os
import socket
import time
from typing import TYPE_CHECKING

from screener import lists
from screener.listfile import ParsedFile, read_rows
from screener.store.blocklist import EntryMeta
from screener.store.imports import KEEP_SECONDS, ListImport

if TYPE_CHECKING:
    from screener.services import Services

CHUNK = lists.IMPORT_CHUNK
# A worker renews its lease after every chunk (a few milliseconds of Redis work); one that stops renewing
# for this long is taken to be dead, and the import is carried on by the next worker or reconciliation.
LEASE_SECONDS = 60


class FileGone(Exception):
    """The uploaded file expired before the import was applied."""


def holder() -> str:
    """Who holds a lease: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def dead_here(lease_holder: str, host: str, running: bool) -> bool:
    """Whether a lease holder is a process of this host that no longer runs (pure: `running` says whether
    its pid does). Holders on other hosts are only known dead when their lease runs out."""
    holder_host, _, pid = lease_holder.rpartition(":")
    return holder_host == host and pid.isdigit() and not running


def _running(lease_holder: str) -> bool:
    pid = lease_holder.rpartition(":")[2]
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def alive(svc: Services, import_id: str) -> bool:
    """Whether a live process is applying the import now; a lease left by a dead process of this host is
    dropped on the way (a SIGKILLed worker cannot release it), so another can carry on at once."""
    current = svc.imports.lease_holder(import_id)
    if current is None:
        return False
    if dead_here(current, socket.gethostname(), _running(current)):
        svc.imports.break_lease(import_id, current)
        return False
    return True


def apply(svc: Services, import_id: str) -> ListImport | None:
    """Carry on committing or discarding an import from where it got; returns its state after, or as it
    is when another live process holds it (or it needs nothing)."""
    store, me = svc.imports, holder()
    if not store.take_lease(import_id, me, LEASE_SECONDS) and (
            alive(svc, import_id) or not store.take_lease(import_id, me, LEASE_SECONDS)):
        return store.get(import_id)
    try:
        item = store.get(import_id)
        if item is None or not item.applying:
            return item
        data = store.file(item.id)
        if data is None:
            return store.record(item, status="failed", error="the uploaded file expired; upload it again")
        parsed = read_rows(io.StringIO(data.decode("utf-8-sig"), newline=""), item.region or None)
        if item.status == "committing":
            item = _commit(svc, item, parsed, me)
        if item is not None and item.status == "discarding":
            item = _discard(svc, item, parsed, me)
        return item
    finally:
        store.release_lease(import_id, me)


def _groups(item: ListImport, parsed: ParsedFile, stamp: int) -> tuple[list[tuple[EntryMeta, list[str]]], int]:
    by = item.committed_by or item.owner
    return lists.import_groups(parsed, by, item.owner, item.filename, item.source, stamp)


def _start(svc: Services, item: ListImport, parsed: ParsedFile) -> ListImport | None:
    """Fix the entries' time and metadata ids once; a time no earlier metadata record has, so that the
    ids name this import's entries alone (what Discard takes off)."""
    if item.metas:
        return item
    stamp = int(time.time())
    while any(svc.blocklist.known_meta(meta) for meta, _ in _groups(item, parsed, stamp)[0]):
        stamp += 1
    metas = [svc.blocklist.intern_meta(meta) for meta, _ in _groups(item, parsed, stamp)[0]]
    return svc.imports.record(item, stamp=stamp, metas=metas)


def added_so_far(svc: Services, item: ListImport) -> int:
    """Entries on the list that this import put there (exact, even after a crash: Redis counts them in
    the same script that adds them)."""
    return sum(svc.blocklist.meta_count(meta_id) for meta_id in item.metas)


def _commit(svc: Services, item: ListImport, parsed: ParsedFile, me: str) -> ListImport | None:
    store = svc.imports
    started = _start(svc, item, parsed)
    if started is None:
        return store.get(item.id)
    item = started
    groups, wide = _groups(item, parsed, item.stamp)
    total, position = sum(len(entries) for _, entries in groups), 0
    for (meta, entries), meta_id in zip(groups, item.metas):
        for start in range(0, len(entries), CHUNK):
            chunk = entries[start:start + CHUNK]
            if position + len(chunk) > item.applied:
                svc.blocklist.add_many(chunk[max(0, item.applied - position):], meta)
            position += len(chunk)
            if position <= item.applied:
                continue
            if not store.renew_lease(item.id, me, LEASE_SECONDS):
                return store.get(item.id)  # presumed dead and taken over: the other process carries on
            moved = store.record(item, applied=position, added=added_so_far(svc, item),
                                 progress=min(99, position * 100 // max(total, 1)))
            if moved is None:
                return store.get(item.id)  # Discard was pressed meanwhile
            item = moved
    added = added_so_far(svc, item)
    by = item.committed_by or item.owner
    svc.audit.append_once(store.audit_marker(item.id, "commit"), by, "blocklist.import", item.filename, None,
                          {"sha256": item.sha256, "rows": parsed.rows, "valid": parsed.valid, "added": added,
                           "rejected": len(parsed.rejected) + wide, "uploaded_by": item.owner},
                          keep_seconds=2 * KEEP_SECONDS)
    done = store.record(item, status="committed", progress=100, added=added, committed_at=int(time.time()))
    if done is None:
        return store.get(item.id)
    store.drop_file(item.id)
    return done


def _discard(svc: Services, item: ListImport, parsed: ParsedFile, me: str) -> ListImport | None:
    """Take off the entries this import added (ones listed before it, or changed since, stay)."""
    store = svc.imports
    if item.removed < 0:  # the first run: count what there is to take off, before taking any
        item = store.record(item, removed=0, added=added_so_far(svc, item)) or item
    if item.metas:
        groups, _ = _groups(item, parsed, item.stamp)
        total, position = sum(len(entries) for _, entries in groups), 0
        for (_, entries), meta_id in zip(groups, item.metas):
            for start in range(0, len(entries), CHUNK):
                svc.blocklist.remove_added(entries[start:start + CHUNK], meta_id)
                position += min(CHUNK, len(entries) - start)
                store.renew_lease(item.id, me, LEASE_SECONDS)
                item = store.record(item, progress=min(99, position * 100 // max(total, 1)),
                                    removed=item.added - added_so_far(svc, item)) or item
    removed = item.added - added_so_far(svc, item)
    if removed:
        svc.audit.append_once(store.audit_marker(item.id, "discard"), item.committed_by or item.owner,
                              "blocklist.import.discard", item.filename, None,
                              {"sha256": item.sha256, "added": item.added, "removed": removed, "import": item.id},
                              keep_seconds=2 * KEEP_SECONDS)
    store.drop_file(item.id)
    return store.record(item, status="discarded", progress=100, removed=removed, error="")
