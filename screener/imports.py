"""Blocklist CSV imports: parse to a preview, then commit the valid rows; small files in the request,
large ones as RQ jobs (enqueued by import path, so the web process never imports worker code)."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rq import Queue

from screener import import_apply
from screener.listfile import read_rows
from screener.store.blocklist import Blocklist
from screener.store.imports import ListImport, ListImports

if TYPE_CHECKING:
    from screener.services import Services

IMPORT_QUEUE = "imports"
PARSE_JOB = "workers.imports.parse_import"
COMMIT_JOB = "workers.imports.commit_import"
APPLY_JOB = "workers.imports.apply_import"  # carries on committing or discarding, whichever was asked last
REINDEX_JOB = "workers.imports.rebuild_blocklist_index"
JOB_TIMEOUT = 30 * 60
PREVIEW_REJECTED = 500
CHUNK = 5000


class ImportFileError(ValueError):
    """The upload is not a text file we can read."""


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("the file is not UTF-8 text (save it as CSV UTF-8)") from None


def parse(imports: ListImports, blocklist: Blocklist, item: ListImport) -> ListImport:
    """Read the file, count rows that are valid, new, or rejected (and why); keep a preview."""
    item = imports.update(item, status="parsing", progress=0)
    data = imports.file(item.id)
    if data is None:
        return imports.update(item, status="failed", error="the uploaded file expired; upload it again")
    try:
        parsed = read_rows(io.StringIO(decode(data), newline=""), item.region or None)
    except ImportFileError as exc:
        return imports.update(item, status="failed", error=str(exc))
    entries = [e for group in parsed.groups.values() for e in group]
    listed = 0
    for start in range(0, len(entries), CHUNK):
        listed += len(blocklist.get_many(entries[start:start + CHUNK]))
        item = imports.update(item, progress=min(99, (start + CHUNK) * 100 // max(len(entries), 1)))
    rejected = [{"line": r.line, "text": r.text, "reason": r.reason} for r in parsed.rejected[:PREVIEW_REJECTED]]
    return imports.update(
        item, status="parsed", progress=100, rows=parsed.rows, valid=parsed.valid, new=len(entries) - listed,
        rejected_count=len(parsed.rejected), rejected=rejected, sample=entries[:10],
    )


def commit(svc: Services, item: ListImport, by: str = "") -> ListImport:
    """Add every valid row of an import claimed for committing (already-listed ones are left as they are),
    or carry on where a killed run stopped; the import's progress is kept up to date for the page."""
    return import_apply.apply(svc, item.id) or item


def alive(svc: Services, import_id: str) -> bool:
    """Whether a live process is committing or discarding the import now."""
    return import_apply.alive(svc, import_id)


def resume_abandoned(svc: Services, queue: Queue) -> list[str]:
    """Queue again every import left committing or discarding by a process that died (its lease ran out);
    the ids. Run when a worker starts and by each reconciliation."""
    stuck = [item.id for item in svc.imports.applying() if not import_apply.alive(svc, item.id)]
    for import_id in stuck:
        enqueue(queue, APPLY_JOB, import_id)
    return stuck


def enqueue(queue: Queue, job: str, *args: str) -> str:
    """Queue a parse or commit job for a large file; the page polls the import's progress."""
    return queue.enqueue(job, *args, job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=7 * 86400,
                         description=f"blocklist import: {job.rsplit('.', 1)[-1]} {' '.join(args)}").id
