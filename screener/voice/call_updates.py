"""A status or recording callback's effect on the store, whether it is applied as it arrives
(callbacks.py) or later from the spool (outage.py). Both are idempotent: Twilio may post a callback twice,
and a spooled one may be replayed after a crash half-way."""
from __future__ import annotations

from typing import TYPE_CHECKING

from screener import jobs
from screener.store.recordings import NOTIFIED
from screener.voice.call_end import call_ended
from screener.voice.protocol import TERMINAL_STATUSES

if TYPE_CHECKING:
    from screener.services import Services


def apply_status(svc: "Services", sid: str, status: str, duration: str, at: int, left_url: str) -> bool:
    """Record a call's status once per (CallSid, status); at its end, what an ending sets off. True when new."""
    applied = svc.calls.update_status(sid, status, duration, at)
    if status in TERMINAL_STATUSES:
        # Also on a repeat: if the first try failed half-way (503), Twilio's retry finishes it. Both
        # steps are idempotent (a seal is skipped when unchanged; archive jobs have fixed ids).
        call_ended(svc, sid, left_url)
    return applied


def apply_recording(svc: "Services", sid: str, recording_sid: str, state: str, kind: str, duration: str) -> None:
    """Note a call's recording and queue its archiving (once per recording)."""
    svc.calls.set_fields(sid, {"recording_sid": recording_sid, "recording_status": state[:32]})
    if state == "completed":
        svc.recordings.notify(recording_sid, sid, kind, duration)
        # Queued while still only notified, so a retried callback re-queues what a failure lost
        # (one job id per recording: never two jobs for one recording).
        if (svc.recordings.get(recording_sid) or {}).get("state") == NOTIFIED:
            jobs.enqueue_recording_archive(svc.recording_jobs, sid, recording_sid)
