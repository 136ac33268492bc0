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
