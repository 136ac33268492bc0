"""Blocklist CSV files: read rows with per-row errors, write exports that no spreadsheet executes."""
from __future__ import annotations

import csv
import io
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from typing import IO, Callable, Iterable, Iterator, Mapping

from screener.numbers import InvalidNumber, needs_second_admin, parse_entry, prefix_plan
from screener.store.blocklist import MISSING_META, BlocklistEntry, EntryMeta, RawBatch

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


def read_rows(stream: IO[str], region: str | None = None, processes: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> ParsedFile:
    """Parse `number[,reason,category]` rows. A header row naming `number` may reorder the columns
    (so an export, whose columns are EXPORT_COLUMNS, imports back as it was).

    The CSV is read in this process; the numbers (the costly part) are normalised on every core once
    the file is large enough to be worth it. `progress(done, total)` is called as rows are normalised."""
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
    for (line_no, first, reason, category), result in zip(rows, _normalise_all([r[1] for r in rows], region, processes, progress)):
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


def _normalise_all(texts: list[str], region: str | None, processes: int | None,
                   progress: Callable[[int, int], None] | None = None) -> list[str]:
    workers = processes if processes is not None else (os.cpu_count() or 1)
    chunks = [(texts[i:i + _CHUNK], region) for i in range(0, len(texts), _CHUNK)]
    if workers <= 1 or len(texts) < PARALLEL_FROM:
        return _counted(map(_normalise_chunk, chunks), len(texts), progress)
    # forkserver, not fork: the worker or web process that imports has threads (Redis pools, the RQ
    # scheduler), and a fork taken while one of them holds a lock can hang the child for ever.
    context = multiprocessing.get_context("forkserver")
    with context.Pool(workers) as pool:
        return _counted(pool.imap(_normalise_chunk, chunks), len(texts), progress)


def _counted(chunks: Iterable[list[str]], total: int, progress: Callable[[int, int], None] | None) -> list[str]:
    out: list[str] = []
    for chunk in chunks:
        out.extend(chunk)
        if progress is not None:
            progress(len(out), total)
    return out


def safe_cell(value: str) -> str:
    """A cell that a spreadsheet shows as text: formula starters get a leading apostrophe. Spreadsheets in
    ru/be/pl locales split a CSV on `;`, so every `;`-separated piece that would start a formula gets one too
    (`x;=HYPERLINK(...)` -> `x;'=HYPERLINK(...)`)."""
    return ";".join("'" + p if _formula_like(p) else p for p in value.split(";"))


def iso_time(ts: int) -> str:
    """A Unix time as ISO 8601 in UTC (`2026-11-30T09:15:00Z`), as spreadsheets and people read it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else ""


def _csv_line(cells: list) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def _row_tail(meta: EntryMeta) -> str:
    """Everything of a row after the number cell (starting with its comma): free text neutralised."""
    return _csv_line([""] + [safe_cell(str(v)) for v in (meta.category, meta.reason, meta.evidence, meta.source,
                                                        meta.added_by)] + [iso_time(meta.added_at)])


def _row(entry: str, tail: str) -> str:
    # A listed entry is `+digits[*]`, which CSV writes as it is; anything else is quoted by the writer.
    if entry[1:].rstrip("*").isdigit() and entry.isascii():
        return entry + tail
    return _csv_line([entry]).rstrip("\n") + tail


EXPORT_HEADER = _csv_line(EXPORT_COLUMNS)


def export_rows(entries: Iterable[BlocklistEntry]) -> Iterator[str]:
    """CSV text, a chunk per row. The number column is `+digits[*]`; free text is neutralised."""
    tails: dict[EntryMeta, str] = {}
    yield EXPORT_HEADER
    for item in entries:
        tail = tails.get(item.meta)
        if tail is None:
            tail = tails[item.meta] = _row_tail(item.meta)
        yield _row(item.entry, tail)


def export_batches(metas: Mapping[str, EntryMeta], batches: Iterable[RawBatch]) -> Iterator[bytes]:
    """The same CSV as export_rows, in UTF-8, a chunk per batch (Blocklist.batches()): each metadata record
    is formatted once, so a row costs little more than its number."""
    tails: dict[bytes, bytes] = {}
    yield EXPORT_HEADER.encode()
    for batch in batches:
        star = b"*" if batch.prefixes else b""
        rows = []
        for digits, meta_id in batch.pairs():
            tail = tails.get(meta_id)
            if tail is None:
                tail = tails[meta_id] = _row_tail(metas.get(meta_id.decode(), MISSING_META)).encode()
            if digits.isdigit():  # bytes: ASCII digits only, which CSV writes as they are
                rows.append(b"+" + digits + star + tail)
            else:
                rows.append(_row(batch.entry(digits), tail.decode()).encode())
        yield b"".join(rows)
