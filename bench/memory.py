"""Benchmark 3: Redis memory per blocklist entry after importing entries through the store's write path."""
from __future__ import annotations

import random
import time
from collections import defaultdict
from pathlib import Path

from bench.callers import shaped_number
from bench.redis_server import start_redis
from screener.store.blocklist import Blocklist, EntryMeta
from screener.store.keys import Keys

# An import of a real list: a handful of reasons and categories, one source.
GROUPS = [
    ("intimidation", "threatening calls to the newsroom"),
    ("intimidation", "silent calls at night"),
    ("harassment", "abusive voicemail"),
    ("harassment", "repeated calls after being told to stop"),
    ("impersonation", "claims to be the police"),
    ("impersonation", "claims to be a court official"),
    ("spam", "robocaller"),
    ("spam", "premium-rate callback scam"),
    ("surveillance", "calls sources right after they talk to us"),
    ("surveillance", "probes which numbers are in use"),
]


def _settings(quick: bool) -> dict:
    return {"entries": 50_000 if quick else 1_000_000}


def distinct_numbers(rng: random.Random, count: int) -> list[str]:
    """count distinct E.164 numbers of many countries (shaped like real ones, not checked for validity)."""
    out: set[str] = set()
    while len(out) < count:
        code, nsn = shaped_number(rng)
        out.add(f"+{code}{nsn}")
    return sorted(out)


def run(quick: bool, workdir: Path, log=print) -> dict:
    cfg = _settings(quick)
    numbers = distinct_numbers(random.Random(3), cfg["entries"])
    random.Random(4).shuffle(numbers)
    server = start_redis()
    try:
        client = server.client()
        blocklist = Blocklist(client, Keys())
        before = server.used_memory()
        keys_before = client.dbsize()
        started = time.perf_counter()
        per_group = len(numbers) // len(GROUPS) + 1
        added = 0
        for n, (category, reason) in enumerate(GROUPS):
            meta = EntryMeta(category=category, reason=reason, evidence="recordings in the newsroom archive",
                             source="import:shared-list-2024.csv", added_by="cli:bench", added_at=1_700_000_000)
            added += blocklist.add_many(numbers[n * per_group:(n + 1) * per_group], meta)
        seconds = time.perf_counter() - started
        used = server.used_memory() - before
        assert added == len(numbers) == blocklist.count(), (added, len(numbers), blocklist.count())
        by_family = _by_key_family(client)
        encodings = _bucket_encodings(client)
        out = {
            "settings": cfg,
            "entries": added,
            "used_memory_delta": used,
            "bytes_per_entry": used / added,
            "add_many_seconds": seconds,
            "keys_created": client.dbsize() - keys_before,
            "memory_usage_by_key_family": {
                family: {"keys": n, "bytes": b, "bytes_per_entry": round(b / added, 1)}
                for family, (n, b) in sorted(by_family.items(), key=lambda kv: -kv[1][1])
            },
            "bucket_encodings_sampled": encodings,
            "redis_config": {k: v for k, v in client.config_get("hash-max-listpack-*").items()},
        }
        log(f"  memory: {added:,} entries via Blocklist.add_many in {seconds:.1f} s;"
            f" used_memory +{used / 1e6:.1f} MB = {used / added:.1f} bytes/entry")
        return out
    finally:
        server.stop()


def _by_key_family(client) -> dict[str, tuple[int, int]]:
    """MEMORY USAGE summed per key family (key name up to its last ':' for buckets, whole name otherwise)."""
    families: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    bucket_prefix = Keys().blocklist_bucket("0").rsplit(":", 1)[0] + ":"
    batch: list[bytes] = []

    def flush() -> None:
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key, samples=0)
        for key, size in zip(batch, pipe.execute()):
            name = key.decode()
            family = bucket_prefix + "*" if name.startswith(bucket_prefix) else name
            families[family][0] += 1
            families[family][1] += size or 0
        batch.clear()

    for key in client.scan_iter(count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            flush()
    flush()
    return {k: (v[0], v[1]) for k, v in families.items()}


def _bucket_encodings(client) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    pattern = Keys().blocklist_bucket_pattern()
    for n, key in enumerate(client.scan_iter(match=pattern, count=1000)):
        if n >= 2000:
            break
        counts[client.object("encoding", key).decode()] += 1
    return dict(counts)
