"""Blueprint /voice/screen/* and /voice/voicemail/*: the screening dialogue.

The caller records a name, then waits with hold music in a conference of their own while we ring the
press secretary (Twilio's REST API, see bridge.py). The press secretary hears the name in a whisper:
1 joins the caller's conference (with * to end the call and report), 2 or no key sends the caller to
voicemail, 9 blocks and reports. Every step is signature-checked like the rest of /voice.

The steps, by whose call they run on:
- caller: /screen/name (waits in the conference), /screen/done (the conference is over or the caller was
  moved: voicemail or goodbye, by the record's `screening` outcome);
- press secretary: /screen/whisper, /screen/choice, /screen/ended (left the conference: * or hung up),
  /screen/left (the caller hung up first: 9 still reports); /screen/leg is that call's status callback.
Lines with `star_on_forward` send forwarded calls through the same bridge: /forward (caller) and
/screen/announce (press secretary: the caller's number, then the conference).
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from screener import metrics
from screener import jobs
from screener.voice import twiml
from screener.voice.bridge import BridgeError, move_caller
from screener.voice.bridge_state import (after_leg_ended, caller_gone, caller_outcome, hold_limit_seconds,
                                         is_our_call, may_choose, recording_to_stop, status_to_keep)
from screener.evidence_rules import CATEGORIES
from screener.reporting import EVIDENCE_SOURCE
from screener.model import CallRecord, Line
from screener.numbers import normalise
from screener.services import services
from screener.store.connection import UNREACHABLE
from screener.voice.prompts import Speech
from screener.voice.protocol import CALL_SID, TERMINAL_STATUSES, recording_sid_of
from screener.voice.steps import (absolute_step_url, call_sid, check_request, current_line,
                              error_answer, line_number, log, parent_sid, step_url, xml)

bp = Blueprint("screening", __name__, url_prefix="/voice")
bp.before_request(check_request)
bp.register_error_handler(Exception, error_answer)

OUTCOMES = {"1": "accepted", "2": "voicemail", "9": "reported"}
TWILIO_MEDIA = "https://api.twilio.com/"  # the recorded name is only ever played from Twilio itself


def _note(sid: str, fields: dict[str, str]) -> None:
    """Add facts to the call's record; with Redis down the call goes on and the log says what was lost."""
    try:
        services().calls.set_fields(sid, fields)
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        log.error("call_note_unwritten sid=%s fields=%s", sid, ",".join(sorted(fields)))


def _record(sid: str) -> CallRecord:
    """The call's record; one that is not `readable` when the call is unknown or the store is down."""
    try:
        return services().calls.record(sid) or CallRecord()
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        return CallRecord()


def _report(caller_sid: str, how: str) -> bool:
    """Open a review of the caller with the call's recordings as evidence, and alert the curators.
    False when the report could not be queued (the press secretary is then told so)."""
    try:
        jobs.enqueue_report(services().alerts, caller_sid, "phone", how)
    except UNREACHABLE:
        log.error("report_unqueued sid=%s", caller_sid)
        return False
    metrics.ALERTS_ENQUEUED.labels(jobs.REPORT).inc()
    return True


def _reported_answer(ok: bool, how: Speech) -> Response:
    return xml(twiml.goodbye("reported" if ok else "report_failed", how))


def _move_caller(caller_sid: str, then: str) -> None:
    """Move the waiting caller to /screen/done?then=...; a worker retries if Twilio refuses now."""
    svc = services()
    try:
        move_caller(svc.calls, svc.bridge, svc.alerts, caller_sid, absolute_step_url("screen_done", then=then))
    except UNREACHABLE:  # moved or not, the store could not take the note or the retry job
        log.error("caller_move_unnoted sid=%s", caller_sid)


def _speech(number: str) -> Speech:
    """How the line with this number speaks (English when it is unknown)."""
    return twiml.line_speech(current_line(number))


def _caller_left_prompt(caller_sid: str, how: Speech) -> Response:
    return xml(twiml.caller_left(how, step_url("screen_left", call=caller_sid)))


