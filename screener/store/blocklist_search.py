"""Search and page through the blocklist for the web page, without an index: a script scans the buckets.

The list keeps nothing per entry beyond the entry itself (screener/store/blocklist.py), so a page is
found by scanning. Prefixes come first: there are at most a few thousand, read with one HGETALL and
filtered here, in order. Then the exact numbers: a Lua script reads a slice of the 2^17 buckets
inside Redis and returns only the matching entries, so one call holds Redis for about a millisecond
and the calls being screened wait no longer than that. Slices are asked for until the page is full,
the buckets run out or a time budget is spent; the cursor of the next page is `p<last prefix>` while
in the prefixes, `b<bucket>` after. Numbers are sorted within a page, not across pages, and a bucket
is never split between pages, so a page may hold a few more than asked for.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from screener.store import scripts
from screener.store.blocklist import MISSING_META, Blocklist, BlocklistEntry, EntryMeta, buckets_per_call
from screener.store.keys import BLOCKLIST_BUCKETS

# A scan that finds few matches stops after this long with what it has; "next page" goes on from there.
TIME_BUDGET_SECONDS = 1.5

_CURSOR = re.compile(r"p[0-9]{0,15}|b(0|[1-9][0-9]{0,5})")
START = "p"
_END = f"b{BLOCKLIST_BUCKETS}"


def valid_cursor(text: str) -> bool:
    """True for a cursor this module hands out: `p<prefix digits>` or `b<bucket number>`."""
    match = _CURSOR.fullmatch(text)
    return bool(match) and (match.group(1) is None or int(match.group(1)) < BLOCKLIST_BUCKETS)


@dataclass(frozen=True)
class Page:
    """Entries sorted by number, the cursor of the next page (None at the end), and whether the time
    budget stopped the scan before the page was full."""

    entries: list[BlocklistEntry]
    next_cursor: str | None
    scanned_out: bool = False


class BlocklistSearch:
    """Finds entries by digits, category and source; never writes."""

    def __init__(self, blocklist: Blocklist, time_budget: float = TIME_BUDGET_SECONDS) -> None:
        self.blocklist = blocklist
        self.time_budget = time_budget
        self._scan = scripts.register(blocklist.client, "blocklist_scan")

    def page(self, digits: str = "", category: str = "", source: str = "", cursor: str = START,
             limit: int = 50) -> Page:
        """Entries whose digits contain `digits`, of the given category and source ('' = any), from a cursor."""
        allowed = None
        if category or source:
            metas = self.blocklist.metas()
            allowed = {i for i, m in metas.items()
                       if (not category or m.category == category) and (not source or m.source == source)}
            if not allowed:
                return Page([], None)
        found: dict[str, str] = {}
        if cursor.startswith("p"):
            found, cursor = self._prefixes(cursor[1:], digits, allowed, limit)
        ids = "" if allowed is None else ",".join(sorted(allowed))
        step = buckets_per_call(self.blocklist.count())
        deadline = time.monotonic() + self.time_budget
        while len(found) < limit and cursor != _END:
            cursor, flat = self._scan_buckets(int(cursor[1:]), step, digits, ids, limit - len(found))
            found.update(zip(flat[::2], flat[1::2]))
            if time.monotonic() > deadline:
                break
        if cursor == _END:
            return Page(self._entries(found), None)
        return Page(self._entries(found), cursor, scanned_out=len(found) < limit)

    def number(self, entry: str, category: str = "", source: str = "") -> Page:
        """The page for one full number: the entry itself if listed (and in the category and source)."""
        found = self.blocklist.get(entry)
        if found is None or (category and found.meta.category != category) or (source and found.meta.source != source):
            return Page([], None)
        return Page([found], None)

    def _prefixes(self, after: str, digits: str, allowed: set[str] | None,
                  limit: int) -> tuple[dict[str, str], str]:
        """The first `limit` matching prefixes after `after`, in order, and where to go on from."""
        raw = self.blocklist.client.hgetall(self.blocklist.keys.blocklist_prefixes())
        matching = sorted(
            (field, meta_id) for field, meta_id in ((f.decode(), m.decode()) for f, m in raw.items())
            if field > after and digits in field and (allowed is None or meta_id in allowed))
        page = matching[:limit]
        found = {field + "*": meta_id for field, meta_id in page}
        return found, ("p" + page[-1][0] if len(matching) > limit else "b0")

    def _scan_buckets(self, first: int, step: int, digits: str, ids: str, wanted: int) -> tuple[str, list[str]]:
        keys = self.blocklist.keys
        step = min(step, BLOCKLIST_BUCKETS - first)  # the script reads no bucket past the last
        following, flat = self._scan(args=[keys.blocklist_bucket_stem(), first, step, digits, ids, wanted])
        return f"b{following}", [item.decode() for item in flat]

    def _entries(self, found: dict[str, str]) -> list[BlocklistEntry]:
        """(digits -> metadata id) -> entries with their metadata, sorted, in one round trip."""
        ids = sorted(set(found.values()))
        raws = self.blocklist.client.hmget(self.blocklist.keys.blocklist_meta(), ids) if ids else []
        metas = {i: EntryMeta.from_json(raw) for i, raw in zip(ids, raws) if raw}
        return [BlocklistEntry("+" + digits, metas.get(found[digits], MISSING_META)) for digits in sorted(found)]
