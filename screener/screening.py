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

from screener import alerts, metrics, twiml
from screener.bridge import BridgeError
from screener.numbers import normalise
from screener.services import Services, services
from screener.store.connection import UNREACHABLE
from screener.store.evidence import TERMINAL_STATUSES
from screener.webhook import (RECORDING_SID, absolute_step_url, call_sid, check_signature, current_line,
                              error_answer, line_number, log, parent_sid, step_url, xml)

bp = Blueprint("screening", __name__, url_prefix="/voice")
bp.before_request(check_signature)
bp.register_error_handler(Exception, error_answer)

OUTCOMES = {"1": "accepted", "2": "voicemail", "9": "reported"}
UNDECIDED = ("ringing", "")  # the press secretary has not chosen (or the store could not say)
CONNECTED = ("accepted", "bridged")  # screened and accepted; forwarded through the bridge


def _note(sid: str, fields: dict[str, str]) -> None:
    """Add facts to the call's record; with Redis down the call goes on and the log says what was lost."""
    try:
        services().calls.set_fields(sid, fields)
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        log.error("call_note_unwritten sid=%s fields=%s", sid, ",".join(sorted(fields)))


def _record(sid: str) -> dict[str, str]:
    """The call's record, or {} when unknown or the store is down."""
    try:
        return services().calls.get(sid) or {}
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        return {}


def _caller_gone(record: dict[str, str]) -> bool:
    return record.get("status") in TERMINAL_STATUSES or record.get("caller_left") == "1"


def _report(caller: str, how: str) -> None:
    """Open a review with the call's recordings as evidence, and alert the curators."""
    try:
        alerts.enqueue_report(services().alerts, caller, "phone", how)
        metrics.ALERTS_ENQUEUED.labels(alerts.REPORT).inc()
    except UNREACHABLE:
        log.error("report_unqueued sid=%s", caller)


def _release_caller(caller: str) -> None:
    """Move the waiting caller to /screen/done, which follows the outcome in the record."""
    services().bridge.redirect(caller, absolute_step_url("screen_done"))


def _languages(number: str) -> tuple[str, ...]:
    line = current_line(number)
    return line.languages if line else ("en-US",)


@bp.post("/screen/name")
def screen_name() -> Response:
    """The caller has stated a name: ring the press secretary, and hold the caller meanwhile."""
    sid = call_sid()
    line = current_line(line_number())
    recording_url = request.form.get("RecordingUrl", "")
    if not recording_url.startswith("https://"):
        recording_url = ""  # only ever play media from Twilio, never a URL someone else chose
    recording_sid = request.form.get("RecordingSid", "")
    if RECORDING_SID.fullmatch(recording_sid):
        try:  # archived when the call ends: the whisper still has to play it from Twilio
            services().recordings.notify(recording_sid, sid, "name", request.form.get("RecordingDuration", "")[:8])
        except UNREACHABLE:
            log.error("name_recording_unnoted sid=%s", sid)
    if line is None:
        return xml(twiml.goodbye("unavailable"))
    svc = services()
    whisper = absolute_step_url("screen_whisper", call=sid, line=line.number, rec=recording_url)
    try:
        leg = svc.bridge.ring(line, whisper, absolute_step_url("screen_leg", call=sid))
    except BridgeError as exc:
        log.error("press_secretary_not_rung sid=%s error=%s", sid, exc)
        _note(sid, {"screening": "unreachable"})
        return xml(twiml.after_screening("unreachable", line, step_url))  # take a message instead
    _note(sid, {"screening": "ringing", "secretary_sid": leg})
    return xml(twiml.wait_for_press_secretary(line, sid, step_url("screen_done"), svc.settings.hold_music_url))


