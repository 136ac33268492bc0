"""Blueprint /voice/*: Twilio's webhooks. Verify, normalise, decide, answer, log, enqueue."""
from __future__ import annotations

import logging
import re
import time
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from screener import metrics, policy, twiml
from screener.alerts import enqueue_blocked_call, enqueue_recording_archive
from screener.model import Action, Decision, Line
from screener.numbers import Caller, CallerKind, mask, normalise
from screener.services import services
from screener.signature import SignatureError, verify
from screener.store.calls import CallRecord
from screener.store.connection import UNREACHABLE
from screener.store.evidence import TERMINAL_STATUSES

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger("screener.voice")

_SID = re.compile(r"CA[0-9a-fA-F]{32}")
_RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
_TWILIO_STATUSES = {"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"}
STEP_PATHS = {
    "recording": "/voice/recording",
    "screen_name": "/voice/screen/name",
    "screen_done": "/voice/screen/done",
    "screen_whisper": "/voice/screen/whisper",
    "screen_choice": "/voice/screen/choice",
    "voicemail_done": "/voice/voicemail/done",
}


def _xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/xml")


def step_url(name: str, **query: str) -> str:
    """The URL of a dialogue step, absolute under SCREENER_PUBLIC_URL when configured."""
    base = services().settings.public_url or ""
    path = STEP_PATHS[name]
    return base + path + (f"?{urlencode(query)}" if query else "")


@bp.before_request
def check_signature() -> None:
    """Every /voice/* request: a form body signed by Twilio for the URL it called, or 4xx."""
    if request.method != "POST":
        abort(405)
    if request.mimetype != "application/x-www-form-urlencoded":
        abort(415)
    validator: RequestValidator = current_app.extensions["screener.validator"]
    try:
        verify(validator, request, services().settings.public_url)
    except SignatureError as exc:
        metrics.SIGNATURE_FAILURES.inc()
        log.warning("signature_rejected path=%s reason=%r", request.path, str(exc))
        abort(403)


def _call_sid() -> str:
    sid = request.form.get("CallSid", "")
    if not _SID.fullmatch(sid):
        abort(400, description="CallSid missing or malformed")
    return sid


def _line_number() -> str:
    to = request.form.get("To", "")
    return to if len(to) <= 32 else ""


@bp.post("/incoming")
def incoming() -> Response:
    """A call arrives: answer with TwiML within milliseconds, whatever state the store is in."""
    sid = _call_sid()
    line_number = _line_number()
    svc = services()
    raw_from = request.form.get("From")
    known = svc.lookup.known_line(line_number)
    caller = normalise(raw_from, known.country if known else None)
    try:
        line, matches = svc.lookup.lookup(caller, line_number)
        if line is not None and known is None and not caller.is_number:
            # A national-format caller ID on a line not cached yet: read it with the line's country.
            regional = normalise(raw_from, line.country)
            if regional.is_number:
                caller = regional
                line, matches = svc.lookup.lookup(caller, line_number)
    except UNREACHABLE as exc:
        metrics.STORE_UNREACHABLE.inc()
        line = known
        decision = policy.decide(caller, line, None)
        log.error("store_unreachable sid=%s line=%s action=%s error=%s", sid, line_number, decision.action.value, type(exc).__name__)
        return _xml(twiml.answer(decision, line, caller, step_url))
    decision = policy.decide(caller, line, matches)
    _log_decision(sid, line_number, line, caller, decision)
    return _xml(twiml.answer(decision, line, caller, step_url))


