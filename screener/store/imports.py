"""Blocklist imports waiting for review: the uploaded file (on disk, under the instance folder) and its
preview (in Redis), kept for a day."""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import redis

from screener.store.keys import Keys

KEEP_SECONDS = 24 * 3600
UPLOAD_FOLDER = "uploads"  # under the instance folder
DAY_SECONDS = 24 * 3600


class DailyQuotaExceeded(Exception):
    """The uploader has sent as many bytes today as SCREENER_UPLOAD_DAILY_MB allows."""

    def __init__(self, used: int, limit: int) -> None:
        super().__init__(f"{used} of {limit} bytes uploaded today")
        self.used = used
        self.limit = limit


@dataclass(frozen=True)
class ListImport:
    """One uploaded file: who uploaded it, what parsing found, how far committing got."""

    id: str
    owner: str
    filename: str
    sha256: str
    size: int
    region: str
    source: str
    created_at: int
    status: str = "uploaded"  # uploaded, parsing, parsed, committing, committed, failed
    progress: int = 0  # percent of the current step
    rows: int = 0
    valid: int = 0
    new: int = 0
    rejected_count: int = 0
    rejected: list[dict] = field(default_factory=list)  # the first rejected rows: line, text, reason
    sample: list[str] = field(default_factory=list)
    added: int = 0
    error: str = ""
    committed_at: int = 0

    @property
    def done(self) -> bool:
        return self.status in {"committed", "failed"}

    @property
    def working(self) -> bool:
        return self.status in {"uploaded", "parsing", "committing"}


class ListImports:
    """Keeps uploads as files in `folder` (mode 700, files 600) and their state in Redis, both for a day: a
    curator's uploads never fill Redis, whose memory the call path needs."""

    def __init__(self, client: redis.Redis, keys: Keys, folder: Path) -> None:
        self.client = client
        self.keys = keys
        self.folder = Path(folder)

    def create(self, *, owner: str, filename: str, data: bytes, sha256: str, region: str, source: str,
               daily_limit: int = 0) -> ListImport:
        """Keep the file and its status; DailyQuotaExceeded when `owner` would pass `daily_limit` bytes today
        (0: no quota)."""
        if daily_limit:
            self._count_towards_quota(owner, len(data), daily_limit)
        self.sweep()
        item = ListImport(secrets.token_hex(12), owner, filename, sha256, len(data), region, source, int(time.time()))
        self._write(item.id, data)
        self.client.set(self.keys.list_import(item.id), json.dumps(asdict(item)), ex=KEEP_SECONDS)
        return item

    def uploaded_today(self, owner: str) -> int:
        """Bytes `owner` has uploaded since midnight UTC."""
        return int(self.client.get(self._quota_key(owner)) or 0)

    def _count_towards_quota(self, owner: str, size: int, limit: int) -> None:
        key = self._quota_key(owner)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.incrby(key, size)
            pipe.expire(key, 2 * DAY_SECONDS)
            used = pipe.execute()[0]
        if used > limit:
            self.client.decrby(key, size)
            raise DailyQuotaExceeded(used - size, limit)

    def _quota_key(self, owner: str) -> str:
        return self.keys.upload_quota(owner, time.strftime("%Y-%m-%d", time.gmtime()))

    def _path(self, import_id: str) -> Path:
        return self.folder / f"{import_id}.csv"

    def _write(self, import_id: str, data: bytes) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # mkdir's mode is masked by the umask, and an old folder may be wider
        descriptor = os.open(self._path(import_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)

    def sweep(self, now: float | None = None) -> int:
        """Delete files older than KEEP_SECONDS (their status has expired from Redis too); how many."""
        if not self.folder.is_dir():
            return 0
        cutoff = (now or time.time()) - KEEP_SECONDS
        removed = 0
        for path in self.folder.glob("*.csv"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another process swept it first
                continue
        return removed

    def get(self, import_id: str) -> ListImport | None:
        if not import_id.isalnum() or len(import_id) > 32:
            return None
        raw = self.client.get(self.keys.list_import(import_id))
        return ListImport(**json.loads(raw)) if raw else None

    def file(self, import_id: str) -> bytes | None:
        """The uploaded bytes, None when discarded, committed or expired."""
        if not import_id.isalnum():
            return None
        path = self._path(import_id)
        try:
            if path.stat().st_mtime < time.time() - KEEP_SECONDS:
                path.unlink()
                return None
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def update(self, item: ListImport, **changes: object) -> ListImport:
        changed = replace(item, **changes)
        self.client.set(self.keys.list_import(item.id), json.dumps(asdict(changed)), ex=KEEP_SECONDS)
        return changed

    def claim(self, item: ListImport, expected: str, status: str) -> ListImport | None:
        """Move from one status to the next once (a double-clicked Commit commits once)."""
        key = self.keys.list_import(item.id)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                current = ListImport(**json.loads(raw)) if raw else None
                if current is None or current.status != expected:
                    return None
                changed = replace(current, status=status, progress=0)
                pipe.multi()
                pipe.set(key, json.dumps(asdict(changed)), ex=KEEP_SECONDS)
                pipe.execute()
                return changed
            except redis.WatchError:
                return None

    def drop_file(self, import_id: str) -> None:
        self._path(import_id).unlink(missing_ok=True)
