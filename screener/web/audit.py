"""The audit log page: who changed what, when, before and after; and whether the hash chain holds."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request

from screener.services import services
from screener.store.users import Role
from screener.web.access import enforce, requires
from screener.web.history import FieldChange, changed_fields, sentence
from screener.web.reader_time import zone_name

bp = Blueprint("audit", __name__, url_prefix="/audit")
bp.before_request(enforce)
PAGE_SIZE = 100


@bp.get("/")
@requires(Role.VIEWER)
def index() -> str:
    log = services().audit
    report = log.verify()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    end = report.entries - (page - 1) * PAGE_SIZE
    start = max(end - PAGE_SIZE, 0)
    entries = log.entries(start, end - 1)[::-1] if end > 0 else []
    shown = [Shown(index, entry, sentence(entry), changed_fields(entry.get("before"), entry.get("after")),
                   json.dumps(entry, indent=1, ensure_ascii=False, sort_keys=True))
             for index, entry in zip(range(end - 1, start - 1, -1), entries)]
    return render_template("audit.html", report=report, entries=shown, page=page,
                           has_next=start > 0, zone=zone_name())


@dataclass(frozen=True)
class Shown:
    """One audit entry on the page: its place in the chain, as stored, and as people read it."""

    index: int
    entry: dict[str, Any]
    sentence: str
    changes: list[FieldChange]
    raw: str
