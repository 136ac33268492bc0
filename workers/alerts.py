"""Alert jobs: compose an alert, fan it out to every channel of its recipients, deliver each one.

One delivery job per (channel, recipient), each retried with backoff on its own, so a failing
e-mail server neither delays nor repeats the SMS. A delivery that ran out of retries stays in RQ's
failed registry and is shown on the web page, where it can be retried (`screener alerts retry`).
"""
from __future__ import annotations

import logging
import time
from typing import Any

from rq import Queue, get_current_job

from screener.jobs import BLOCKED_CALL, CAMPAIGN, REDIS_MEMORY, REPORT, RETRY, VOICEMAIL
from screener.config import Settings
from screener.model import CallRecord, Line
from screener.numbers import mask
from screener.store.alert_log import FAILED, QUEUED, SENT, AlertLog
from screener.store.blocklist import Blocklist
from workers.context import services
from workers import alert_text, channels

log = logging.getLogger("workers.alerts")
DELIVER_JOB = "workers.alerts.deliver"


def _recipients(kind: str, line: Line | None, alert_log: AlertLog) -> list[tuple[str, str]]:
    """(channel, recipient) pairs: the line's own for its calls, the curators' for reviews and the service."""
    if kind in (REPORT, CAMPAIGN, REDIS_MEMORY):
        contacts = alert_log.curators()
        sms, email, webhook = contacts.sms, contacts.email, contacts.webhook
    elif line is not None:
        sms, email, webhook = line.alert_sms, line.alert_email, line.alert_webhook
    else:
        return []
    return [("sms", r) for r in sms] + [("email", r) for r in email] + ([("webhook", webhook)] if webhook else [])


def _compose(kind: str, call: CallRecord, line: Line | None, facts: dict[str, str], blocklist: Blocklist):
    label = (line.label or line.number) if line else call.line
    if kind == BLOCKED_CALL:
        entry = blocklist.get(call.entry) if call.entry else None
        return alert_text.blocked_call(label, call, (entry.meta.reason or entry.meta.category) if entry else "")
    if kind == VOICEMAIL:
        return alert_text.voicemail(label, call, facts.get("duration", ""))
    if kind == REDIS_MEMORY:
        return alert_text.redis_memory(int(facts.get("percent", "0")), int(facts.get("threshold", "0")))
    if kind == REPORT:
        return alert_text.report(label, call, facts.get("review_id", ""), facts.get("reported_by", "someone"))
    return alert_text.campaign(label, facts.get("shown", "a caller"), int(facts.get("window_minutes", "60")),
                               facts.get("review_id", ""))


def fan_out(kind: str, call_sid: str, line_number: str, facts: dict[str, str]) -> str:
    """Compose the alert once and queue one delivery per channel and recipient; return the alert id."""
    job = get_current_job()
    svc = services()
    settings, alert_log = svc.settings, svc.alert_log
    call = svc.calls.record(call_sid) or CallRecord(sid=call_sid, line=line_number)
    line = svc.lines.get(line_number)
    text = _compose(kind, call, line, facts, svc.blocklist)
    alert_id = job.meta.get("alert_id") or alert_log.create(kind, call_sid, line_number, text.subject, text.text)
    job.meta["alert_id"] = alert_id  # a retried fan-out reuses its alert and skips what was sent
    job.save_meta()
    payload = text.payload(kind, call_sid, line_number, int(time.time()))
    queue = Queue(job.origin, connection=job.connection)
    sms_from = line.number if line else settings.alert_sms_from
    if kind in (REPORT, CAMPAIGN, REDIS_MEMORY) and settings.alert_sms_from:
        sms_from = settings.alert_sms_from
    due = [(c, r) for c, r in _recipients(kind, line, alert_log)
           if not alert_log.delivery(alert_id, c, r).startswith(SENT)]
    if len(due) == 1:
        # One recipient (the common case): send it here, saving a job; a failure retries this job.
        channel, recipient = due[0]
        deliver_now(settings, alert_log, alert_id, channel, recipient, sms_from, text.subject, text.text, payload)
        return alert_id
    for channel, recipient in due:
        alert_log.note(alert_id, channel, recipient, QUEUED)
        queue.enqueue(DELIVER_JOB, alert_id, channel, recipient, sms_from, text.subject, text.text, payload,
                      retry=RETRY, job_timeout=60, failure_ttl=30 * 86400,
                      description=f"deliver alert {alert_id} by {channel}")
    return alert_id


def deliver(alert_id: str, channel: str, recipient: str, sms_from: str, subject: str, text: str,
            payload: dict[str, Any]) -> str:
    """Send one alert on one channel (a job of its own when an alert has several recipients)."""
    svc = services()
    return deliver_now(svc.settings, svc.alert_log, alert_id, channel, recipient, sms_from, subject, text, payload)


def deliver_now(settings: Settings, alert_log: AlertLog, alert_id: str, channel: str, recipient: str,
                sms_from: str, subject: str, text: str, payload: dict[str, Any]) -> str:
    """Send, and write the outcome where the web page shows it. Delivery is at least once (a worker that
    dies between sending and noting it sends again on retry), so every copy names its alert: a recipient who
    gets two sees they are the same alert, not two calls."""
    tag = f"[alert {alert_id}]"
    try:
        result = _send(settings, channel, recipient, sms_from, f"{subject} {tag}", f"{text} {tag}",
                       {**payload, "alert_id": alert_id})
    except Exception as exc:  # recorded for the web page, then re-raised so RQ retries the job
        alert_log.note(alert_id, channel, recipient, FAILED, f"{type(exc).__name__}: {exc}")
        raise
    alert_log.note(alert_id, channel, recipient, SENT)
    shown = mask(recipient) if channel == "sms" else recipient.split("@")[-1] if channel == "email" else "webhook"
    log.info("alert_sent alert=%s channel=%s to=%s", alert_id, channel, shown)
    return result


def _send(settings: Settings, channel: str, recipient: str, sms_from: str, subject: str, text: str,
          payload: dict[str, Any]) -> str:
    if channel == "sms":
        if not sms_from:
            raise channels.DeliveryError("no number to send the SMS from (set SCREENER_ALERT_SMS_FROM)")
        return channels.send_sms(settings, recipient, sms_from, text)
    if channel == "email":
        return channels.send_email(settings, recipient, subject, text)
    if channel == "webhook":
        return channels.send_webhook(settings, recipient, payload)
    raise ValueError(f"unknown channel {channel!r}")
