"""Memory per entry of a web process's local copy of the blocklist (screener/local_lists.py), and how long
reading it from Redis and applying a change take (`python -m bench.local_lists [--entries N]`).

The copy is built through its own load path (store/list_copy.py) from a Redis holding N exact entries
added through the store's write path; its bytes are measured with tracemalloc (the array, and the
changes waiting to be merged), so the figure is the process's own memory for the list.
"""
from __future__ import annotations

import argparse
import random
import time
import tracemalloc

from bench.callers import valid_numbers
from bench.deployment import block
from bench.redis_server import start_redis
from screener.local_lists import LocalLists
from screener.numbers import Caller, CallerKind
from screener.store.keys import Keys
from screener.store.list_copy import ListCopy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(11)
    redis = start_redis()
    try:
        client = redis.client()
        numbers = valid_numbers(rng, args.entries)
        started = time.monotonic()
        block(client, numbers)
        print(f"entries added to Redis: {args.entries} in {time.monotonic() - started:.1f} s")

        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        copy = ListCopy(client, Keys(), LocalLists())
        started = time.monotonic()
        copy.sync()
        loaded = time.monotonic() - started
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        print(f"full read: {loaded:.1f} s; held after the read: {held / args.entries:.1f} bytes per entry "
              f"({held / 1e6:.1f} MB for {args.entries} entries)")

        more = valid_numbers(rng, 2000, exclude=frozenset(numbers))
        block(client, more)
        started = time.monotonic()
        copy.sync()
        print(f"incremental sync of one 2000-entry change: {(time.monotonic() - started) * 1000:.1f} ms")
        probe = [Caller(CallerKind.NUMBER, n) for n in rng.sample(numbers, 10_000) + more[:1000]]
        started = time.perf_counter()
        found = sum(1 for caller in probe if copy.lists.matches(caller, "+1").blocklist_entry)
        per = (time.perf_counter() - started) / len(probe) * 1e6
        print(f"lookup: {per:.1f} us per caller; found {found} of {len(probe)} listed callers")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