@bp.post("/forward")
def forward() -> Response:
    """A forwarded call on a line with * on forwarded calls: ring the press secretary and hold the caller
    in the conference meanwhile. If Twilio cannot be asked to ring, dial directly: connected, without *."""
    sid = call_sid()
    line = current_line(line_number())
    if line is None:
        return xml(twiml.goodbye("unavailable"))
    svc = services()
    try:
        leg = svc.bridge.ring(line, absolute_step_url("screen_announce", call=sid),
                              absolute_step_url("screen_leg", call=sid))
    except BridgeError as exc:
        log.error("press_secretary_not_rung sid=%s error=%s fallback=dial", sid, exc)
        return xml(twiml.forward_directly(line, normalise(request.form.get("From"), line.country).e164, step_url))
    _note(sid, {"screening": "ringing", "secretary_sid": leg})
    return xml(twiml.wait_for_press_secretary(line, sid, step_url("screen_done"), svc.settings.hold_music_url,
                                              screened=False))


@bp.post("/screen/announce")
def screen_announce() -> Response:
    """The press secretary answered a forwarded call: the caller's number is read out, then they join
    the caller's conference with * to end and report."""
    parent = parent_sid()
    record = _record(parent)
    languages = _languages(record.get("line", ""))
    if _caller_gone(record):
        return xml(twiml.caller_left(languages, step_url("screen_left", call=parent)))
    _note(parent, {"screening": "bridged"})
    return xml(twiml.join_caller(current_line(record.get("line", "")), parent, step_url("screen_ended", call=parent),
                                 step_url("recording", kind="forward", call=parent),
                                 caller_digits=_caller_digits(parent)))


def _caller_digits(sid: str) -> str:
    """The caller's number without the +, decrypted for the press secretary's ears only ("" if unknown)."""
    svc = services()
    try:
        token = svc.calls.encrypted_number(sid)
    except UNREACHABLE:
        return ""
    number = svc.vault.decrypt(token) if token else None
    return number.lstrip("+") if number else ""


@bp.post("/screen/silent")
def screen_silent() -> Response:
    """The caller stayed silent or hung up while asked for a name."""
    sid = call_sid()
    _note(sid, {"screening": "no_name"})
    return xml(twiml.goodbye("no_name", _languages(line_number())))


@bp.post("/screen/whisper")
def screen_whisper() -> Response:
    """Played to the press secretary on answering: the caller's name, then the choices."""
    parent = parent_sid()
    recording_url = request.args.get("rec", "")
    if not recording_url.startswith("https://"):
        recording_url = ""
    languages = _languages(request.args.get("line", "")[:32])
    return xml(twiml.whisper(recording_url, languages, step_url("screen_choice", call=parent),
                             step_url("screen_choice", call=parent, nokey="1")))


@bp.post("/screen/choice")
def screen_choice() -> Response:
    """The press secretary's key: 1 connects; 2 or no key sends the caller to voicemail; 9 reports."""
    parent = parent_sid()
    digit = "" if request.args.get("nokey") else request.form.get("Digits", "")
    outcome = OUTCOMES.get(digit, "voicemail" if not digit else "declined")
    record = _record(parent)
    languages = _languages(record.get("line", ""))
    if outcome == "accepted" and _caller_gone(record):
        return xml(twiml.caller_left(languages, step_url("screen_left", call=parent)))
    _note(parent, {"screening": outcome})
    if outcome == "accepted":
        line = current_line(record.get("line", ""))
        return xml(twiml.join_caller(line, parent, step_url("screen_ended", call=parent),
                                     step_url("recording", kind="forward", call=parent)))
    if outcome == "reported":
        _report(parent, "reported by the press secretary (key 9)")
    if not _caller_gone(record):
        _release_caller(parent)
    return xml(twiml.goodbye("reported", languages) if outcome == "reported" else twiml.hangup())


