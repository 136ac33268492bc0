"""Benchmark 2: decision latency (CallLookup.lookup + policy.decide, real Redis) against list size.

Each list size lives in its own redis-server, all running at once, so that the sizes can be measured
in interleaved rounds: a slow moment of the machine then hits every size alike.
"""
from __future__ import annotations

import itertools
import random
import time
from pathlib import Path
from typing import Callable, Iterator

import redis

from bench import bulk_load
from bench.deployment import LINE, save_line, settings_for
from bench.redis_server import RedisServer, start_redis
from bench.cpu import CpuWatch
from bench.stats import summary
from screener import policy
from screener.model import Decision
from screener.numbers import Caller, CallerKind
from screener.store.blocklist import Blocklist, EntryMeta
from screener.store.connection import connect
from screener.store.keys import Keys
from screener.store.lookup import CallLookup

PREFIXES = 10_000
# Entry i is +1 and ten digits: an affine bijection of i, so entries are distinct and spread out.
_MULT, _SPAN, _BASE = 2_654_435_761, 8_000_000_000, 2_000_000_000


def entry(i: int) -> str:
    return f"+1{_BASE + (i * _MULT) % _SPAN}"


def entries(start: int, stop: int) -> Iterator[str]:
    for i in range(start, stop):
        yield entry(i)


def prefix(k: int) -> str:
    return f"+380{10_000 + k:05d}*"


def _settings(quick: bool) -> dict:
    if quick:
        return {"sizes": [1_000, 10_000, 100_000], "rounds": 4, "per_round": 500, "load_budget_s": 60}
    return {"sizes": [1_000, 100_000, 1_000_000, 10_000_000], "rounds": 10, "per_round": 2_000, "load_budget_s": 360}


def _queries(rng: random.Random, size: int, count: int) -> list[tuple[str, Caller]]:
    """45% numbers on the list, 45% numbers on no list, 10% numbers under a listed prefix."""
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.45:
            kind, e164 = "listed", entry(rng.randrange(size))
        elif roll < 0.90:
            kind, e164 = "not listed", f"+447{rng.randrange(10**9):09d}"
        else:
            kind, e164 = "under a prefix", prefix(rng.randrange(PREFIXES))[:-1] + f"{rng.randrange(10**4):04d}"
        out.append((kind, Caller(CallerKind.NUMBER, e164)))
    return out


def _fill(server: RedisServer, size: int, log) -> dict:
    client = server.client()
    save_line(client)
    before = server.used_memory()
    blocklist = Blocklist(client, Keys())
    meta = EntryMeta(category="intimidation", reason="bench list", source="bench", added_by="bench", added_at=1)
    started = time.perf_counter()
    bulk_load.load(blocklist, server.port, entries(0, size), meta)
    bulk_load.load(blocklist, server.port, (prefix(k) for k in range(PREFIXES)), meta)
    seconds = time.perf_counter() - started
    # The data must be where the store looks for it.
    probe = random.Random(size)
    for i in (probe.randrange(size) for _ in range(20)):
        assert blocklist.get(entry(i)) is not None, f"{entry(i)} not found after loading"
    assert blocklist.get(prefix(7)) is not None
    assert blocklist.count() == size + PREFIXES, blocklist.count()
    used = server.used_memory() - before
    log(f"  list size: loaded {size:>10,} entries + {PREFIXES:,} prefixes in {seconds:6.1f} s"
        f" ({(size + PREFIXES) / seconds:,.0f}/s), {used / (size + PREFIXES):.1f} bytes/entry (lookup keys only)")
    return {"load_seconds": seconds, "bytes_per_entry_lookup_keys": used / (size + PREFIXES)}


