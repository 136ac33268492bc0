"""Blueprint /voice/*: a call arrives, its status changes, a recording is ready.
Verify, normalise, decide, answer, log, enqueue."""
from __future__ import annotations

import time

from flask import Blueprint, Response, abort, request

from screener import alerts, metrics, policy, twiml
from screener.model import Action, Decision, Line
from screener.numbers import Caller, is_prefix, mask, normalise
from screener.services import Services, services
from screener.store.calls import CAMPAIGN_DETECTED, CallRecord, CampaignRule
from screener.store.connection import UNREACHABLE
from screener.store.evidence import TERMINAL_STATUSES
from screener.store.recordings import NOTIFIED
from screener.webhook import (RECORDING_SID, call_sid, check_signature, error_answer, line_number, log, step_url,
                              xml)

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(check_signature)
bp.register_error_handler(Exception, error_answer)

_TWILIO_STATUSES = {"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer",
                    "canceled"}


@bp.post("/incoming")
def incoming() -> Response:
    """A call arrives: answer with TwiML within milliseconds, whatever state the store is in."""
    sid = call_sid()
    number = line_number()
    svc = services()
    raw_from = request.form.get("From")
    verstat = request.form.get("StirVerstat", "")[:64] or None
    known = svc.lookup.known_line(number)
    caller = normalise(raw_from, known.country if known else None)
    try:
        line, matches = svc.lookup.lookup(caller, number)
        if line is not None and known is None and not caller.is_number:
            # A national-format caller ID on a line not cached yet: read it with the line's country.
            regional = normalise(raw_from, line.country)
            if regional.is_number:
                caller = regional
                line, matches = svc.lookup.lookup(caller, number)
    except UNREACHABLE as exc:
        metrics.STORE_UNREACHABLE.inc()
        decision = policy.decide(caller, known, None, verstat)
        log.error("store_unreachable sid=%s line=%s action=%s error=%s", sid, number, decision.action.value,
                  type(exc).__name__)
        return xml(twiml.answer(decision, known, caller, step_url))
    decision = policy.decide(caller, line, matches, verstat)
    _log_decision(svc, sid, number, line, caller, decision)
    return xml(twiml.answer(decision, line, caller, step_url))


def _log_decision(svc: Services, sid: str, number: str, line: Line | None, caller: Caller, decision: Decision) -> None:
    blocked = decision.action is Action.BLOCK and decision.rule == "blocklist"
    record = CallRecord(
        sid=sid,
        line=number,
        at=int(time.time()),
        caller_kind=caller.kind.value,
        action=decision.action.value,
        rule=decision.rule,
        reason=decision.reason,
        entry=decision.entry or "",
        caller=caller.e164 if (blocked and caller.e164) else "",
        caller_masked=mask(caller.e164) if caller.e164 else caller.kind.value,
        caller_hash=svc.vault.link_hash(caller.e164) if caller.e164 else "",
    )
    encrypted = svc.vault.encrypt(caller.e164) if (caller.e164 and not blocked) else ""
    retention = (line.retention_days if line else 30) * 86400
    # A prefix campaign is counted per prefix; any other by the caller's keyed hash. Withheld: not at all.
    identity = decision.entry if decision.entry and is_prefix(decision.entry) else record.caller_hash
    settings = svc.settings
    rule = CampaignRule(settings.campaign_window, settings.campaign_lines, settings.campaign_calls)
    metrics.CALLS.labels(decision.action.value, decision.rule).inc()
    log.info("call sid=%s line=%s caller=%s action=%s rule=%s entry=%s", sid, number, record.caller_masked,
             decision.action.value, decision.rule, decision.entry or "-")
    try:
        logged = svc.calls.record(record, encrypted, retention, rule if line else None, identity)
        if logged and blocked:
            alerts.enqueue_blocked_call(svc.alerts, sid, number)
            metrics.ALERTS_ENQUEUED.labels(alerts.BLOCKED_CALL).inc()
        if logged == CAMPAIGN_DETECTED:
            alerts.enqueue_campaign(svc.alerts, sid, identity)
            metrics.ALERTS_ENQUEUED.labels(alerts.CAMPAIGN).inc()
    except UNREACHABLE as exc:
        # The caller still gets the answer; the lost log line is loud in the process log and metrics.
        metrics.STORE_UNREACHABLE.inc()
        log.error("call_log_unwritten sid=%s error=%s", sid, type(exc).__name__)


@bp.post("/status")
def status() -> Response:
    """Call status callback: update the call's record once per (CallSid, CallStatus)."""
    sid = call_sid()
    call_status = request.form.get("CallStatus", "")
    if call_status not in _TWILIO_STATUSES:
        abort(400, description="unknown CallStatus")
    duration = request.form.get("CallDuration", "")
    if duration and not (duration.isdigit() and len(duration) < 7):
        abort(400, description="CallDuration must be whole seconds")
    svc = services()
    try:
        applied = svc.calls.update_status(sid, call_status, duration, int(time.time()))
        metrics.CALLBACKS.labels("applied" if applied else "repeat").inc()
        if applied and call_status in TERMINAL_STATUSES:
            _call_ended(svc, sid)
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        log.error("status_unwritten sid=%s status=%s", sid, call_status)
        return xml(twiml.empty(), 503)  # Twilio retries the callback later rather than it being lost
    return xml(twiml.empty())


def _call_ended(svc: Services, sid: str) -> None:
    """Seal the finished call into the evidence chain; archive recordings kept until the call ended
    (the caller's recorded name is played from Twilio during the call)."""
    svc.evidence.seal_call(sid)
    for item in svc.recordings.for_call(sid):
        if item.get("state") == NOTIFIED:
            alerts.enqueue_recording_archive(svc.recording_jobs, sid, item["sid"])


@bp.post("/recording")
def recording() -> Response:
    """Recording status callback: note the recording and queue its archiving (once per recording)."""
    sid = call_sid()
    recording_sid = request.form.get("RecordingSid", "")
    if not RECORDING_SID.fullmatch(recording_sid):
        abort(400, description="RecordingSid missing or malformed")
    state = request.form.get("RecordingStatus", "completed")
    kind = request.args.get("kind", "call")[:16]
    svc = services()
    try:
        svc.calls.set_fields(sid, {"recording_sid": recording_sid, "recording_status": state[:32]})
        duration = request.form.get("RecordingDuration", "")[:8]
        if state == "completed" and svc.recordings.notify(recording_sid, sid, kind, duration):
            alerts.enqueue_recording_archive(svc.recording_jobs, sid, recording_sid)
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        return xml(twiml.empty(), 503)  # Twilio retries the callback: the recording is not forgotten
    return xml(twiml.empty())
