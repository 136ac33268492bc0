"""Blocklist imports waiting for review: the uploaded file and its preview, kept for a day."""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass, field, replace

import redis

from screener.store.keys import Keys

KEEP_SECONDS = 24 * 3600


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
    """Keeps uploads and their state in Redis with an expiry."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def create(self, *, owner: str, filename: str, data: bytes, sha256: str, region: str, source: str) -> ListImport:
        item = ListImport(secrets.token_hex(12), owner, filename, sha256, len(data), region, source, int(time.time()))
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.keys.list_import_file(item.id), data, ex=KEEP_SECONDS)
        pipe.set(self.keys.list_import(item.id), json.dumps(asdict(item)), ex=KEEP_SECONDS)
        pipe.execute()
        return item

    def get(self, import_id: str) -> ListImport | None:
        if not import_id.isalnum() or len(import_id) > 32:
            return None
        raw = self.client.get(self.keys.list_import(import_id))
        return ListImport(**json.loads(raw)) if raw else None

    def file(self, import_id: str) -> bytes | None:
        return self.client.get(self.keys.list_import_file(import_id))

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
        self.client.delete(self.keys.list_import_file(import_id))