def run(quick: bool, workdir: Path, log=print) -> dict:
    cfg = _settings(quick)
    workdir.mkdir(parents=True, exist_ok=True)
    servers: dict[int, RedisServer] = {}
    loads: dict[int, dict] = {}
    skipped: list[str] = []
    try:
        load_rate = None
        for size in cfg["sizes"]:
            if load_rate and size / load_rate > cfg["load_budget_s"]:
                skipped.append(f"{size:,} entries: loading would take ~{size / load_rate:.0f} s, over the "
                               f"{cfg['load_budget_s']} s budget")
                log(f"  list size: SKIPPED {skipped[-1]}")
                continue
            servers[size] = start_redis()
            loads[size] = _fill(servers[size], size, log)
            load_rate = (size + PREFIXES) / loads[size]["load_seconds"]
        label, samples, by_kind, other_cpu = _measure(cfg, servers, workdir)
        server_side = {size: _server_usec_per_call(server) for size, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    sizes = sorted(samples)
    results = {
        size: {**summary(samples[size]), **loads[size],
               "p50_by_kind": {kind: summary(v)["p50"] for kind, v in sorted(by_kind[size].items())},
               "redis_usec_per_call": server_side[size]}
        for size in sizes
    }
    smallest, largest = sizes[0], sizes[-1]
    out = {
        "settings": {**cfg, "prefixes": PREFIXES, "lookups_per_size": cfg["rounds"] * cfg["per_round"]},
        "path_measured": label,
        "latency_us": {f"{size:,}": results[size] for size in sizes},
        "p50_ratio_largest_vs_smallest": results[largest]["p50"] / results[smallest]["p50"],
        "p99_ratio_largest_vs_smallest": results[largest]["p99"] / results[smallest]["p99"],
        "largest": largest,
        "smallest": smallest,
        "skipped": skipped,
        "other_processes_cpu_cores": other_cpu,
    }
    log(f"  list size: p50 at {largest:,} / p50 at {smallest:,} = {out['p50_ratio_largest_vs_smallest']:.3f}")
    return out


def decision_path(client: redis.Redis, keys: Keys) -> tuple[str, Callable[[Caller], Decision]]:
    """The webhook's in-process path from a normalised caller to a decision, against real Redis.

    CallLookup.lookup (one pipelined round trip) + policy.decide; or, in code where the webhook reads
    the lists, decides and logs in one Lua call, that call (it also writes a call-log entry).
    """
    lookup = CallLookup(client, keys)
    if hasattr(lookup, "lookup"):
        def decide(caller: Caller) -> Decision:
            line, matches = lookup.lookup(caller, LINE)
            return policy.decide(caller, line, matches)

        return "CallLookup.lookup + policy.decide", decide
    try:
        from screener.store.call_path import CallFacts, CallPath, Campaign
    except ImportError:
        raise RuntimeError("the webhook's decision path changed: update bench/list_size.py decision_path()") from None
    lookup.refresh()
    line, path, sids = lookup.known_line(LINE), CallPath(client, keys), itertools.count()

    def decide_and_log(caller: Caller) -> Decision:
        facts = CallFacts(sid=f"CA{next(sids):032x}", line=LINE, at=int(time.time()), caller_e164=caller.e164 or "",
                          caller_kind=caller.kind.value, caller_masked="", caller_hash="", encrypted_number="",
                          retention_seconds=86400)
        return path.decide_and_log(facts, policy.candidates(caller, line), lookup.version,
                                   Campaign(window_seconds=0)).decision

    return "policy.candidates + CallPath.decide_and_log (lookup, decide and call-log write in one Lua call)", decide_and_log


def _measure(cfg: dict, servers: dict[int, RedisServer], workdir: Path):
    """Microseconds per decision, per size, the sizes taking turns query by query."""
    rng = random.Random(11)
    paths = {}
    for size, server in servers.items():
        label, decide = decision_path(connect(settings_for(server.url, workdir / "instance")), Keys())
        for _, caller in _queries(rng, size, 200):
            decide(caller)
        server.client().config_resetstat()
        paths[size] = decide
    samples: dict[int, list[float]] = {size: [] for size in servers}
    by_kind: dict[int, dict[str, list[float]]] = {size: {} for size in servers}
    order = list(servers)
    with CpuWatch() as watch:
        for _ in range(cfg["rounds"]):
            batches = {size: _queries(rng, size, cfg["per_round"]) for size in servers}
            # A busy moment of the machine then hits every size alike.
            for i in range(cfg["per_round"]):
                for size in order:
                    kind, caller = batches[size][i]
                    decide = paths[size]
                    started = time.perf_counter_ns()
                    decide(caller)
                    elapsed = (time.perf_counter_ns() - started) / 1000
                    samples[size].append(elapsed)
                    by_kind[size].setdefault(kind, []).append(elapsed)
                order = order[1:] + order[:1]
    return label, samples, by_kind, watch.result.others


def _server_usec_per_call(server: RedisServer) -> dict[str, float]:
    """Redis' own time per command of the lookup (INFO commandstats), without network or client."""
    stats = server.client().info("commandstats")
    return {name.removeprefix("cmdstat_"): float(v["usec_per_call"]) for name, v in stats.items()
            if name in ("cmdstat_get", "cmdstat_sismember", "cmdstat_hget", "cmdstat_hmget", "cmdstat_evalsha")}
