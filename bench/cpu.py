"""How much CPU other processes took during a phase: the noise figure printed next to each result."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (parent pid, CPU jiffies of the process, CPU jiffies of its reaped children)."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        rest = raw[raw.rfind(")") + 2:].split()
        # fields after the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15)
        table[int(entry.name)] = (int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14]))
    return table


def _tree(table: dict[int, tuple[int, int, int]], root: int) -> dict[int, int]:
    """CPU jiffies of root and all its descendants, including those that ended and were reaped."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = {}, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            found[pid] = table[pid][1] + table[pid][2]
        stack.extend(children.get(pid, ()))
    return found


@dataclass
class CpuShare:
    """CPU used during a phase: `ours` (this process and its descendants) and `others` (every other
    process) in cores, 1.0 being one CPU busy the whole time; `tracked` in CPU seconds per named tree."""

    seconds: float
    ours: float
    others: float
    tracked: dict[str, float]


class CpuWatch:
    """Context manager: `with CpuWatch({"web": pid}) as w: ...`, then w.result.

    `others` is the CPU time of every process outside this one's tree: the noise in the figures (a lower
    bound: processes that start and end within the phase are not seen).
    """

    def __init__(self, tracked: dict[str, int] | None = None) -> None:
        self.tracked = tracked or {}

    def _sample(self) -> tuple[dict[int, int], dict[int, int], dict[str, dict[int, int]]]:
        table = _process_table()
        ours = _tree(table, os.getpid())
        # Other processes' own time only: their reaped children's totals would include time before the phase.
        others = {pid: own for pid, (_, own, _) in table.items() if pid not in ours}
        return ours, others, {name: _tree(table, pid) for name, pid in self.tracked.items()}

    def __enter__(self) -> "CpuWatch":
        self._start = time.monotonic()
        self._ours0, self._others0, self._tracked0 = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        ours1, others1, tracked1 = self._sample()
        seconds = max(time.monotonic() - self._start, 1e-9)
        tracked = {name: _delta(self._tracked0[name], tracked1[name]) / _TICK for name in self.tracked}
        self.result = CpuShare(
            seconds,
            _delta(self._ours0, ours1) / _TICK / seconds,
            _delta(self._others0, others1) / _TICK / seconds,
            tracked,
        )


def _delta(before: dict[int, int], after: dict[int, int]) -> int:
    return sum(v - before.get(pid, 0) for pid, v in after.items())
