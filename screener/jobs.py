"""Put jobs on the RQ queues (alerts, reports, campaigns, recording archiving, moving a waiting caller,
reconciling calls whose callbacks were lost, checkpointing the chains); workers run them. The webhook never waits for delivery.

Jobs are referenced by import path so that the web process never imports worker code.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from rq import Queue, Retry

BLOCKED_CALL, VOICEMAIL, REPORT, CAMPAIGN = "blocked_call", "voicemail", "report", "campaign"
REDIS_MEMORY = "redis_memory"
ALERT_KINDS = (BLOCKED_CALL, VOICEMAIL, REPORT, CAMPAIGN, REDIS_MEMORY)

FAN_OUT_JOB = "workers.alerts.fan_out"
REPORT_JOB = "workers.reports.report_call"
CAMPAIGN_JOB = "workers.reports.campaign_detected"
ARCHIVE_RECORDING_JOB = "workers.recordings.archive_recording"
MOVE_CALL_JOB = "workers.bridge.move_call"
RECONCILE_JOB = "workers.reconcile.reconcile_calls"
END_HOLD_JOB = "workers.bridge.end_hold"
CHECKPOINT_JOB = "workers.checkpoints.make_checkpoint"

RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])
MOVE_RETRY = Retry(max=5, interval=[2, 5, 10, 30, 60])  # a caller is waiting on hold meanwhile
ARCHIVE_RETRY = Retry(max=8, interval=[30, 60, 300, 900, 1800, 3600, 7200, 14400])
JOB_TIMEOUT = 60


def _enqueue(queue: Queue, job: str, *args: Any, description: str, **options: Any) -> str:
    options.setdefault("retry", RETRY)
    options.setdefault("job_timeout", JOB_TIMEOUT)
    options.setdefault("result_ttl", 86400)
    options.setdefault("failure_ttl", 30 * 86400)
    # One transaction (RQ alone sends two): the job is on the queue once execute() returns.
    with queue.connection.pipeline() as pipeline:
        job_id = queue.enqueue(job, *args, description=description, pipeline=pipeline, **options).id
        pipeline.execute()
    return job_id


def enqueue_alert(queue: Queue, kind: str, call_sid: str, line_number: str, **facts: str) -> str:
    """Queue an alert; a worker composes it and sends it on every channel of its recipients."""
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    return _enqueue(queue, FAN_OUT_JOB, kind, call_sid, line_number, facts, description=f"alert {kind} {call_sid}")


def enqueue_alert_once(queue: Queue, done_key: str, kind: str, call_sid: str, line_number: str) -> str | None:
    """Queue an alert unless `done_key` says it was queued before (a spooled alert replayed twice after a
    crash half-way); the key is set in the same transaction as the job. None when skipped."""
    if queue.connection.exists(done_key):
        return None
    with queue.connection.pipeline() as pipeline:
        job_id = queue.enqueue(FAN_OUT_JOB, kind, call_sid, line_number, {}, description=f"alert {kind} {call_sid}",
                               pipeline=pipeline, retry=RETRY, job_timeout=JOB_TIMEOUT, result_ttl=86400,
                               failure_ttl=30 * 86400).id
        pipeline.set(done_key, job_id, ex=30 * 86400)
        pipeline.execute()
    return job_id


def enqueue_blocked_call(queue: Queue, call_sid: str, line_number: str) -> str:
    """Tell the line's alert recipients that a blocklisted number called."""
    return enqueue_alert(queue, BLOCKED_CALL, call_sid, line_number)


def enqueue_memory_alert(queue: Queue, percent: int, threshold: int) -> str:
    """Tell the curators' contacts that Redis is past its memory threshold (no call is involved)."""
    return enqueue_alert(queue, REDIS_MEMORY, "", "", percent=str(percent), threshold=str(threshold))


def enqueue_report(queue: Queue, call_sid: str, reported_by: str, note: str) -> str:
    """Put a call's caller in the review queue (with the call's recordings as evidence) and alert curators."""
    return _enqueue(queue, REPORT_JOB, call_sid, reported_by, note, description=f"report {call_sid}")


def enqueue_campaign(queue: Queue, call_sid: str, identity: str) -> str:
    """A number or prefix crossed a campaign threshold: open a review and alert curators."""
    return _enqueue(queue, CAMPAIGN_JOB, call_sid, identity, description=f"campaign {call_sid}")


def enqueue_recording_archive(queue: Queue, call_sid: str, recording_sid: str) -> str:
    """Queue the fetch-encrypt-verify-delete job for one recording (one job per recording)."""
    return _enqueue(queue, ARCHIVE_RECORDING_JOB, call_sid, recording_sid, retry=ARCHIVE_RETRY, job_timeout=300,
                    failure_ttl=90 * 86400, job_id=f"archive-{recording_sid}",
                    description=f"archive recording {recording_sid}")


def enqueue_call_move(queue: Queue, call_sid: str, url: str) -> str:
    """Retry moving a waiting caller's live call to url (the webhook's own try failed)."""
    return _enqueue(queue, MOVE_CALL_JOB, call_sid, url, retry=MOVE_RETRY, job_id=f"move-{call_sid}",
                    description=f"move call {call_sid}")


def enqueue_reconcile(queue: Queue, now: int | None = None) -> str:
    """Run the reconciliation job now (`now`: as if at that time, for tests). Not retried: the next
    period's run tries again."""
    return _enqueue(queue, RECONCILE_JOB, now, retry=None, job_timeout=300, description="reconcile calls")


def schedule_reconcile(queue: Queue, now: int, period: int) -> str:
    """Schedule the reconciliation job for the start of the next period after `now`. The job's id names
    that period, so workers that all schedule it (each at start, each run for the next) make one job."""
    slot = now // period + 1
    job = queue.enqueue_at(datetime.fromtimestamp(slot * period, tz=timezone.utc), RECONCILE_JOB,
                           job_id=f"reconcile-{slot}", job_timeout=300, result_ttl=3600, failure_ttl=7 * 86400,
                           description="reconcile calls")
    return job.id


def schedule_end_of_hold(queue: Queue, call_sid: str, seconds: int) -> str:
    """End the caller's hold in `seconds` if they are still waiting then (the hold watchdog)."""
    job = queue.enqueue_in(timedelta(seconds=seconds), END_HOLD_JOB, call_sid, job_id=f"hold-{call_sid}",
                           retry=MOVE_RETRY, job_timeout=JOB_TIMEOUT, result_ttl=3600, failure_ttl=30 * 86400,
                           description=f"end hold {call_sid}")
    return job.id


def checkpoint_when_due(queue: Queue, entries: int, every: int) -> str | None:
    """After an audit append: queue a checkpoint when the log has just reached a multiple of `every`
    entries. The job's id names that count, so one checkpoint is made for it."""
    if entries % every:
        return None
    return _enqueue(queue, CHECKPOINT_JOB, "changes", retry=None, job_id=f"checkpoint-after-{entries}",
                    description=f"checkpoint after {entries} audit entries")


def schedule_checkpoint(queue: Queue, now: int, period: int) -> str:
    """Schedule the periodic checkpoint for the start of the next period after `now`; like the
    reconciliation job, its id names that period, and each run schedules the next."""
    slot = now // period + 1
    job = queue.enqueue_at(datetime.fromtimestamp(slot * period, tz=timezone.utc), CHECKPOINT_JOB, "hourly",
                           job_id=f"checkpoint-{slot}", job_timeout=300, result_ttl=3600, failure_ttl=30 * 86400,
                           description="checkpoint the audit and evidence chains")
    return job.id
