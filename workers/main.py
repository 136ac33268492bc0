"""The worker entry: an RQ worker on the alert queue, bound to the configured Redis."""
from __future__ import annotations

import logging

from rq import Queue, Worker

from screener.config import load_settings
from screener.imports import IMPORT_QUEUE
from screener.services import ALERT_QUEUE, RECORDING_QUEUE
from screener.store.connection import connect


def run_worker(burst: bool = False) -> bool:
    """Work the queues until stopped (or until empty with burst)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs every request at INFO
    settings = load_settings()
    connection = connect(settings, for_worker=True)
    # Alerts first: a person waits for them; recordings can wait a little.
    queues = [Queue(name, connection=connection) for name in (ALERT_QUEUE, RECORDING_QUEUE, IMPORT_QUEUE)]
    worker = Worker(queues, connection=connection)
    return worker.work(burst=burst, with_scheduler=True)