def _ring(line: Line, caller_sid: str, first_step: str, /, **query: str) -> str:
    """Ring the line's press secretary; their answered call fetches first_step. Returns its CallSid."""
    return services().bridge.ring(line, absolute_step_url(first_step, call=caller_sid, **query),
                                  absolute_step_url("screen_leg", call=caller_sid))


def _hold(line: Line, caller_sid: str, leg_sid: str, screened: bool) -> Response:
    """Note who is rung and hold the caller in their conference meanwhile."""
    _note(caller_sid, {"screening": "ringing", "secretary_sid": leg_sid,
                       "callback_base": absolute_step_url("screen_done").split("/voice/", 1)[0]})
    try:
        jobs.schedule_end_of_hold(services().alerts, caller_sid, hold_limit_seconds(len(line.languages)))
    except UNREACHABLE:
        log.error("hold_watchdog_unscheduled sid=%s", caller_sid)
    return xml(twiml.wait_for_press_secretary(line, caller_sid, step_url("screen_done"),
                                              step_url("screen_conference", call=caller_sid),
                                              services().settings.hold_music_url, screened=screened))


@bp.post("/screen/name")
def screen_name() -> Response:
    """The caller has stated a name: ring the press secretary, and hold the caller meanwhile."""
    sid = call_sid()
    line = current_line(line_number())
    recording_url = request.form.get("RecordingUrl", "")
    if not recording_url.startswith(TWILIO_MEDIA):
        recording_url = ""  # only ever play media from Twilio, never a URL someone else chose
    recording_sid = recording_sid_of(request.form)
    if recording_sid:
        try:  # archived when the call ends: the whisper still has to play it from Twilio
            services().recordings.notify(recording_sid, sid, "name", request.form.get("RecordingDuration", "")[:8])
        except UNREACHABLE:
            log.error("name_recording_unnoted sid=%s", sid)
    if request.form.get("Digits") == "hangup":  # the caller hung up while stating a name: ring nobody
        _note(sid, {"screening": "caller_hung_up"})
        return xml(twiml.hangup())
    if line is None:
        return xml(twiml.goodbye("unavailable"))
    try:
        leg = _ring(line, sid, "screen_whisper", line=line.number, rec=recording_url)
    except BridgeError as exc:
        log.error("press_secretary_not_rung sid=%s error=%s", sid, exc)
        _note(sid, {"screening": "unreachable"})
        return xml(twiml.after_screening("unreachable", line, step_url))  # take a message instead
    return _hold(line, sid, leg, screened=True)


@bp.post("/forward")
def forward() -> Response:
    """A forwarded call on a line with * on forwarded calls: ring the press secretary and hold the caller
    in the conference meanwhile. If Twilio cannot be asked to ring, dial directly: connected, without *."""
    sid = call_sid()
    line = current_line(line_number())
    if line is None:
        return xml(twiml.goodbye("unavailable"))
    try:
        leg = _ring(line, sid, "screen_announce")
    except BridgeError as exc:
        log.error("press_secretary_not_rung sid=%s error=%s fallback=dial", sid, exc)
        return xml(twiml.forward_directly(line, normalise(request.form.get("From"), line.country).e164, step_url))
    return _hold(line, sid, leg, screened=False)


@bp.post("/screen/silent")
def screen_silent() -> Response:
    """The caller stayed silent or hung up while asked for a name."""
    sid = call_sid()
    _note(sid, {"screening": "no_name"})
    return xml(twiml.goodbye("no_name", _speech(line_number())))


@bp.post("/screen/whisper")
def screen_whisper() -> Response:
    """Played to the press secretary on answering: the caller's name, then the choices."""
    parent, leg = parent_sid(), call_sid()
    record = _record(parent)
    how = _speech(request.args.get("line", "")[:32])
    if not may_choose(record, leg):
        return xml(twiml.goodbye("no_longer_waiting", how))
    if caller_gone(record):
        return _caller_left_prompt(parent, how)
    _note_answered(parent, record)
    recording_url = request.args.get("rec", "")
    if not recording_url.startswith(TWILIO_MEDIA):
        recording_url = ""
    return xml(twiml.whisper(recording_url, how, step_url("screen_choice", call=parent),
                             step_url("screen_choice", call=parent, nokey="1"), _warned_for(parent, record)))


