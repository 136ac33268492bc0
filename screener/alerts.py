"""Put alert jobs on the RQ queue; the worker delivers them. The webhook never waits for delivery."""
from __future__ import annotations

from rq import Queue, Retry

# Referenced by import path so that the web process never imports worker code.
BLOCKED_CALL_JOB = "workers.alerts.send_blocked_call_alert"
RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])
JOB_TIMEOUT = 60


def enqueue_blocked_call(queue: Queue, call_sid: str, line_number: str) -> str:
    """Queue the SMS alert for a blocked call; return the job id."""
    job = queue.enqueue(
        BLOCKED_CALL_JOB,
        call_sid,
        line_number,
        retry=RETRY,
        job_timeout=JOB_TIMEOUT,
        result_ttl=86400,
        failure_ttl=30 * 86400,
        description=f"alert: blocked call {call_sid}",
    )
    return job.id


ARCHIVE_RECORDING_JOB = "workers.recordings.archive_recording"
ARCHIVE_RETRY = Retry(max=8, interval=[30, 60, 300, 900, 1800, 3600, 7200, 14400])


def enqueue_recording_archive(queue: Queue, call_sid: str, recording_sid: str) -> str:
    """Queue the fetch-encrypt-verify-delete job for one recording (one job per recording)."""
    job = queue.enqueue(
        ARCHIVE_RECORDING_JOB,
        call_sid,
        recording_sid,
        retry=ARCHIVE_RETRY,
        job_timeout=300,
        result_ttl=86400,
        failure_ttl=90 * 86400,
        job_id=f"archive-{recording_sid}",
        description=f"archive recording {recording_sid}",
    )
    return job.id