@bp.post("/screen/ended")
def screen_ended() -> Response:
    """The press secretary left the caller's conference (the Dial's action). Still on the line means
    they pressed *: the call is over and the caller is reported, as with 9."""
    parent = parent_sid()
    if request.form.get("CallStatus") != "in-progress":
        return xml(twiml.empty())  # the press secretary hung up: the conference ended with them
    record = _record(parent)
    languages = _languages(record.get("line", ""))
    if request.form.get("DialCallStatus") in ("failed", "busy", "no-answer", "canceled"):
        _note(parent, {"screening": "voicemail"})  # could not join: the caller must not wait for nothing
        _release_caller(parent)
        return xml(twiml.goodbye("ended", languages))
    if record.get("caller_left") == "1":
        return xml(twiml.caller_left(languages, step_url("screen_left", call=parent)))
    _note(parent, {"screening": "reported", "ended_by": "star"})
    _report(parent, "ended and reported by the press secretary (key *)")
    return xml(twiml.goodbye("reported", languages))


@bp.post("/screen/left")
def screen_left() -> Response:
    """The caller hung up first. Without a key: the prompt itself (we moved the press secretary's call
    here). With 9: report them; any other key ends the call."""
    parent = parent_sid()
    languages = _languages(_record(parent).get("line", ""))
    digit = request.form.get("Digits")
    if digit is None:
        return xml(twiml.caller_left(languages, step_url("screen_left", call=parent)))
    if digit == "9":
        _note(parent, {"screening": "reported"})
        _report(parent, "reported by the press secretary after the caller hung up (key 9)")
        return xml(twiml.goodbye("reported", languages))
    return xml(twiml.hangup())


@bp.post("/screen/leg")
def screen_leg() -> Response:
    """Status callback of the press secretary's call. When it ends before a choice (no answer, busy,
    hung up during the whisper), the waiting caller goes to voicemail."""
    parent = parent_sid()
    call_sid()
    status = request.form.get("CallStatus", "")[:16]
    _note(parent, {"secretary_status": status})
    if status in TERMINAL_STATUSES:
        record = _record(parent)
        if record.get("screening", "") in UNDECIDED + CONNECTED and not _caller_gone(record):
            if record.get("screening", "") in UNDECIDED:
                _note(parent, {"screening": "no_answer" if status != "completed" else "voicemail"})
            # Once connected the caller has usually left with the conference already, and the move
            # fails harmlessly; it matters when the press secretary hung up before joining.
            _release_caller(parent)
    return xml(twiml.empty())


@bp.post("/screen/done")
def screen_done() -> Response:
    """The caller's conference is over, or we moved the caller here: follow the press secretary's choice."""
    sid = call_sid()
    line = current_line(line_number())
    outcome = _record(sid).get("screening", "")
    if outcome in UNDECIDED:
        outcome = "voicemail"  # no answer, busy, or the whisper leg hung up without a key
    return xml(twiml.after_screening(outcome, line, step_url))


def release_press_secretary(svc: Services, caller: str) -> None:
    """The caller's call has ended (its status callback): stop ringing the press secretary, or tell a
    press secretary still on the whisper or in the conference, who may then report with 9."""
    record = svc.calls.get(caller) or {}
    leg = record.get("secretary_sid")
    if (not leg or record.get("caller_left") == "1" or record.get("screening") not in ("ringing",) + CONNECTED
            or record.get("secretary_status") in TERMINAL_STATUSES):
        return
    svc.calls.set_fields(caller, {"caller_left": "1"})
    if record.get("secretary_status") == "in-progress":
        svc.bridge.redirect(leg, absolute_step_url("screen_left", call=caller))
    else:
        svc.bridge.hang_up(leg)


@bp.post("/voicemail/done")
def voicemail_done() -> Response:
    """A voicemail was left: thank the caller and tell the line (never with the recording itself)."""
    sid = call_sid()
    number = line_number()
    duration = request.form.get("RecordingDuration", "")[:8]
    _note(sid, {"voicemail": "left", "voicemail_duration": duration})
    try:
        alerts.enqueue_alert(services().alerts, alerts.VOICEMAIL, sid, number, duration=duration)
        metrics.ALERTS_ENQUEUED.labels(alerts.VOICEMAIL).inc()
    except UNREACHABLE:
        log.error("voicemail_alert_unqueued sid=%s", sid)
    return xml(twiml.goodbye("thanks", _languages(number)))


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
