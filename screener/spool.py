"""A local append-only spool of what Redis could not take (call records, callback updates, alert jobs):
one file per web process under the instance folder's spool/, one JSON line per entry, fsync'd before the
caller is answered. screener/voice/outage.py replays it once Redis takes writes again.

Each process holds an exclusive lock (flock) on its own file for its life, so a file whose lock can be
taken belongs to a process that has ended: the next process to look replays it and deletes it. Replaying
is idempotent (call records by CallSid, alerts by their entry's id), so an entry replayed twice after a
crash half-way is still written once.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

SPOOL_FOLDER = "spool"
REJECTED = "rejected.jsonl"
log = logging.getLogger("screener.spool")


class SpoolFull(Exception):
    """The spool file reached its size limit: the entry was not kept."""


@dataclass(frozen=True)
class SpoolEntry:
    """One thing Redis could not take: `kind` is call, status, recording or alert; `id` is unique."""

    id: str
    kind: str
    data: dict[str, Any]


def _parse(lines: list[bytes], path: Path) -> list[SpoolEntry]:
    entries = []
    for raw in lines:
        try:
            item = json.loads(raw)
            entries.append(SpoolEntry(item["id"], item["kind"], item["data"]))
        except (ValueError, KeyError, TypeError):
            # Only a write cut short by a crash leaves a broken line (each is fsync'd whole otherwise).
            log.error("spool_line_unreadable file=%s bytes=%d", path.name, len(raw))
    return entries


class Spool:
    """This process's spool file (made on the first append) and the files of ended processes."""

    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.path = folder / f"spool-{self.name}.jsonl"
        self._fd: int | None = None
        self._size = 0  # bytes in the file
        self._replayed = 0  # bytes at its start already replayed
        self._seq = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes waiting in this process's file."""
        return self._size - self._replayed

    def append(self, kind: str, data: dict[str, Any]) -> str:
        """Write one entry and fsync it; its id. Raises SpoolFull at the size limit, OSError on a disk error."""
        with self._lock:
            self._seq += 1
            entry_id = f"{self.name}:{self._seq}"
            line = json.dumps({"id": entry_id, "kind": kind, "data": data}, separators=(",", ":")).encode() + b"\n"
            if self._size + len(line) > self.max_bytes:
                raise SpoolFull(f"spool file {self.path} holds {self._size} bytes (limit {self.max_bytes})")
            fd = self._open()
            os.write(fd, line)
            os.fsync(fd)
            self._size += len(line)
            return entry_id

    def pending(self) -> tuple[list[SpoolEntry], int]:
        """The entries of this process's file not yet replayed, oldest first, and how many bytes they take
        (to give mark_replayed once they are in Redis)."""
        with self._lock:
            if self._fd is None or self._size == self._replayed:
                return [], 0
            data = os.pread(self._fd, self._size - self._replayed, self._replayed)
        whole = data[:data.rfind(b"\n") + 1]
        return _parse(whole.splitlines(), self.path), len(whole)

    def mark_replayed(self, nbytes: int) -> None:
        """The next nbytes of the file are in Redis: skip them from now on, and empty the file when nothing
        else was appended meanwhile."""
        with self._lock:
            if self._fd is None:
                return
            self._replayed += nbytes
            if self._replayed >= self._size:
                os.ftruncate(self._fd, 0)
                os.fsync(self._fd)
                self._size = self._replayed = 0
            elif self._replayed > self.max_bytes // 2:
                self._compact()

    def _compact(self) -> None:
        """Calls kept arriving during the replay: move what is still waiting into a new file, so replayed
        entries do not count against the size limit. The new file is locked before it takes the old one's
        name, so no other process ever sees it unlocked."""
        tail = os.pread(self._fd, self._size - self._replayed, self._replayed)
        temporary = self.folder / f".compact-{self.name}.tmp"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, tail)
        os.fsync(fd)
        os.replace(temporary, self.path)
        os.close(self._fd)
        self._fd, self._size, self._replayed = fd, len(tail), 0

    def reject(self, entry: SpoolEntry, reason: str) -> Path:
        """Keep an entry that cannot be replayed (made by another version, or damaged) in rejected.jsonl beside
        the spool files, for an operator to look at, rather than blocking the entries after it."""
        path = self.folder / REJECTED
        line = json.dumps({"id": entry.id, "kind": entry.kind, "data": entry.data, "reason": reason},
                          separators=(",", ":")).encode() + b"\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return path

    @contextmanager
    def orphans(self) -> Iterator[list[tuple[Path, list[SpoolEntry]]]]:
        """The files of processes that have ended, each locked, with its entries; yields them, and deletes
        the files when the block finishes without an error."""
        held: list[tuple[Path, int, list[SpoolEntry]]] = []
        try:
            for path in sorted(self.folder.glob("spool-*.jsonl")) if self.folder.is_dir() else []:
                if path == self.path:
                    continue
                fd = _lock_if_free(path)
                if fd is not None:
                    with open(fd, "rb", closefd=False) as file:
                        held.append((path, fd, _parse(file.read().splitlines(), path)))
            yield [(path, entries) for path, _, entries in held]
            for path, _, _ in held:
                path.unlink(missing_ok=True)
        finally:
            for _, fd, _ in held:
                os.close(fd)

    def _open(self) -> int:
        if self._fd is None:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)  # ours for the process's life: the file is not an orphan
            self._fd = fd
        return self._fd


def _lock_if_free(path: Path) -> int | None:
    """The file opened and exclusively locked, or None when a live process holds it (or it is gone)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    if os.fstat(fd).st_nlink == 0:  # replayed and deleted by another process meanwhile
        os.close(fd)
        return None
    return fd
