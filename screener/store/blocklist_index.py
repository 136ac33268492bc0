"""A secondary index of the blocklist for the web page: ordered listing, search by digits, filters.

The call path never reads it (screener/store/lookup.py goes straight to the buckets). Three sorted
sets, all with score 0 so that Redis orders members lexicographically:
  n: the entry's digits (a prefix keeps its trailing *), for listing and search by leading digits;
  r: a number's digits reversed, for search by the last digits someone remembers;
  f: `category US source US digits`, for filtered listing; a hash counts entries per (category, source).
Every page is a ZRANGEBYLEX with LIMIT from a cursor: O(log N + page), whatever the list size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import redis

from screener.store.keys import Keys

if TYPE_CHECKING:
    from screener.store.blocklist import Blocklist, BlocklistEntry, EntryMeta

SEP = "\x1f"
MIN_SUFFIX_DIGITS = 3
MAX_SUFFIX_MATCHES = 1000


def _facet_value(value: str) -> str:
    return value.replace(SEP, " ")


def facet(category: str, source: str) -> str:
    return _facet_value(category) + SEP + _facet_value(source)


def member_digits(entry: str) -> str:
    """`+37517*` -> `37517*`, `+375291234567` -> `375291234567`."""
    return entry.lstrip("+")


def entry_from_member(member: str) -> str:
    return "+" + member


@dataclass(frozen=True)
class Page:
    """One page of entries (as member digits) and the cursor for the next page, if there is one."""

    members: list[str]
    next_after: str | None


class BlocklistIndex:
    """Maintains and queries the index; Blocklist stages its writes here so both change together."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    # --- writes (staged on the caller's pipeline) ----------------------------------------------

    def stage_add(self, pipe: redis.client.Pipeline, entries: list[str], meta: "EntryMeta") -> None:
        if not entries:
            return
        k, pair = self.keys, facet(meta.category, meta.source)
        digits = [member_digits(e) for e in entries]
        pipe.zadd(k.blocklist_index(), dict.fromkeys(digits, 0))
        numbers = [d[::-1] for d in digits if not d.endswith("*")]
        if numbers:
            pipe.zadd(k.blocklist_index_reversed(), dict.fromkeys(numbers, 0))
        pipe.zadd(k.blocklist_index_facets(), {pair + SEP + d: 0 for d in digits})
        pipe.hincrby(k.blocklist_facet_counts(), pair, len(digits))

    def stage_remove(self, pipe: redis.client.Pipeline, entry: str, meta: "EntryMeta") -> None:
        k, pair, digits = self.keys, facet(meta.category, meta.source), member_digits(entry)
        pipe.zrem(k.blocklist_index(), digits)
        pipe.zrem(k.blocklist_index_reversed(), digits[::-1])
        pipe.zrem(k.blocklist_index_facets(), pair + SEP + digits)
        pipe.hincrby(k.blocklist_facet_counts(), pair, -1)

    def rebuild(self, blocklist: "Blocklist", batch: int = 5000) -> int:
        """Rebuild from the list itself into fresh keys, then swap them in at once."""
        k = self.keys
        temp = Keys(k.prefix + "ixbuild:")
        staging = BlocklistIndex(self.client, temp)
        names = [(temp.blocklist_index(), k.blocklist_index()),
                 (temp.blocklist_index_reversed(), k.blocklist_index_reversed()),
                 (temp.blocklist_index_facets(), k.blocklist_index_facets()),
                 (temp.blocklist_facet_counts(), k.blocklist_facet_counts())]
        self.client.delete(*(t for t, _ in names))
        count = 0
        pipe = self.client.pipeline(transaction=False)
        for item in blocklist:
            staging.stage_add(pipe, [item.entry], item.meta)
            count += 1
            if count % batch == 0:
                pipe.execute()
        pipe.execute()
        swap = self.client.pipeline(transaction=True)
        for tmp, final in names:
            swap.delete(final)
        for tmp, final in names:
            if self.client.exists(tmp):
                swap.rename(tmp, final)
        swap.execute()
        return count

    # --- reads ---------------------------------------------------------------------------------

    def size(self) -> int:
        return int(self.client.zcard(self.keys.blocklist_index()))

    def facets(self) -> dict[tuple[str, str], int]:
        """(category, source) -> number of entries."""
        result = {}
        for raw, count in self.client.hgetall(self.keys.blocklist_facet_counts()).items():
            if int(count) > 0:
                category, _, source = raw.decode().partition(SEP)
                result[(category, source)] = int(count)
        return result

    def page(self, digits: str = "", category: str = "", source: str = "", after: str = "",
             limit: int = 50) -> Page:
        """Entries whose digits start (or, for 3+ digits, end) with `digits`, in order, after a cursor."""
        if category or source:
            pairs = [facet(c, s) for (c, s) in self.facets()
                     if (not category or c == category) and (not source or s == source)]
            found = self._faceted(pairs, digits, after, limit + 1)
        else:
            found = self._range(self.keys.blocklist_index(), "", digits, after, limit + 1)
        if len(digits) >= MIN_SUFFIX_DIGITS:
            found = sorted(set(found) | set(self._by_suffix(digits, after, category, source)))
        page = found[:limit]
        return Page(page, page[-1] if len(found) > limit else None)

    def _range(self, key: str, head: str, digits: str, after: str, count: int) -> list[str]:
        low = "(" + head + after if after and after >= digits else "[" + head + digits
        high = "[" + head + digits + "\xff"
        raw = self.client.zrangebylex(key, low, high, start=0, num=count)
        return [m.decode()[len(head):] for m in raw]

    def _faceted(self, pairs: Iterable[str], digits: str, after: str, count: int) -> list[str]:
        pipe = self.client.pipeline(transaction=False)
        pairs = list(pairs)
        for pair in pairs:
            head = pair + SEP
            low = "(" + head + after if after and after >= digits else "[" + head + digits
            pipe.zrangebylex(self.keys.blocklist_index_facets(), low, "[" + head + digits + "\xff", start=0, num=count)
        merged: set[str] = set()
        for pair, raw in zip(pairs, pipe.execute()):
            merged.update(m.decode()[len(pair) + 1:] for m in raw)
        return sorted(merged)[:count]

    def _by_suffix(self, digits: str, after: str, category: str, source: str) -> list[str]:
        reversed_digits = digits[::-1]
        raw = self.client.zrangebylex(self.keys.blocklist_index_reversed(), "[" + reversed_digits,
                                      "[" + reversed_digits + "\xff", start=0, num=MAX_SUFFIX_MATCHES)
        numbers = sorted(m.decode()[::-1] for m in raw)
        numbers = [n for n in numbers if not after or n > after]
        if not (category or source) or not numbers:
            return numbers
        pairs = [facet(c, s) for (c, s) in self.facets()
                 if (not category or c == category) and (not source or s == source)]
        pipe = self.client.pipeline(transaction=False)
        for number in numbers:
            for pair in pairs:
                pipe.zscore(self.keys.blocklist_index_facets(), pair + SEP + number)
        scores = pipe.execute()
        width = len(pairs)
        return [n for i, n in enumerate(numbers) if any(s is not None for s in scores[i * width:(i + 1) * width])]
