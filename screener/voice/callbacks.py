"""Blueprint /voice/status and /voice/recording: a call's status changes, a recording is ready. Verify, record, enqueue.
(A call's first request, /voice/incoming, is answered by incoming.py through wsgi.py.)"""
from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, request

from screener import metrics
from screener.voice import twiml
from screener.services import services
from screener.store.connection import FULL, UNREACHABLE
from screener.voice.call_updates import apply_recording, apply_status
from screener.voice.protocol import CALL_STATUSES, recording_sid_of
from screener.voice.steps import (absolute_step_url, call_sid, check_request, error_answer, log, parent_sid,
                              xml)

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(check_request)
bp.register_error_handler(Exception, error_answer)

@bp.post("/status")
def status() -> Response:
    """Call status callback: update the call's record once per (CallSid, CallStatus)."""
    sid = call_sid()
    call_status = request.form.get("CallStatus", "")
    if call_status not in CALL_STATUSES:
        abort(400, description="unknown CallStatus")
    duration = request.form.get("CallDuration", "")
    if duration and not (duration.isdigit() and len(duration) < 7):
        abort(400, description="CallDuration must be whole seconds")
    svc = services()
    update = {"sid": sid, "status": call_status, "duration": duration, "at": int(time.time()),
              "left_url": absolute_step_url("screen_left", call=sid)}
    try:
        applied = apply_status(svc, **update)
        metrics.CALLBACKS.labels("applied" if applied else "repeat").inc()
    except (*UNREACHABLE, FULL):
        metrics.STORE_UNREACHABLE.inc()
        if not current_app.extensions["screener.outage"].spool("status", update):
            log.error("status_unwritten sid=%s status=%s", sid, call_status)
            return xml(twiml.empty(), 503)  # Twilio retries the callback later rather than it being lost
    return xml(twiml.empty())


@bp.post("/blocked/recorded")
def blocked_recorded() -> Response:
    """A blocked caller recorded as evidence: end the call (without an action Twilio would re-request
    /voice/incoming and record again)."""
    call_sid()
    return xml(twiml.hangup())


@bp.post("/recording")
def recording() -> Response:
    """Recording status callback: note the recording and queue its archiving (once per recording)."""
    # A conference recording's callback URL names the caller's call (Twilio's CallSid, if it sends one,
    # could be the press secretary's): our own signed call= wins.
    sid = parent_sid() if "call" in request.args else call_sid()
    recording_sid = recording_sid_of(request.form)
    if not recording_sid:
        abort(400, description="RecordingSid missing or malformed")
    state = request.form.get("RecordingStatus", "completed")
    kind = request.args.get("kind", "call")[:16]
    svc = services()
    update = {"sid": sid, "recording_sid": recording_sid, "state": state, "kind": kind,
              "duration": request.form.get("RecordingDuration", "")[:8]}
    try:
        apply_recording(svc, **update)
    except (*UNREACHABLE, FULL):
        metrics.STORE_UNREACHABLE.inc()
        if not current_app.extensions["screener.outage"].spool("recording", update):
            return xml(twiml.empty(), 503)  # Twilio retries the callback: the recording is not forgotten
    return xml(twiml.empty())
