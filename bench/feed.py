"""Benchmarks 6 and 7: the signed MISP feed.

6. `screener feed build` of a list against `screener blocklist export` of the same list (target <= 1.5x).
7. `screener peer sync` (trust auto) of a partner's feed of N numbers (fetched over HTTP from 127.0.0.1,
   every file's signature checked) against `screener blocklist import` of a CSV of the same N numbers
   (target <= 1.0x at 1M). Beside it, not a target: `screener peer release` of RELEASED of the numbers the
   sync held over the partner's weekly quota, each filed through the report rules.

Each command runs in its own process, as a person would run it; runs alternate (export, build, export, ...)
and each subject run is compared with the mean of the baseline runs on either side of it.
"""
from __future__ import annotations

import functools
import os
import http.server
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import phonenumbers
import redis

from bench import bulk_load
from bench.callers import shaped_number
from bench.cpu import CpuWatch
from bench.deployment import ROOT, environment
from bench.redis_server import start_redis
from bench.stats import median
from screener.store.blocklist import Blocklist, EntryMeta
from screener.store.keys import Keys


RELEASED = 5_000


def _settings(quick: bool) -> dict:
    """At trust auto a partner's numbers are that organisation's evidence (issue 13): the first 100 new ones a
    week are filed through the report rules, the rest held for the curators, which is what a 1M feed is."""
    return ({"entries": 20_000, "rounds": 1, "apply_entries": 2_000, "released": 200} if quick
            else {"entries": 1_000_000, "rounds": 2, "apply_entries": 1_000_000, "released": RELEASED})


def numbers(count: int, seed: int = 6) -> list[str]:
    """`count` distinct valid E.164 numbers (import rejects invalid ones; the comparison needs the same set)."""
    rng, found = random.Random(seed), set()
    while len(found) < count:
        code, nsn = shaped_number(rng)
        text = f"+{code}{nsn}"
        if text not in found and phonenumbers.is_valid_number(phonenumbers.parse(text, None)):
            found.add(text)
    return sorted(found)


_TICK = os.sysconf("SC_CLK_TCK")


def _own_cpu() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU jiffies the process itself used), for every process."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                raw = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            rest = raw[raw.rfind(")") + 2:].split()
            table[int(entry.name)] = (int(rest[1]), int(rest[11]) + int(rest[12]))
    return table


class _TreeCpu(threading.Thread):
    """Samples the CPU of a process and all its descendants while it runs (`blocklist import` parses in a
    forkserver pool whose workers getrusage never sees), keeping each process's latest figure."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.seen, self.done = root, {}, threading.Event()

    def sample(self) -> None:
        table = _own_cpu()
        tree, stack = set(), [self.root]
        while stack:
            pid = stack.pop()
            tree.add(pid)
            stack.extend(child for child, (parent, _) in table.items() if parent == pid and child not in tree)
        for pid in tree & table.keys():
            self.seen[pid] = max(self.seen.get(pid, 0), table[pid][1])

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(0.2)

    def seconds(self) -> float:
        return sum(self.seen.values()) / _TICK


def _timed(cmd: list[str], env: dict[str, str], workdir: Path, name: str, redis_pid: int) -> dict:
    with (workdir / f"{name}-stdout.txt").open("w") as out, (workdir / f"{name}-stderr.txt").open("w") as err, \
            CpuWatch({"redis": redis_pid}) as watch:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "screener", *cmd], cwd=ROOT, env=env, stdout=out,
                                   stderr=err)
        sampler = _TreeCpu(process.pid)
        sampler.start()
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # ended, not yet reaped: /proc still has it
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        sampler.sample()
        returncode = process.wait()
    if returncode != 0:
        raise RuntimeError(f"`screener {' '.join(cmd)}` failed ({returncode}); see {workdir / (name + '-stderr.txt')}")
    # CPU seconds of the command with its helper processes (each as last sampled: a helper that ended is up
    # to 0.2 s short) and of Redis: what the work costs. The partner's file server (a thread of this
    # benchmark, nginx in production) is not counted. On a machine shared with other work this is steadier
    # than wall time, which also counts waiting for a core.
    cpu = sampler.seconds()
    return {"seconds": seconds, "cpu_seconds": cpu + watch.result.tracked["redis"], "command_cpu_seconds": cpu,
            "redis_cpu_seconds": watch.result.tracked["redis"], "other_cpu": watch.result.others}


def _alternate(baseline, subject, rounds: int, log, labels: tuple[str, str]) -> dict:
    bases, subjects = [], []
    for n in range(2 * rounds + 1):
        run = baseline() if n % 2 == 0 else subject()
        (bases if n % 2 == 0 else subjects).append(run)
        log(f"  {labels[n % 2]:28s} {run['seconds']:6.1f} s ({run['cpu_seconds']:6.1f} s CPU)  other processes"
            f" {run['other_cpu']:.2f} cores")

    def ratios(field: str) -> list[float]:
        return [s[field] / ((bases[i][field] + bases[i + 1][field]) / 2) for i, s in enumerate(subjects)]

    return {"baseline_seconds": median([b["seconds"] for b in bases]),
            "subject_seconds": median([s["seconds"] for s in subjects]), "ratio": median(ratios("seconds")),
            "ratios": ratios("seconds"), "cpu_ratio": median(ratios("cpu_seconds")), "cpu_ratios": ratios("cpu_seconds"),
            "runs": {"baseline": bases, "subject": subjects}}


class _Folder:
    """The partner's feed folder served on 127.0.0.1 (a static server: what nginx would do)."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/"

    def stop(self) -> None:
        self.server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        return None


