"""Blocklist CSV files: read rows with per-row errors, write exports that no spreadsheet executes."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import IO, Iterable, Iterator

from screener.numbers import InvalidNumber, parse_entry
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


def _unquote_cell(text: str) -> str:
    # Our own exports neutralise formula-like cells with a leading apostrophe: accept them back.
    return text[1:] if text.startswith("'") and text[1:2] in _FORMULA_STARTS else text


def read_rows(stream: IO[str], region: str | None = None) -> ParsedFile:
    """Parse `number[,reason,category]` rows. A header row naming `number` may reorder the columns
    (so an export, whose columns are EXPORT_COLUMNS, imports back as it was)."""
    parsed = ParsedFile()
    seen: set[str] = set()
    columns = {"reason": 1, "category": 2}
    reader = csv.reader(stream)
    for row in reader:
        line_no = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        first = row[0].strip()
        if parsed.rows == 0 and not parsed.rejected and first.lower() == "number":
            names = [cell.strip().lower() for cell in row]
            columns = {name: names.index(name) for name in ("reason", "category") if name in names}
            continue
        parsed.rows += 1
        if any(len(cell) > MAX_FIELD for cell in row):
            parsed.rejected.append(Rejected(line_no, first[:40], f"a cell is longer than {MAX_FIELD} characters"))
            continue
        try:
            entry = parse_entry(_unquote_cell(first), region)
        except InvalidNumber as exc:
            parsed.rejected.append(Rejected(line_no, first[:40], str(exc)))
            continue
        if entry in seen:
            continue
        seen.add(entry)

        def cell(name: str) -> str:
            index = columns.get(name)
            return _unquote_cell(row[index].strip()) if index is not None and index < len(row) else ""

        parsed.groups.setdefault((cell("reason"), cell("category") or "intimidation"), []).append(entry)
    return parsed


def safe_cell(value: str) -> str:
    """A cell that a spreadsheet shows as text: formula starters get a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def export_rows(entries: Iterable[BlocklistEntry]) -> Iterator[str]:
    """CSV text, a chunk per row. The number column is validated `+digits[*]`; free text is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    for item in entries:
        buffer.seek(0)
        buffer.truncate()
        meta = item.meta
        writer.writerow(
            [item.entry]
            + [safe_cell(str(v)) for v in (meta.category, meta.reason, meta.evidence, meta.source, meta.added_by)]
            + [meta.added_at]
        )
        yield buffer.getvalue()
