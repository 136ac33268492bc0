"""The blocklist store: counts kept with the entries, recounting, and nothing stored per entry beyond them."""
from __future__ import annotations

import pytest

from screener.store.blocklist import Blocklist, EntryMeta
from screener.store.keys import Keys


@pytest.fixture
def blocklist(redis_client) -> Blocklist:
    return Blocklist(redis_client, Keys())


def _numbers(start: int, count: int) -> list[str]:
    return [f"+37529{i:07d}" for i in range(start, start + count)]


def test_counts_follow_adds_edits_and_removals(blocklist):
    threats, spam = EntryMeta(reason="threats"), EntryMeta(category="spam", source="import:x.csv")
    blocklist.add_many(["+375291234567", "+375291234568", "+37517*"], threats)
    blocklist.add_many(["+375291234567", "+375447654321"], spam)  # the first is listed already

    blocklist.update("+375291234568", spam)
    blocklist.remove("+375447654321")

    assert blocklist.facets() == {("intimidation", "manual"): 2, ("spam", "import:x.csv"): 1}
    assert sum(blocklist.facets().values()) == blocklist.count() == 3


def test_recount_sets_the_counts_and_the_total_from_the_entries(blocklist, redis_client):
    blocklist.add_many(_numbers(0, 300) + ["+37517*"], EntryMeta(category="spam"))
    redis_client.delete(blocklist.keys.blocklist_meta_counts())
    redis_client.set(blocklist.keys.blocklist_count(), 5)

    assert blocklist.recount() == 301

    assert blocklist.facets() == {("spam", "manual"): 301}
    assert blocklist.count() == 301


def _outside_buckets(client, keys: Keys) -> dict[str, int]:
    """Every key but the buckets and the change stream (capped: test_the_change_stream_stays_capped), with
    the bytes Redis holds for it."""
    stem = keys.blocklist_bucket_stem().encode()
    return {key.decode(): client.memory_usage(key, samples=0) for key in client.scan_iter(count=1000)
            if not key.startswith(stem) and key != keys.blocklist_changes().encode()}


def test_the_change_stream_stays_capped(blocklist, redis_client, monkeypatch):
    from screener.store import blocklist as module

    monkeypatch.setattr(module, "CHANGES_KEPT", 10)
    for start in range(0, 60_000, 100):
        blocklist.add_many(_numbers(start, 100), EntryMeta(reason="threats"))
    assert redis_client.xlen(blocklist.keys.blocklist_changes()) <= 200  # "~": trimmed a listpack at a time


def test_the_list_keeps_nothing_per_entry_outside_its_buckets(blocklist, redis_client):
    # At this size most of the 2^17 buckets hold one entry, so Redis' per-key overhead dominates any
    # bytes-per-entry figure (bench/ measures that at a million entries); what must hold at any size is
    # that only the buckets grow with the list.
    meta = EntryMeta(reason="threats", source="import:shared.csv")
    blocklist.add_many(_numbers(0, 10_000), meta)
    before = _outside_buckets(redis_client, blocklist.keys)

    blocklist.add_many(_numbers(10_000, 10_000), meta)
    after = _outside_buckets(redis_client, blocklist.keys)

    assert blocklist.count() == 20_000
    assert after.keys() == before.keys()
    assert all(abs(after[key] - before[key]) <= 8 for key in before), (before, after)