def _log_decision(sid: str, line_number: str, line: Line | None, caller: Caller, decision: Decision) -> None:
    svc = services()
    blocked = decision.action is Action.BLOCK and decision.rule == "blocklist"
    record = CallRecord(
        sid=sid,
        line=line_number,
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
    metrics.CALLS.labels(decision.action.value, decision.rule).inc()
    log.info(
        "call sid=%s line=%s caller=%s action=%s rule=%s entry=%s",
        sid, line_number, record.caller_masked, decision.action.value, decision.rule, decision.entry or "-",
    )
    try:
        first_time = svc.calls.record(record, encrypted, retention)
        if first_time and blocked:
            enqueue_blocked_call(svc.alerts, sid, line_number)
            metrics.ALERTS_ENQUEUED.labels("blocked_call").inc()
    except UNREACHABLE as exc:
        # The caller still gets the answer; the lost log line is loud in the process log and metrics.
        metrics.STORE_UNREACHABLE.inc()
        log.error("call_log_unwritten sid=%s error=%s", sid, type(exc).__name__)


@bp.post("/status")
def status() -> Response:
    """Call status callback: update the call's record once per (CallSid, CallStatus)."""
    sid = _call_sid()
    call_status = request.form.get("CallStatus", "")
    if call_status not in _TWILIO_STATUSES:
        abort(400, description="unknown CallStatus")
    duration = request.form.get("CallDuration", "")
    if duration and not (duration.isdigit() and len(duration) < 7):
        abort(400, description="CallDuration must be whole seconds")
    try:
        applied = services().calls.update_status(sid, call_status, duration, int(time.time()))
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        log.error("status_unwritten sid=%s status=%s", sid, call_status)
        # 503 makes Twilio's callback retry later rather than losing the update.
        return _xml(twiml.empty(), 503)
    metrics.CALLBACKS.labels("applied" if applied else "repeat").inc()
    if applied and call_status in TERMINAL_STATUSES:
        _seal(sid)
    return _xml(twiml.empty())


def _seal(sid: str) -> None:
    """Link the finished call into the evidence chain. A failure here is logged, never fatal: the
    call record itself is already stored."""
    svc = services()
    try:
        svc.evidence.seal_call(sid)
    except UNREACHABLE:
        log.error("call_unsealed sid=%s", sid)


@bp.post("/recording")
def recording() -> Response:
    """Recording status callback: note the recording and queue its archiving (once per recording)."""
    sid = _call_sid()
    recording_sid = request.form.get("RecordingSid", "")
    if not _RECORDING_SID.fullmatch(recording_sid):
        abort(400, description="RecordingSid missing or malformed")
    status = request.form.get("RecordingStatus", "completed")
    kind = request.args.get("kind", "call")[:16]
    svc = services()
    try:
        svc.calls.set_fields(sid, {"recording_sid": recording_sid, "recording_status": status[:32]})
        if status == "completed" and svc.recordings.notify(recording_sid, sid, kind, request.form.get("RecordingDuration", "")[:8]):
            enqueue_recording_archive(svc.recording_jobs, sid, recording_sid)
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        return _xml(twiml.empty(), 503)  # Twilio retries the callback: the recording is not forgotten
    return _xml(twiml.empty())


def _line_or_known(line_number: str) -> Line | None:
    svc = services()
    try:
        return svc.lines.get(line_number) or svc.lookup.known_line(line_number)
    except UNREACHABLE:
        return svc.lookup.known_line(line_number)


@bp.post("/screen/name")
def screen_name() -> Response:
    """The caller has stated a name: ring the press secretary with a whisper first."""
    sid = _call_sid()
    line = _line_or_known(_line_number())
    recording_url = request.form.get("RecordingUrl", "")
    if not recording_url.startswith("https://"):
        recording_url = ""
    whisper = step_url("screen_whisper", call=sid, rec=recording_url)
    return _xml(twiml.dial_with_whisper(line, whisper, step_url("screen_done")))


@bp.post("/screen/whisper")
def screen_whisper() -> Response:
    """Played to the press secretary on answering: the caller's name, then the choices."""
    parent = request.args.get("call", "")
    recording_url = request.args.get("rec", "")
    return _xml(twiml.whisper(recording_url, "en-US", step_url("screen_choice", call=parent)))


@bp.post("/screen/choice")
def screen_choice() -> Response:
    """The press secretary's key: 1 connects; anything else keeps the caller out."""
    parent = request.args.get("call", "")
    digit = request.form.get("Digits", "")
    outcome = {"1": "accepted", "2": "voicemail", "9": "reported"}.get(digit, "declined")
    if _SID.fullmatch(parent):
        try:
            services().calls.set_fields(parent, {"screening": outcome})
        except UNREACHABLE:
            log.error("screening_outcome_unwritten sid=%s outcome=%s", parent, outcome)
    return _xml(twiml.whisper_choice(outcome == "accepted"))


@bp.post("/screen/done")
def screen_done() -> Response:
    """The whisper dial ended: if the legs were not bridged, say goodbye politely."""
    if request.form.get("DialCallStatus") == "completed" and request.form.get("DialBridged") != "false":
        return _xml(twiml.empty())
    return _xml(twiml.goodbye(twiml.NOT_AVAILABLE))


@bp.post("/voicemail/done")
def voicemail_done() -> Response:
    """A voicemail was left: thank the caller."""
    return _xml(twiml.goodbye("Thank you. Goodbye."))


@bp.errorhandler(Exception)
def unexpected_error(exc: Exception) -> Response:
    """A bug must not drop a ringing call: answer with screening TwiML and log loudly."""
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return Response(f"{exc.code} {exc.name}: {exc.description}\n", status=exc.code, mimetype="text/plain")
    log.exception("webhook_error path=%s", request.path)
    line = services().lookup.known_line(_line_number())
    decision = Decision(Action.SCREEN, rule="error", reason="internal error: screening", degraded=True)
    return _xml(twiml.answer(decision, line, Caller(CallerKind.UNKNOWN), step_url))