def _warned_for(sid: str, record: CallRecord) -> str:
    """The report category to warn the press secretary of, when reports (not a person) put the caller on
    warn; "" otherwise, or when the store cannot say."""
    if record.rule != "screenlist":
        return ""
    svc = services()
    try:
        encrypted = svc.calls.encrypted_number(sid)
        number = (svc.vault.decrypt(encrypted) if encrypted else None) or record.caller
        entry = svc.blocklist.get(number) if number else None
    except UNREACHABLE:
        return ""
    if entry is None or entry.meta.source != EVIDENCE_SOURCE or entry.meta.category not in CATEGORIES:
        return ""
    return entry.meta.category


@bp.post("/screen/choice")
def screen_choice() -> Response:
    """The press secretary's key: 1 connects; 2 or no key sends the caller to voicemail; 9 reports."""
    parent, leg = parent_sid(), call_sid()
    record = _record(parent)
    how = _speech(record.line)
    if not may_choose(record, leg):
        return xml(twiml.goodbye("no_longer_waiting", how))
    digit = "" if request.args.get("nokey") else request.form.get("Digits", "")
    outcome = OUTCOMES.get(digit, "voicemail" if not digit else "declined")
    if outcome == "accepted" and caller_gone(record):
        return _caller_left_prompt(parent, how)
    _note(parent, {"screening": outcome})
    if outcome == "accepted":
        return _connect(parent, record)
    reported = outcome == "reported" and _report(parent, "reported by the press secretary (key 9)")
    if not caller_gone(record):
        _move_caller(parent, outcome)
    return _reported_answer(reported, how) if outcome == "reported" else xml(twiml.hangup())


@bp.post("/screen/announce")
def screen_announce() -> Response:
    """The press secretary answered a forwarded call: the caller's number is read out, then they join
    the caller's conference with * to end and report."""
    parent, leg = parent_sid(), call_sid()
    record = _record(parent)
    how = _speech(record.line)
    if not may_choose(record, leg):
        return xml(twiml.goodbye("no_longer_waiting", how))
    if caller_gone(record):
        return _caller_left_prompt(parent, how)
    _note_answered(parent, record)
    _note(parent, {"screening": "bridged"})
    return _connect(parent, record, caller_digits=_caller_digits(parent))


def _note_answered(caller_sid: str, record: CallRecord) -> None:
    """The press secretary's call asks for its TwiML, so it was answered: say so now, whether or not its
    own `answered` callback has come (a caller who hangs up next must be told about, not cut off)."""
    if status_to_keep(record, "in-progress"):
        _note(caller_sid, {"secretary_status": "in-progress"})


def _connect(caller_sid: str, record: CallRecord, caller_digits: str = "") -> Response:
    """Join the press secretary to the caller's conference; on recording lines, record the caller's call
    in two channels from now (the caller was told on entering; Twilio's conference recordings are mono)."""
    line = current_line(record.line)
    if line is not None and line.recording:
        recording = services().bridge.record(caller_sid, absolute_step_url("recording", kind="forward", call=caller_sid))
        if recording:
            _note(caller_sid, {"bridge_recording_sid": recording})
    return xml(twiml.join_caller(line, caller_sid, step_url("screen_ended", call=caller_sid), caller_digits))


def _caller_digits(sid: str) -> str:
    """The caller's number without the +, decrypted for the press secretary's ears only ("" if unknown)."""
    svc = services()
    try:
        token = svc.calls.encrypted_number(sid)
    except UNREACHABLE:
        return ""
    number = svc.vault.decrypt(token) if token else None
    return number.lstrip("+") if number else ""


@bp.post("/screen/conference")
def screen_conference() -> Response:
    """The caller's conference's events: note when the press secretary's call joins it."""
    parent = parent_sid()
    participant = request.form.get("CallSid", "")
    if request.form.get("StatusCallbackEvent") == "participant-join" and CALL_SID.fullmatch(participant):
        if is_our_call(_record(parent), participant):
            _note(parent, {"joined": "1"})
    return xml(twiml.empty())


