"""Benchmark 6: `screener blocklist export` against a raw pipelined DUMP of the same Redis keys."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import redis

from bench import bulk_load
from bench.cpu import CpuWatch
from bench.deployment import ROOT, environment
from bench.list_size import entries, prefix
from bench.redis_server import start_redis
from bench.stats import median
from screener.store.blocklist import Blocklist, EntryMeta
from screener.store.keys import BLOCKLIST_BUCKETS, Keys

PREFIXES = 1_000
# Three imports' worth of metadata, as a real list has: the export formats each record once.
METAS = [EntryMeta(category=c, reason=r, source="bench", added_by="bench", added_at=1)
         for c, r in (("intimidation", "threats"), ("spam", "robocaller"), ("impersonation", "=claims police"))]
PIPELINE = 1000  # keys per round trip of the raw dump


def _settings(quick: bool) -> dict:
    # Runs alternate dump, export, dump, ...: each export is compared with the dumps on either side.
    return {"entries": 50_000, "exports": 1} if quick else {"entries": 1_000_000, "exports": 2}


def fill(client: redis.Redis, port: int, size: int) -> int:
    """Load `size` numbers (a third per metadata record) and PREFIXES prefixes; return the list's count."""
    blocklist = Blocklist(client, Keys())
    third = size // 3
    for n, meta in enumerate(METAS):
        stop = size if n == len(METAS) - 1 else (n + 1) * third
        bulk_load.load(blocklist, port, entries(n * third, stop), meta)
    bulk_load.load(blocklist, port, (prefix(k) for k in range(PREFIXES)), METAS[0])
    return blocklist.count()


def raw_dump(client: redis.Redis) -> tuple[float, int]:
    """Seconds to DUMP every key the export reads (the prefix hash, every bucket), PIPELINE keys per round
    trip, the serialized values received and dropped; and how many bytes they came to."""
    keys = Keys()
    names = [keys.blocklist_prefixes(), keys.blocklist_meta()] + [
        f"{keys.blocklist_bucket_stem()}{b:x}" for b in range(BLOCKLIST_BUCKETS)]
    received = 0
    started = time.perf_counter()
    for first in range(0, len(names), PIPELINE):
        pipe = client.pipeline(transaction=False)
        for name in names[first:first + PIPELINE]:
            pipe.dump(name)
        received += sum(len(value) for value in pipe.execute() if value)
    return time.perf_counter() - started, received


def _export(env: dict[str, str], out: Path) -> dict:
    """Run `screener blocklist export > out` in its own process, as a person would; wall-clock seconds."""
    with out.open("wb") as stdout, CpuWatch() as watch:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "screener", "blocklist", "export"], cwd=ROOT, env=env,
                              stdout=stdout, stderr=subprocess.PIPE, timeout=3600)
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"export failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    with out.open("rb") as f:
        rows = sum(1 for _ in f) - 1
    size = out.stat().st_size
    out.unlink()
    return {"seconds": seconds, "rows": rows, "bytes": size, "cpu_seconds": watch.result.ours * watch.result.seconds,
            "other_cpu": watch.result.others}


def _startup(env: dict[str, str]) -> float:
    """Seconds for the interpreter to start and load the export command (part of every export's wall time)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import screener.cli.lists"], cwd=ROOT, env=env, check=True, timeout=120)
    return time.perf_counter() - started


def run(quick: bool, workdir: Path, log=print) -> dict:
    cfg = _settings(quick)
    workdir.mkdir(parents=True, exist_ok=True)
    server = start_redis()
    try:
        client = server.client()
        started = time.perf_counter()
        count = fill(client, server.port, cfg["entries"])
        log(f"  export: loaded {count:,} entries in {time.perf_counter() - started:.1f} s")
        env = environment(server.url, workdir / "instance")
        exports, dumps = [], []
        for n in range(2 * cfg["exports"] + 1):
            if n % 2 == 0:
                with CpuWatch() as watch:
                    seconds, received = raw_dump(client)
                dumps.append({"seconds": seconds, "bytes": received, "other_cpu": watch.result.others})
                log(f"  export: raw pipelined DUMP          {seconds:6.2f} s ({received / 1e6:.1f} MB)"
                    f"  other processes {watch.result.others:.2f} cores")
            else:
                result = _export(env, workdir / "export.csv")
                if result["rows"] != count:
                    raise RuntimeError(f"export wrote {result['rows']:,} rows for {count:,} entries")
                exports.append(result)
                log(f"  export: screener blocklist export   {result['seconds']:6.2f} s ({result['rows']:,} rows,"
                    f" {result['bytes'] / 1e6:.1f} MB)  other processes {result['other_cpu']:.2f} cores")
        ratios = [e["seconds"] / ((dumps[i]["seconds"] + dumps[i + 1]["seconds"]) / 2) for i, e in enumerate(exports)]
        out = {
            "settings": {**cfg, "prefixes": PREFIXES, "metadata_records": len(METAS), "dump_pipeline": PIPELINE},
            "entries": count,
            "export_seconds": median([e["seconds"] for e in exports]),
            "raw_dump_seconds": median([d["seconds"] for d in dumps]),
            "ratio_export_vs_dump": median(ratios),
            "ratios": ratios,
            "exports": exports,
            "dumps": dumps,
            "process_start_seconds": _startup(env),
        }
        log(f"  export: export / raw dump = {out['ratio_export_vs_dump']:.2f} (per export: "
            + ", ".join(f"{r:.2f}" for r in ratios) + f"); process start {out['process_start_seconds']:.2f} s")
        return out
    finally:
        server.stop()
