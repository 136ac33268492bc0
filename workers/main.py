"""The worker entry: an RQ worker on the alert queue, bound to the configured Redis."""
from __future__ import annotations

import logging

from rq import Queue, Worker

from screener.config import load_settings
from screener.services import ALERT_QUEUE
from screener.store.connection import connect


def run_worker(burst: bool = False) -> bool:
    """Work the queues until stopped (or until empty with burst)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    connection = connect(settings, for_worker=True)
    queues = [Queue(ALERT_QUEUE, connection=connection)]
    worker = Worker(queues, connection=connection)
    return worker.work(burst=burst, with_scheduler=True)
