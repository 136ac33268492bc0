"""A compact in-memory copy of the blocklist (exact numbers and prefixes) and the allowlists, for deciding
calls while Redis cannot be reached. Pure: store/list_copy.py fills it from Redis and keeps it current.

An exact entry costs 8 bytes: its digits as an integer, doubled, plus one when the entry only screens,
in one sorted array (bench/local_lists.py measures it at a million entries). Changes since the array was
built sit in a small dict and set until there are enough of them to merge into a new array.
"""
from __future__ import annotations

import threading
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Iterable

from screener.model import SCREEN_META_PREFIX, ListMatches
from screener.numbers import Caller

MERGE_AFTER = 20_000  # changes held apart from the array before they are merged into a new one


def _key(digits: str, screen: bool) -> int:
    return int(digits) * 2 + (1 if screen else 0)


def is_screen_meta(meta_id: str) -> bool:
    """A metadata id of a screen-list entry (the caller is screened, not blocked)."""
    return meta_id.startswith(SCREEN_META_PREFIX)


@dataclass
class _Exact:
    """The sorted array, and the changes made since it was built (number -> screen flag, or removed)."""

    base: array
    added: dict[int, bool] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)

    def find(self, number: int) -> bool | None:
        """The entry's screen flag, or None when the number is not listed."""
        if number in self.added:
            return self.added[number]
        if number in self.removed:
            return None
        at = bisect_left(self.base, number * 2)
        if at < len(self.base) and self.base[at] >> 1 == number:
            return bool(self.base[at] & 1)
        return None


class LocalLists:
    """The lists as one web process last saw them; `ready` once a full copy has been read."""

    def __init__(self) -> None:
        self._exact = _Exact(array("q"))
        self._prefixes: dict[str, bool] = {}  # digits -> screen flag
        self._allow: dict[str, frozenset[str]] = {}  # line -> E.164 numbers
        self._lock = threading.Lock()  # one writer at a time; readers take no lock
        self.ready = False

    def __len__(self) -> int:
        exact = self._exact
        merged = sum(1 for n in exact.base if (n >> 1) not in exact.added and (n >> 1) not in exact.removed)
        return merged + len(exact.added) + len(self._prefixes)

    def replace(self, exact: Iterable[tuple[str, str]], prefixes: Iterable[tuple[str, str]]) -> None:
        """Swap in a whole new copy: (digits, metadata id) pairs for exact entries and prefixes."""
        base = array("q", sorted(_key(digits, is_screen_meta(meta)) for digits, meta in exact))
        copy = {digits: is_screen_meta(meta) for digits, meta in prefixes}
        with self._lock:
            self._exact, self._prefixes, self.ready = _Exact(base), copy, True

    def add(self, entries: Iterable[str], meta_id: str) -> None:
        """Entries added or given new metadata; prefixes end with `*` (as the change stream names them)."""
        screen = is_screen_meta(meta_id)
        with self._lock:
            exact = self._exact
            for entry in entries:
                if entry.endswith("*"):
                    self._prefixes[entry[:-1]] = screen
                else:
                    number = int(entry)
                    exact.added[number] = screen
                    exact.removed.discard(number)
            self._merge_when_due()

    def remove(self, entries: Iterable[str]) -> None:
        """Entries taken off the list."""
        with self._lock:
            exact = self._exact
            for entry in entries:
                if entry.endswith("*"):
                    self._prefixes.pop(entry[:-1], None)
                else:
                    number = int(entry)
                    exact.added.pop(number, None)
                    exact.removed.add(number)
            self._merge_when_due()

    def set_allowlists(self, allowlists: dict[str, Iterable[str]]) -> None:
        """Every line's allowlist, replacing the copy's."""
        self._allow = {line: frozenset(members) for line, members in allowlists.items()}

    def matches(self, caller: Caller, line: str) -> ListMatches | None:
        """What the lists say about a caller on a line, as call_path.lua would find it; None before the
        first full copy (then nobody can be told apart, and the policy screens every caller)."""
        if not self.ready:
            return None
        if not caller.e164:
            return ListMatches()
        digits = caller.e164[1:]
        allowed = caller.e164 in self._allow.get(line, ())
        screen = self._exact.find(int(digits)) if digits.isdigit() else None
        if screen is not None:
            return ListMatches(allowed, caller.e164, SCREEN_META_PREFIX if screen else "0")
        prefixes = self._prefixes
        for length in range(len(digits) - 1, 0, -1):  # the longest matching prefix wins
            flag = prefixes.get(digits[:length])
            if flag is not None:
                return ListMatches(allowed, f"+{digits[:length]}*", SCREEN_META_PREFIX if flag else "0")
        return ListMatches(allowed)

    def _merge_when_due(self) -> None:
        exact = self._exact
        if len(exact.added) + len(exact.removed) < MERGE_AFTER:
            return
        gone = exact.removed | exact.added.keys()
        kept = (n for n in exact.base if (n >> 1) not in gone)
        merged = sorted([*kept, *(number * 2 + (1 if screen else 0) for number, screen in exact.added.items())])
        self._exact = _Exact(array("q", merged))
