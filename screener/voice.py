"""Blueprint /voice/*: a call arrives, its status changes, a recording is ready.
Verify, normalise, decide, answer, log, enqueue."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, request

from screener import alerts, metrics, policy, twiml
from screener.model import Action, Line
from screener.numbers import Caller, mask, normalise
from screener.services import Services, services
from screener.store.call_path import Campaign, CallFacts, Outcome, StaleLines
from screener.store.connection import UNREACHABLE
from screener.store.evidence import TERMINAL_STATUSES
from screener.store.recordings import NOTIFIED
from screener.bridge import release_press_secretary
from screener.webhook import (RECORDING_SID, absolute_step_url, call_sid, check_signature, error_answer, line_number,
                              log, parent_sid, step_url, xml)

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
    try:
        for _ in range(3):  # a line change between our cache and the round trip: refresh, decide again
            version, line = svc.lookup.current(number)
            caller = normalise(raw_from, line.country if line else None)
            try:
                outcome = svc.call_path.decide_and_log(_facts(svc, sid, number, line, caller),
                                                       policy.candidates(caller, line, verstat, _now()),
                                                       version, _campaign(svc, line))
                break
            except StaleLines:
                svc.lookup.refresh()
        else:
            raise RuntimeError("line settings kept changing during one call")
    except UNREACHABLE as exc:
        metrics.STORE_UNREACHABLE.inc()
        known = svc.lookup.known_line(number)
        caller = normalise(raw_from, known.country if known else None)
        decision = policy.decide(caller, known, None, verstat)
        log.error("store_unreachable sid=%s line=%s action=%s error=%s", sid, number, decision.action.value,
                  type(exc).__name__)
        return xml(twiml.answer(decision, known, caller, step_url))
    decision = outcome.decision
    metrics.CALLS.labels(decision.action.value, decision.rule).inc()
    log.info("call sid=%s line=%s caller=%s action=%s rule=%s entry=%s", sid, number,
             mask(caller.e164) if caller.e164 else caller.kind.value, decision.action.value, decision.rule,
             decision.entry or "-")
    if outcome.logged:
        _enqueue_alerts(svc, sid, number, outcome)
    return xml(twiml.answer(decision, line, caller, step_url))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _facts(svc: Services, sid: str, number: str, line: Line | None, caller: Caller) -> CallFacts:
    e164 = caller.e164 or ""
    return CallFacts(
        sid=sid, line=number, at=int(time.time()), caller_e164=e164, caller_kind=caller.kind.value,
        caller_masked=mask(e164) if e164 else caller.kind.value,
        caller_hash=svc.vault.link_hash(e164) if e164 else "",
        # Kept only if the caller turns out not to be blocked (a blocked caller's number is kept in full).
        encrypted_number=svc.vault.encrypt(e164) if e164 else "",
        retention_seconds=(line.retention_days if line else 30) * 86400,
    )


def _campaign(svc: Services, line: Line | None) -> Campaign:
    settings = svc.settings
    if line is None:
        return Campaign(window_seconds=0)
    return Campaign(settings.campaign_window, settings.campaign_lines, settings.campaign_calls)


def _enqueue_alerts(svc: Services, sid: str, number: str, outcome: Outcome) -> None:
    """Only where an alert is due; a failure here is logged, the caller still gets the answer."""
    try:
        if outcome.decision.action is Action.BLOCK and outcome.decision.rule == "blocklist":
            alerts.enqueue_blocked_call(svc.alerts, sid, number)
            metrics.ALERTS_ENQUEUED.labels(alerts.BLOCKED_CALL).inc()
        if outcome.campaign:
            alerts.enqueue_campaign(svc.alerts, sid, outcome.identity)
            metrics.ALERTS_ENQUEUED.labels(alerts.CAMPAIGN).inc()
    except UNREACHABLE as exc:
        metrics.STORE_UNREACHABLE.inc()
        log.error("alert_unqueued sid=%s error=%s", sid, type(exc).__name__)


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
        if call_status in TERMINAL_STATUSES:
            # Also on a repeat: if the first try failed half-way (503), Twilio's retry finishes it. Both
            # steps are idempotent (a seal is skipped when unchanged; archive jobs have fixed ids).
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
    release_press_secretary(svc.calls, svc.bridge, sid, absolute_step_url("screen_left", call=sid))
    for item in svc.recordings.for_call(sid):
        if item.get("state") == NOTIFIED:
            alerts.enqueue_recording_archive(svc.recording_jobs, sid, item["sid"])


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
    recording_sid = request.form.get("RecordingSid", "")
    if not RECORDING_SID.fullmatch(recording_sid):
        abort(400, description="RecordingSid missing or malformed")
    state = request.form.get("RecordingStatus", "completed")
    kind = request.args.get("kind", "call")[:16]
    svc = services()
    try:
        svc.calls.set_fields(sid, {"recording_sid": recording_sid, "recording_status": state[:32]})
        duration = request.form.get("RecordingDuration", "")[:8]
        if state == "completed":
            svc.recordings.notify(recording_sid, sid, kind, duration)
            # Queued while still only notified, so a retried callback re-queues what a failure lost
            # (one job id per recording: never two jobs for one recording).
            if (svc.recordings.get(recording_sid) or {}).get("state") == NOTIFIED:
                alerts.enqueue_recording_archive(svc.recording_jobs, sid, recording_sid)
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        return xml(twiml.empty(), 503)  # Twilio retries the callback: the recording is not forgotten
    return xml(twiml.empty())
