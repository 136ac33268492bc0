"""Jobs that failed for good on any queue (alerts and bridge moves, recordings, imports): listed from RQ's
FailedJobRegistry for the admin page and `screener jobs failed`, and put back on their queue to retry.
Numbers in what is shown are masked: a job's description or error may name a caller."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timezone

import redis
from rq import Queue
from rq.registry import FailedJobRegistry

from screener.imports import IMPORT_QUEUE
from screener.numbers import mask
from screener.services import ALERT_QUEUE, RECORDING_QUEUE

QUEUES = (ALERT_QUEUE, RECORDING_QUEUE, IMPORT_QUEUE)  # bridge moves go on the alerts queue
_NUMBER = re.compile(r"\+?\d[\d ]{5,17}\d")


class UnknownFailedJob(LookupError):
    """No failed job has this id."""


@dataclass(frozen=True)
class FailedJob:
    """One job that ran out of retries: where, what, why, when (Unix time; 0 when RQ does not know)."""

    queue: str
    id: str
    what: str
    error: str
    at: float


def redact(text: str) -> str:
    """`text` with every phone-number-like run of digits masked (pure)."""
    return _NUMBER.sub(lambda m: mask("+" + re.sub(r"\D", "", m.group())), text)


def last_line(exc_string: str) -> str:
    """The exception line of a traceback (pure)."""
    lines = [line for line in exc_string.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _registries(client: redis.Redis) -> list[FailedJobRegistry]:
    return [FailedJobRegistry(queue=Queue(name, connection=client)) for name in QUEUES]


def failed(client: redis.Redis) -> list[FailedJob]:
    """Every failed job on every queue, newest first."""
    found = []
    for registry in _registries(client):
        queue = registry.get_queue()
        for job_id in registry.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is None:
                found.append(FailedJob(queue.name, job_id, "(expired)", "", 0))
                continue
            result = job.latest_result()
            error = last_line(result.exc_string or "") if result else ""
            ended = job.ended_at or (result.created_at if result else None)
            at = ended.replace(tzinfo=ended.tzinfo or timezone.utc).timestamp() if ended else 0
            found.append(FailedJob(queue.name, job_id, redact(job.description or job.func_name), redact(error), at))
    return sorted(found, key=lambda job: job.at, reverse=True)


def count(client: redis.Redis) -> dict[str, int]:
    """How many jobs failed, by queue."""
    return {registry.get_queue().name: registry.count for registry in _registries(client)}


def retry(client: redis.Redis, job_id: str) -> str:
    """Put a failed job back on its queue; its queue's name. UnknownFailedJob when none has that id."""
    for registry in _registries(client):
        if job_id in registry.get_job_ids():
            registry.requeue(job_id)
            return registry.get_queue().name
    raise UnknownFailedJob(job_id)


def retry_all(client: redis.Redis) -> list[str]:
    """Put every failed job back on its queue; their ids."""
    done = []
    for registry in _registries(client):
        for job_id in registry.get_job_ids():
            registry.requeue(job_id)
            done.append(job_id)
    return done
