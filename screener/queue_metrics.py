"""Queue and worker metrics read from Redis when /metrics is scraped, so that every process serving the
scrape gives the same, current figures: jobs waiting per queue, jobs failed per queue, recordings still
to be archived."""
from __future__ import annotations

import logging
from collections.abc import Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rq import Queue

from screener import failed_jobs
from screener.store.recordings import Recordings

log = logging.getLogger("screener.metrics")


class QueueCollector(Collector):
    """Reads the queues' state from Redis at each scrape (a few round trips)."""

    def __init__(self, client: redis.Redis, recordings: Recordings) -> None:
        self.client = client
        self.recordings = recordings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("screener_queue_metrics_up", "1 when the queue metrics below could be read from Redis")
        try:
            depth = GaugeMetricFamily("screener_queue_jobs", "Jobs waiting on each queue", labels=["queue"])
            failed = GaugeMetricFamily("screener_queue_failed_jobs", "Jobs that failed for good on each queue "
                                       "(screener jobs failed)", labels=["queue"])
            for name, count in failed_jobs.count(self.client).items():
                depth.add_metric([name], Queue(name, connection=self.client).count)
                failed.add_metric([name], count)
            waiting = GaugeMetricFamily("screener_recordings_waiting_archive",
                                        "Recordings Twilio still holds: not yet copied, verified and deleted there")
            waiting.add_metric([], self.recordings.waiting())
        except redis.RedisError as exc:
            log.warning("queue_metrics_unavailable error=%s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, depth, failed, waiting)
