"""The worker entry: an RQ worker on the alerts, recordings and imports queues, bound to the configured Redis."""
from __future__ import annotations

import logging

from rq import Queue, SimpleWorker

from screener.config import load_settings
from screener.imports import IMPORT_QUEUE
from screener.services import ALERT_QUEUE, RECORDING_QUEUE
from screener.store.connection import connect


ALL_QUEUES = (ALERT_QUEUE, RECORDING_QUEUE, IMPORT_QUEUE)  # in priority order


def run_worker(burst: bool = False, queue_names: tuple[str, ...] = ALL_QUEUES) -> bool:
    """Work the queues until stopped (or until empty with burst).

    Jobs run in the worker process itself (rq's SimpleWorker) rather than in a fork per job: forking
    and re-importing for every alert capped delivery at about 13 SMS/s on 2 cores (bench/: alert
    latency); in-process it keeps up with 50 blocked calls/s. A job that crashes the interpreter takes
    the worker down with it; systemd restarts it (deploy/systemd)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs every request at INFO
    settings = load_settings()
    connection = connect(settings, for_worker=True)
    # Alerts first: a person waits for them; recordings and imports can wait a little.
    queues = [Queue(name, connection=connection) for name in queue_names]
    worker = SimpleWorker(queues, connection=connection)
    return worker.work(burst=burst, with_scheduler=True)
