"""The worker entry: one RQ worker on the alerts, recordings and imports queues, bound to the configured
Redis, with the process's Services built once (workers/context.py)."""
from __future__ import annotations

import multiprocessing
import time
from multiprocessing.process import BaseProcess

from rq import Queue, SimpleWorker

from screener import jobs
from screener.checkpoints import CHECKPOINT_PERIOD_SECONDS
from screener.config import configure_logging, load_settings
from screener.imports import IMPORT_QUEUE, resume_abandoned
from screener.services import ALERT_QUEUE, RECORDING_QUEUE, Services
from screener.store.connection import connect
from screener.voice.reconcile import RECONCILE_PERIOD_SECONDS
from workers import context


ALL_QUEUES = (ALERT_QUEUE, RECORDING_QUEUE, IMPORT_QUEUE)  # in priority order


def run_worker(burst: bool = False, queue_names: tuple[str, ...] = ALL_QUEUES, alert_processes: int = 1) -> bool:
    """Work the queues until stopped (or until empty with burst), with `alert_processes` - 1 more processes
    working the alerts queue alone (see _alert_processes).

    Jobs run in the worker process itself (rq's SimpleWorker) rather than in a fork per job: forking
    and re-importing for every alert capped delivery at about 13 SMS/s on 2 cores (bench/: alert
    latency); in-process it keeps up with 50 blocked calls/s. A job that crashes the interpreter takes
    the worker down with it; systemd restarts it (deploy/systemd)."""
    helpers = _alert_processes(burst, alert_processes - 1) if ALERT_QUEUE in queue_names else []
    try:
        return _work(burst, queue_names)
    finally:
        for helper in helpers:
            if not burst:
                helper.terminate()  # SIGTERM: rq lets the alert being sent finish first
            helper.join(timeout=120)


def _alert_processes(burst: bool, count: int) -> list[BaseProcess]:
    """Start `count` processes that work the alerts queue alone. Sending an SMS waits on Twilio (up to
    twilio_rest.WORKER_TIMEOUT_SECONDS a request); one process sends one at a time, so while Twilio is slow
    five blocked calls would be told one after another. Processes (not threads: rq's worker loop owns its
    process's signals) let several alerts wait at once; they are started once, not forked per job."""
    spawn = multiprocessing.get_context("spawn")
    helpers = [spawn.Process(target=_alert_worker, args=(burst,), daemon=True, name=f"screener-alerts-{n}")
               for n in range(max(0, count))]
    for helper in helpers:
        helper.start()
    return helpers


def _alert_worker(burst: bool) -> None:
    _work(burst, (ALERT_QUEUE,), schedule=False)


def _work(burst: bool, queue_names: tuple[str, ...], schedule: bool = True) -> bool:
    settings = load_settings()
    configure_logging(settings)
    connection = connect(settings, for_worker=True)
    svc = Services.build(settings, client=connection)
    context.bind(svc)
    if IMPORT_QUEUE in queue_names:
        # An import a killed worker was committing or discarding is carried on (its lease shows it died).
        resume_abandoned(svc, Queue(IMPORT_QUEUE, connection=connection))
    # Alerts first: a person waits for them; recordings and imports can wait a little.
    queues = [Queue(name, connection=connection) for name in queue_names]
    # Each run of the reconciliation job schedules the next; a lasting worker (re)starts the chain. The
    # job's id names its period, so every worker scheduling it makes one job.
    if schedule and not burst and ALERT_QUEUE in queue_names:  # its queue: a caller on hold may be waiting for it, as for a move
        jobs.schedule_reconcile(Queue(ALERT_QUEUE, connection=connection), int(time.time()), RECONCILE_PERIOD_SECONDS)
        # The same for the hourly checkpoint of the audit and evidence chains.
        jobs.schedule_checkpoint(Queue(ALERT_QUEUE, connection=connection), int(time.time()), CHECKPOINT_PERIOD_SECONDS)
    worker = SimpleWorker(queues, connection=connection)
    return worker.work(burst=burst, with_scheduler=schedule)
