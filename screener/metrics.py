"""Prometheus counters for the webhook; served in text format at /metrics."""
from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest, multiprocess

CALLS = Counter("screener_calls_total", "Calls decided, by action and rule", ["action", "rule"])
SIGNATURE_FAILURES = Counter("screener_signature_failures_total", "Webhook requests refused for a bad or missing signature")
STORE_UNREACHABLE = Counter("screener_store_unreachable_total", "Requests answered while Redis could not be reached")
CALLS_UNLOGGED = Counter("screener_calls_unlogged_total",
                         "Calls whose record neither Redis nor the local spool could take (spool full or a disk error)")
ALERTS_ENQUEUED = Counter("screener_alerts_enqueued_total", "Alert jobs put on the queue", ["kind"])
BRIDGE_FAILURES = Counter("screener_bridge_failures_total",
                          "Twilio REST calls of the screening bridge that failed, by step", ["step"])
SPOOLED = Counter("screener_spooled_total",
                  "Call records, callback updates and alerts Redis could not take, kept in the local spool", ["kind"])
SPOOL_REPLAYED = Counter("screener_spool_replayed_total", "Spooled entries written to Redis once it took writes again",
                         ["kind"])
SPOOL_REFUSED = Counter("screener_spool_refused_total",
                        "What neither Redis nor the spool (full, or a disk error) could take: lost", ["kind"])
# livesum: the bytes of the processes that are alive (a dead process's file is replayed by the next one).
SPOOL_BYTES = Gauge("screener_spool_bytes", "Bytes waiting in the web processes' spool files",
                    multiprocess_mode="livesum")
# min: the stalest live process's copy (a process whose copy was never read reports nothing).
LOCAL_LISTS_SYNCED = Gauge("screener_local_lists_synced_timestamp_seconds",
                           "When the web processes' local copy of the lists was last brought up to date",
                           multiprocess_mode="min")
CALLBACKS = Counter("screener_callbacks_total", "Status callbacks, by whether they were new or repeats", ["result"])


def exposition() -> tuple[bytes, str]:
    """The metrics page; aggregates gunicorn workers when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
