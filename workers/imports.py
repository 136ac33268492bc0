"""Import jobs: parse a large uploaded blocklist CSV to a preview, or commit its valid rows."""
from __future__ import annotations

import logging

from screener import imports
from workers.context import services

log = logging.getLogger("workers.imports")


def rebuild_blocklist_index() -> int:
    """Recount the blocklist by category and source and drop the retired search index (after an upgrade
    or a partial write). Keeps its old name: jobs queued by an earlier version still find it."""
    count = services().blocklist.recount()
    log.info("blocklist_recounted entries=%d", count)
    return count


def parse_import(import_id: str) -> str:
    """Parse an upload; its status tells the page when the preview is ready."""
    svc = services()
    store, blocklist = svc.imports, svc.blocklist
    item = store.get(import_id)
    if item is None:
        log.warning("import_missing id=%s", import_id)
        return "missing"
    try:
        item = imports.parse(store, blocklist, item)
    except Exception as exc:
        # The page must stop showing "working": record the failure, then let RQ keep the traceback.
        store.update(item, status="failed", error=f"parsing failed: {type(exc).__name__}")
        raise
    log.info("import_parsed id=%s rows=%d valid=%d rejected=%d", item.id, item.rows, item.valid, item.rejected_count)
    return item.status


def commit_import(import_id: str, committed_by: str = "") -> str:
    """Land the valid rows of an upload that `committed_by` has reviewed (jobs queued by an earlier version
    name nobody: the uploader then); the same as apply_import."""
    store = services().imports
    item = store.get(import_id)
    if item is not None and committed_by and not item.committed_by:  # queued by a version that kept it here
        store.record(item, committed_by=committed_by)
    return apply_import(import_id)


def apply_import(import_id: str) -> str:
    """Carry on committing or discarding an import from where it got (a killed worker's run included); when
    another live worker holds it, leave it to that one."""
    svc = services()
    store = svc.imports
    item = store.get(import_id)
    if item is None or not item.applying:
        log.warning("import_not_applicable id=%s", import_id)
        return "skipped"
    try:
        item = imports.commit(svc, item)
    except Exception as exc:
        # The page must stop showing "working": record the failure (Commit carries on from where it
        # stopped, Discard takes off what it added), then let RQ keep the traceback.
        store.update(store.get(import_id) or item, status="failed",
                     error=f"stopped: {type(exc).__name__}; press Commit to carry on or Discard to take off what it added")
        raise
    log.info("import_applied id=%s status=%s added=%d removed=%d", item.id, item.status, item.added, item.removed)
    return item.status
