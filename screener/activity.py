"""Counts behind the dashboard's charts: calls per hour on each line, alert deliveries by outcome (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from screener.model import CallRecord

HOUR = 3600
DELIVERY_OUTCOMES = ("sent", "queued", "failed")
CHANNELS = ("sms", "email", "webhook")


@dataclass(frozen=True)
class HourlyCalls:
    """Calls per line in each of the last hours, oldest first; `hours` are the UTC starts of the hours."""

    hours: list[int]
    lines: dict[str, list[int]]

    def busy_hours(self, threshold: int) -> dict[str, list[int]]:
        """Each line's hours (their starts) with at least `threshold` calls: where a campaign may be under way."""
        return {line: [hour for hour, count in zip(self.hours, counts) if count >= threshold]
                for line, counts in self.lines.items() if threshold > 0 and max(counts) >= threshold}


def hourly_calls(calls: Iterable[CallRecord], hours: int, now: float) -> HourlyCalls:
    """Count `calls` per line in each of the `hours` whole UTC hours up to and including the current one.
    Calls outside them are left out; lines with no call in them do not appear."""
    current = int(now) // HOUR * HOUR
    starts = [current - (hours - 1 - i) * HOUR for i in range(hours)]
    first = starts[0]
    lines: dict[str, list[int]] = {}
    for call in calls:
        slot = (call.at - first) // HOUR
        if 0 <= slot < hours:
            lines.setdefault(call.line, [0] * hours)[slot] += 1
    return HourlyCalls(starts, dict(sorted(lines.items())))


def delivery_outcome(value: str) -> str:
    """An alert log's delivery value ("sent", "queued", "failed: HTTP 500 ...") -> its outcome."""
    outcome = value.split(":", 1)[0].strip()
    return outcome if outcome in DELIVERY_OUTCOMES else "failed"


def deliveries_by_outcome(alerts: Iterable[Mapping[str, str]]) -> dict[str, dict[str, int]]:
    """channel -> outcome -> count over the alerts' deliveries (fields `d:<channel>:<recipient>`), with
    every channel that has a delivery and every outcome (0 where none)."""
    counts: dict[str, dict[str, int]] = {}
    for alert in alerts:
        for field, value in alert.items():
            if field.startswith("d:"):
                channel = field.split(":", 2)[1]
                per_channel = counts.setdefault(channel, dict.fromkeys(DELIVERY_OUTCOMES, 0))
                per_channel[delivery_outcome(value)] += 1
    order = {channel: i for i, channel in enumerate(CHANNELS)}
    return dict(sorted(counts.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
