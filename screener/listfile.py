"""Blocklist CSV files: read rows with per-row errors, write exports that no spreadsheet executes."""
from __future__ import annotations

import csv
import io
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from typing import IO, Iterable, Iterator

from screener.numbers import InvalidNumber, needs_second_admin, parse_entry, prefix_plan
from screener.store.blocklist import BlocklistEntry

EXPORT_COLUMNS = ["number", "category", "reason", "evidence", "source", "added_by", "added_at"]
MAX_FIELD = 1000
# Cells a spreadsheet would take as the start of a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported, with its line number in the file and why."""

    line: int
    text: str
    reason: str


@dataclass
class ParsedFile:
    """Valid entries grouped by (reason, category), and every rejected row."""

    groups: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)
    rows: int = 0

    @property
    def valid(self) -> int:
        return sum(len(v) for v in self.groups.values())


def _formula_like(piece: str) -> bool:
    return piece.lstrip(" ").startswith(_FORMULA_STARTS)


def _unquote_cell(text: str) -> str:
    # Our own exports neutralise formula-like cells, and formula-like pieces after a `;`, with a leading
    # apostrophe (see safe_cell): accept them back.
    return ";".join(p[1:] if p.startswith("'") and _formula_like(p[1:]) else p for p in text.split(";"))


def read_rows(stream: IO[str], region: str | None = None, processes: int | None = None) -> ParsedFile:
    """Parse `number[,reason,category]` rows. A header row naming `number` may reorder the columns
    (so an export, whose columns are EXPORT_COLUMNS, imports back as it was).

    The CSV is read in this process; the numbers (the costly part) are normalised on every core once
    the file is large enough to be worth it."""
    parsed = ParsedFile()
    columns = {"reason": 1, "category": 2}
    rows: list[tuple[int, str, str, str]] = []
    reader = csv.reader(stream)
    for row in reader:
        line_no = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        first = row[0].strip()
        if not rows and not parsed.rejected and first.lower() == "number":
            names = [cell.strip().lower() for cell in row]
            columns = {name: names.index(name) for name in ("reason", "category") if name in names}
            continue
        if any(len(cell) > MAX_FIELD for cell in row):
            parsed.rejected.append(Rejected(line_no, first[:40], f"a cell is longer than {MAX_FIELD} characters"))
            continue
        reason_at, category_at = columns.get("reason"), columns.get("category")
        reason = row[reason_at].strip() if reason_at is not None and reason_at < len(row) else ""
        category = row[category_at].strip() if category_at is not None and category_at < len(row) else ""
        rows.append((line_no, first, reason, category))
    parsed.rows = len(rows) + len(parsed.rejected)
    seen: set[str] = set()
    for (line_no, first, reason, category), result in zip(rows, _normalise_all([r[1] for r in rows], region, processes)):
        if result.startswith("!"):
            parsed.rejected.append(Rejected(line_no, first[:40], result[1:]))
            continue
        if result in seen:
            continue
        seen.add(result)
        key = (_unquote_cell(reason), _unquote_cell(category) or "intimidation")
        parsed.groups.setdefault(key, []).append(result)
    parsed.rejected.sort(key=lambda r: r.line)
    return parsed


PARALLEL_FROM = 20_000  # rows; below this, starting processes costs more than it saves
_CHUNK = 10_000


def _normalise_chunk(job: tuple[list[str], str | None]) -> list[str]:
    """Entries in E.164 (or prefix) form, or `!reason` for each that is not valid."""
    texts, region = job
    out = []
    for text in texts:
        try:
            entry = parse_entry(_unquote_cell(text), region)
        except InvalidNumber as exc:
            out.append("!" + str(exc))
            continue
        if needs_second_admin(entry):
            out.append(f"!covers up to {prefix_plan(entry).numbers:,} numbers: add it on the page, where a second"
                       " admin confirms it")
        else:
            out.append(entry)
    return out


def _normalise_all(texts: list[str], region: str | None, processes: int | None) -> list[str]:
    workers = processes if processes is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(texts) < PARALLEL_FROM:
        return _normalise_chunk((texts, region))
    chunks = [(texts[i:i + _CHUNK], region) for i in range(0, len(texts), _CHUNK)]
    # forkserver, not fork: the worker or web process that imports has threads (Redis pools, the RQ
    # scheduler), and a fork taken while one of them holds a lock can hang the child for ever.
    context = multiprocessing.get_context("forkserver")
    with context.Pool(workers) as pool:
        return [entry for chunk in pool.imap(_normalise_chunk, chunks) for entry in chunk]


def safe_cell(value: str) -> str:
    """A cell that a spreadsheet shows as text: formula starters get a leading apostrophe. Spreadsheets in
    ru/be/pl locales split a CSV on `;`, so every `;`-separated piece that would start a formula gets one too
    (`x;=HYPERLINK(...)` -> `x;'=HYPERLINK(...)`)."""
    return ";".join("'" + p if _formula_like(p) else p for p in value.split(";"))


def iso_time(ts: int) -> str:
    """A Unix time as ISO 8601 in UTC (`2026-11-30T09:15:00Z`), as spreadsheets and people read it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else ""


def export_rows(entries: Iterable[BlocklistEntry]) -> Iterator[str]:
    """CSV text, a chunk per row. The number column is validated `+digits[*]`; free text is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    stamp, added_at = None, ""  # an import's entries share one time: format it once
    for item in entries:
        buffer.seek(0)
        buffer.truncate()
        meta = item.meta
        writer.writerow(
            [item.entry]
            + [safe_cell(str(v)) for v in (meta.category, meta.reason, meta.evidence, meta.source, meta.added_by)]
            + [added_at if meta.added_at == stamp else (added_at := iso_time(stamp := meta.added_at))]
        )
        yield buffer.getvalue()
