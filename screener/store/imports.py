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
    status: str = "uploaded"  # uploaded, parsing, parsed, committing, committed, discarding, discarded, failed
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
    committed_by: str = ""
    # What a commit has applied, so that a worker taking over after a crash carries on or rolls it back:
    stamp: int = 0  # the entries' added_at, fixed when the commit starts
    metas: list[str] = field(default_factory=list)  # the metadata ids of its entries (one per group)
    applied: int = 0  # valid rows gone through, in file order; the next run starts there
    removed: int = 0  # entries a discard has taken off the list again

    @property
    def done(self) -> bool:
        return self.status in {"committed", "discarded", "failed"}

    @property
    def working(self) -> bool:
        return self.status in {"uploaded", "parsing", "committing", "discarding"}

    @property
    def applying(self) -> bool:
        """Committing or discarding: a job is (or should be) changing the list for it."""
        return self.status in {"committing", "discarding"}


def _load(raw: bytes) -> ListImport:
    return ListImport(**json.loads(raw))


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
        return _load(raw) if raw else None

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
        with self.client.pipeline(transaction=True) as pipe:
            self._stage(pipe, changed)
            pipe.execute()
        return changed

    def _stage(self, pipe: redis.client.Pipeline, changed: ListImport) -> None:
        """Queue the write of an import's state, and keep the set of imports being applied in step."""
        pipe.set(self.keys.list_import(changed.id), json.dumps(asdict(changed)), ex=KEEP_SECONDS)
        if changed.applying:
            pipe.sadd(self.keys.list_imports_applying(), changed.id)
        else:
            pipe.srem(self.keys.list_imports_applying(), changed.id)

    def _change_if(self, import_id: str, allowed: set[str], retry: bool, **changes: object) -> ListImport | None:
        """Change an import whose status is one of `allowed` (atomically); None when it is not (or, without
        `retry`, when another write raced this one)."""
        key = self.keys.list_import(import_id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None or _load(raw).status not in allowed:
                        return None
                    changed = replace(_load(raw), **changes)
                    pipe.multi()
                    self._stage(pipe, changed)
                    pipe.execute()
                    return changed
                except redis.WatchError:
                    if not retry:
                        return None

    def record(self, item: ListImport, **changes: object) -> ListImport | None:
        """Write how far an import got, unless its status changed meanwhile (a Discard while committing):
        then None, and the caller reads the new status with get()."""
        return self._change_if(item.id, {item.status}, True, **changes)

    def applying(self) -> list[ListImport]:
        """Every import being committed or discarded (their job may have died with its worker)."""
        ids = sorted(m.decode() for m in self.client.smembers(self.keys.list_imports_applying()))
        found = [self.get(i) for i in ids]
        gone = [i for i, item in zip(ids, found) if item is None or not item.applying]
        if gone:
            self.client.srem(self.keys.list_imports_applying(), *gone)
        return [item for item in found if item is not None and item.applying]

    def take_lease(self, import_id: str, holder: str, seconds: int) -> bool:
        """Become the one process applying an import for `seconds` (renew with renew_lease); False when
        another holds it."""
        return bool(self.client.set(self.keys.list_import_lease(import_id), holder, nx=True, ex=seconds))

    def renew_lease(self, import_id: str, holder: str, seconds: int) -> bool:
        """Keep the lease for `seconds` more; False when it expired and another took it."""
        key = self.keys.list_import_lease(import_id)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                if (pipe.get(key) or b"").decode() != holder:
                    return False
                pipe.multi()
                pipe.set(key, holder, ex=seconds)
                pipe.execute()
                return True
            except redis.WatchError:
                return False

    def release_lease(self, import_id: str, holder: str) -> None:
        self.break_lease(import_id, holder)

    def lease_holder(self, import_id: str) -> str | None:
        """Who holds the import's lease (None: nobody, or it ran out)."""
        raw = self.client.get(self.keys.list_import_lease(import_id))
        return raw.decode() if raw else None

    def break_lease(self, import_id: str, holder: str) -> None:
        """Drop the lease of a holder known to be dead (and only if that one still holds it)."""
        if self.renew_lease(import_id, holder, 1):
            self.client.delete(self.keys.list_import_lease(import_id))

    def audit_marker(self, import_id: str, what: str) -> str:
        """The key set with the import's one audit entry of `what` (commit, discard)."""
        return self.keys.list_import_audited(import_id, what)

    def claim(self, item: ListImport, expected: str | set[str], status: str, **changes: object) -> ListImport | None:
        """Move from one status (or any of a set) to the next once (a double-clicked Commit commits once)."""
        allowed = {expected} if isinstance(expected, str) else expected
        return self._change_if(item.id, allowed, False, status=status, progress=0, **changes)

    def drop_file(self, import_id: str) -> None:
        self._path(import_id).unlink(missing_ok=True)