@bp.post("/screen/ended")
def screen_ended() -> Response:
    """The press secretary left the caller's conference (the Dial's action). Still on the line means
    they pressed *: the call is over and the caller is reported, as with 9."""
    parent, leg = parent_sid(), call_sid()
    if request.form.get("CallStatus") != "in-progress":
        return xml(twiml.empty())  # the press secretary hung up: the conference ended with them
    record = _record(parent)
    how = _speech(record.line)
    if not is_our_call(record, leg):
        return xml(twiml.hangup())
    if request.form.get("DialCallStatus") in ("failed", "busy", "no-answer", "canceled"):
        _note(parent, {"screening": "voicemail"})  # could not join: the caller must not wait for nothing
        _move_caller(parent, "voicemail")
        return xml(twiml.goodbye("ended", how))
    if record.caller_left:
        return _caller_left_prompt(parent, how)
    _note(parent, {"screening": "reported", "ended_by": "star"})
    return _reported_answer(_report(parent, "ended and reported by the press secretary (key *)"), how)


@bp.post("/screen/left")
def screen_left() -> Response:
    """The caller hung up first. Without a key: the prompt itself (we moved the press secretary's call
    here). With 9: report them; any other key ends the call."""
    parent, leg = parent_sid(), call_sid()
    record = _record(parent)
    how = _speech(record.line)
    digit = request.form.get("Digits")
    if not is_our_call(record, leg):
        return xml(twiml.hangup())
    if digit is None:
        return _caller_left_prompt(parent, how)
    if digit != "9":
        return xml(twiml.hangup())
    _note(parent, {"screening": "reported"})
    return _reported_answer(_report(parent, "reported by the press secretary after the caller hung up (key 9)"),
                            how)


@bp.post("/screen/leg")
def screen_leg() -> Response:
    """Status callback of the press secretary's call. When it ends with the caller still waiting (no
    answer, busy, hung up during the whisper or before joining, or a move that has not gone through),
    the caller is moved on: to voicemail, or to the choice made."""
    parent, leg = parent_sid(), call_sid()
    status = request.form.get("CallStatus", "")[:16]
    record = _record(parent)
    if not is_our_call(record, leg):
        return xml(twiml.empty())  # a call we did not place for this caller
    if status not in TERMINAL_STATUSES:
        if status_to_keep(record, status):
            _note(parent, {"secretary_status": status})
        return xml(twiml.empty())
    fields, then = after_leg_ended(record, status)
    if fields:
        _note(parent, fields)
    stop = recording_to_stop(record, then)
    if stop:
        services().bridge.stop_recording(parent, stop)
    if then:
        _move_caller(parent, then)
    return xml(twiml.empty())


@bp.post("/screen/done")
def screen_done() -> Response:
    """The caller's conference is over, or we moved the caller here: voicemail or goodbye."""
    sid = call_sid()
    outcome = caller_outcome(_record(sid), request.args.get("then", ""))
    return xml(twiml.after_screening(outcome, current_line(line_number()), step_url))


@bp.post("/voicemail/done")
def voicemail_done() -> Response:
    """A voicemail was left: thank the caller and tell the line (never with the recording itself)."""
    sid = call_sid()
    number = line_number()
    duration = request.form.get("RecordingDuration", "")[:8]
    _note(sid, {"voicemail": "left", "voicemail_duration": duration})
    try:
        jobs.enqueue_alert(services().alerts, jobs.VOICEMAIL, sid, number, duration=duration)
        metrics.ALERTS_ENQUEUED.labels(jobs.VOICEMAIL).inc()
    except UNREACHABLE:
        log.error("voicemail_alert_unqueued sid=%s", sid)
    return xml(twiml.goodbye("thanks", _speech(number)))


@bp.post("/voicemail/transcription")
def voicemail_transcription() -> Response:
    """Twilio's transcription of a voicemail: kept encrypted, like the caller's number."""
    sid = call_sid()
    text = request.form.get("TranscriptionText", "")[:5000]
    state = request.form.get("TranscriptionStatus", "")[:16]
    fields = {"transcription_status": state}
    if text:
        fields["transcription_encrypted"] = services().vault.encrypt(text)
    _note(sid, fields)
    return xml(twiml.empty())
