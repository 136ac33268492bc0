"""What a call's end sets off, whoever learns of it: the status callback (/voice/status) or the
reconciliation job asking Twilio (workers/reconcile.py). Each step is idempotent, so a retried callback
or a second source finishes what a failed first try left undone."""
from __future__ import annotations

from typing import TYPE_CHECKING

from screener import jobs, reporting
from screener.store.recordings import NOTIFIED
from screener.voice.bridge import release_press_secretary

if TYPE_CHECKING:
    from screener.services import Services


def call_ended(svc: "Services", sid: str, left_url: str) -> None:
    """Seal the finished call into the evidence chain; stop ringing, or move to left_url, a press secretary
    still on the line for it; archive the recordings kept until the call ended (the caller's recorded
    name is played from Twilio during the call)."""
    svc.evidence.seal_call(sid)
    reporting.note_sighting(svc, sid)
    release_press_secretary(svc.calls, svc.bridge, sid, left_url)
    for item in svc.recordings.for_call(sid):
        if item.get("state") == NOTIFIED:
            jobs.enqueue_recording_archive(svc.recording_jobs, sid, item["sid"])
