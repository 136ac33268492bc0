"""Run wrk with rotate.lua against one URL and read the figures it prints."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.callers import WITHHELD_FROM, call_sid
from bench.cpu import CpuWatch
from bench.deployment import ACCOUNT_SID, AUTH_TOKEN, LINE
from screener.dev.simulate import SimulatedCall, signature

LUA = Path(__file__).with_name("rotate.lua")
CONNECTIONS = 16
THREADS = 1


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    other_cpu: float  # cores used by processes outside the benchmark during the run
    server_cpu_ms: float  # CPU of the gunicorn processes per request
    redis_cpu_ms: float  # CPU of redis-server per request

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def write_requests(path: Path, url: str, count: int, ordinary: list[str], blocked: list[str], rng: random.Random) -> None:
    """count distinct signed requests: 80% ordinary callers, 10% blocked, 10% withheld, each its own CallSid.

    Callers are taken from the front of `ordinary` and `blocked` (and removed there), so that no two
    requests of the whole benchmark share a caller or a CallSid.
    """
    kinds = []
    while len(kinds) < count:
        block = ["ordinary"] * 8 + ["blocked", "withheld"]
        rng.shuffle(block)
        kinds.extend(block)
    with path.open("w") as out:
        for kind in kinds[:count]:
            if kind == "ordinary":
                caller = ordinary.pop()
            elif kind == "blocked":
                caller = blocked.pop()
            else:
                caller = rng.choice(WITHHELD_FROM)
            form = SimulatedCall(from_=caller, to=LINE, account_sid=ACCOUNT_SID, sid=call_sid(rng)).incoming_form()
            out.write(f"{signature(AUTH_TOKEN, url, form)}\t{urlencode(form)}\n")


def run(url: str, request_file: Path, seconds: float, server_pid: int, redis_pid: int,
        keep_alive: bool = False, connections: int = CONNECTIONS) -> WrkResult:
    """wrk for `seconds`; without keep_alive each request is a new connection, as behind nginx."""
    wrk = shutil.which("wrk")
    if not wrk:
        raise RuntimeError("wrk is not installed (apt-get install wrk; see scripts/apt-packages.txt)")
    cmd = [wrk, "-t", str(THREADS), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
           "-s", str(LUA), url, "--", str(request_file), str(THREADS), "keep" if keep_alive else "close"]
    with CpuWatch({"server": server_pid, "redis": redis_pid}) as watch:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        other_cpu=watch.result.others,
        server_cpu_ms=1000 * watch.result.tracked["server"] / max(data["requests"], 1),
        redis_cpu_ms=1000 * watch.result.tracked["redis"] / max(data["requests"], 1),
    )