def run(quick: bool, workdir: Path, log=print) -> dict:
    cfg = _settings(quick)
    workdir.mkdir(parents=True, exist_ok=True)
    listed = numbers(cfg["entries"])
    server = start_redis()
    folder = None
    try:
        base = server.url.rsplit("/", 1)[0]  # ours in db 0, the receiving partner's in db 1
        ours = environment(base + "/0", workdir / "ours")
        key = workdir / "keys" / "feed.key"
        subprocess.run([sys.executable, "-m", "screener", "feed", "keygen", str(key)], cwd=ROOT, env=ours,
                       check=True, capture_output=True, timeout=120)
        ours.update(SCREENER_FEED_KEY=str(key), SCREENER_FEED_DIR=str(workdir / "feed"))
        client = server.client()
        bulk_load.load(Blocklist(client, Keys()), server.port, listed,
                       EntryMeta(reason="threatening calls", source="bench", added_by="bench", added_at=int(time.time())))
        log(f"  feed: {len(listed):,} numbers on the list")

        def export() -> dict:
            return _timed(["blocklist", "export"], ours, workdir, "export", server.pid)

        def build() -> dict:
            shutil.rmtree(workdir / "feed", ignore_errors=True)  # a full build every time, not an update
            return _timed(["feed", "build"], ours, workdir, "build", server.pid)

        built = _alternate(export, build, cfg["rounds"], log, ("blocklist export", "feed build"))
        log(f"  feed: build / export = {built['ratio']:.2f} (per build: " + ", ".join(f"{r:.2f}" for r in built["ratios"])
            + f"); CPU {built['cpu_ratio']:.2f}")

        listed = numbers(cfg["apply_entries"], seed=7)  # benchmark 7's feed, built once
        client.flushdb()
        bulk_load.load(Blocklist(client, Keys()), server.port, listed,
                       EntryMeta(reason="threatening calls", source="bench", added_by="bench", added_at=int(time.time())))
        shutil.rmtree(workdir / "feed", ignore_errors=True)
        _timed(["feed", "build"], ours, workdir, "build", server.pid)
        log(f"  feed: {len(listed):,} numbers in the feed a partner applies")
        csv_file = workdir / "numbers.csv"
        csv_file.write_text("number\n" + "\n".join(listed) + "\n")
        folder = _Folder(workdir / "feed")
        theirs = environment(base + "/1", workdir / "theirs")
        public = subprocess.run([sys.executable, "-m", "screener", "feed", "key"], cwd=ROOT, env=ours, check=True,
                                capture_output=True, text=True, timeout=120).stdout.splitlines()[-1]
        receiving = redis.Redis.from_url(base + "/1")

        def fresh() -> None:
            receiving.flushdb()

        def used() -> int:
            return int(receiving.info("memory")["used_memory"])

        def import_() -> dict:
            fresh()
            empty = used()
            run = _timed(["blocklist", "import", str(csv_file), "--source", "bench"], theirs, workdir, "import", server.pid)
            return {**run, "redis_bytes_per_number": (used() - empty) / len(listed)}

        def sync() -> dict:
            fresh()
            subprocess.run([sys.executable, "-m", "screener", "peer", "add", "ours", "--url", folder.url, "--key",
                            public, "--trust", "auto"], cwd=ROOT, env=theirs, check=True, capture_output=True,
                           timeout=120)
            empty = used()
            run = _timed(["peer", "sync", "ours"], theirs, workdir, "sync", server.pid)
            return {**run, "redis_bytes_per_number": (used() - empty) / len(listed)}

        applied = _alternate(import_, sync, cfg["rounds"], log, ("blocklist import", "peer sync (auto)"))
        log(f"  feed: sync / import = {applied['ratio']:.2f} (per sync: " + ", ".join(f"{r:.2f}" for r in applied["ratios"])
            + f"); CPU {applied['cpu_ratio']:.2f}")
        changes = _after_changes(ours, theirs, workdir, server, client, listed, fresh, sync)
        log(f"  feed: after 1,000 additions on a later day a sync fetched {changes['additions']['fetched']} of "
            f"{changes['events']} events; after 1,000 removals spread over the list, {changes['removals']['fetched']}")
        # after the changes: the partner holds the whole feed, all but 100 of it held over the quota
        released = _timed(["peer", "release", "ours", "--limit", str(cfg["released"])], theirs, workdir, "release",
                          server.pid)
        released["per_number_ms"] = 1000 * released["seconds"] / cfg["released"]
        log(f"  feed: releasing {cfg['released']:,} held numbers as the partner's evidence took {released['seconds']:.1f} s "
            f"({released['per_number_ms']:.2f} ms a number)")
        return {"settings": cfg, "apply_entries": len(listed), "build": built, "apply": applied, "changes": changes,
                "release": released,
                "ratio_build_vs_export": built["ratio"], "ratio_sync_vs_import": applied["ratio"],
                "cpu_ratio_build_vs_export": built["cpu_ratio"], "cpu_ratio_sync_vs_import": applied["cpu_ratio"],
                "feed_bytes": sum(p.stat().st_size for p in (workdir / "feed").iterdir()),
                "events": sum(1 for p in (workdir / "feed").glob("*-*.json"))}
    finally:
        if folder is not None:
            folder.stop()
        server.stop()



_FETCHED = re.compile(r"(\d+) events fetched")


def _after_changes(ours, theirs, workdir, server, client, listed, fresh, sync) -> dict:
    """How many events a sync fetches after 1,000 changes: additions on a later day, then removals."""
    fresh()
    sync()  # the partner holds the whole feed
    blocklist = Blocklist(client, Keys())
    later = int(time.time()) + 86400
    added = [f"+1202555{n:04d}" for n in range(1000)]
    blocklist.add_many(added, EntryMeta(reason="threatening calls", source="bench", added_by="bench", added_at=later))
    result: dict = {"events": sum(1 for p in (workdir / "feed").glob("*-*.json"))}
    for name, change in (("additions", None), ("removals", random.Random(7).sample(listed, 1000))):
        for number in change or ():
            blocklist.remove(number)
        _timed(["feed", "build"], ours, workdir, "build", server.pid)
        run = _timed(["peer", "sync", "ours"], theirs, workdir, "sync", server.pid)
        match = _FETCHED.search((workdir / "sync-stdout.txt").read_text())
        result[name] = {**run, "fetched": int(match.group(1)) if match else None}
    return result
