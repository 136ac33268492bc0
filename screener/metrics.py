"""Prometheus counters for the webhook; served in text format at /metrics."""
from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.registry import Collector

CALLS = Counter("screener_calls_total", "Calls decided, by action and rule", ["action", "rule"])
SIGNATURE_FAILURES = Counter("screener_signature_failures_total", "Webhook requests refused for a bad or missing signature")
STORE_UNREACHABLE = Counter("screener_store_unreachable_total", "Requests answered while Redis could not be reached")
CALLS_UNLOGGED = Counter("screener_calls_unlogged_total",
                         "Calls decided from a read-only lookup, unlogged, because Redis was full and refused writes")
ALERTS_ENQUEUED = Counter("screener_alerts_enqueued_total", "Alert jobs put on the queue", ["kind"])
BRIDGE_FAILURES = Counter("screener_bridge_failures_total",
                          "Twilio REST calls of the screening bridge that failed, by step", ["step"])
CALLBACKS = Counter("screener_callbacks_total", "Status callbacks, by whether they were new or repeats", ["result"])


def exposition(*read_now: Collector) -> tuple[bytes, str]:
    """The metrics page; aggregates gunicorn workers when PROMETHEUS_MULTIPROC_DIR is set. `read_now`:
    collectors whose figures are read at this scrape (from Redis), the same whichever process serves it."""
    current = CollectorRegistry()
    for collector in read_now:
        current.register(collector)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry) + generate_latest(current), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY) + generate_latest(current), CONTENT_TYPE_LATEST
