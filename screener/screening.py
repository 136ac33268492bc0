"""Blueprint /voice/screen/* and /voice/voicemail/*: the screening dialogue.

The caller records a name; the press secretary's phone rings with a whisper that plays it and offers
1 accept, 2 voicemail, 9 block and report (no key counts as voicemail); the caller's side then
follows that choice. Every step is signature-checked like the rest of /voice.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from screener import alerts, metrics, twiml
from screener.services import services
from screener.store.connection import UNREACHABLE
from screener.webhook import (RECORDING_SID, call_sid, check_signature, current_line, error_answer, line_number, log,
                              parent_sid, step_url, xml)

bp = Blueprint("screening", __name__, url_prefix="/voice")
bp.before_request(check_signature)
bp.register_error_handler(Exception, error_answer)

OUTCOMES = {"1": "accepted", "2": "voicemail", "9": "reported"}


def _note(sid: str, fields: dict[str, str]) -> None:
    """Add facts to the call's record; with Redis down the call goes on and the log says what was lost."""
    try:
        services().calls.set_fields(sid, fields)
    except UNREACHABLE:
        metrics.STORE_UNREACHABLE.inc()
        log.error("call_note_unwritten sid=%s fields=%s", sid, ",".join(sorted(fields)))


@bp.post("/screen/name")
def screen_name() -> Response:
    """The caller has stated a name: ring the press secretary with a whisper first."""
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
    _note(sid, {"screening": "ringing"})
    whisper = step_url("screen_whisper", call=sid, line=line.number if line else "", rec=recording_url)
    return xml(twiml.dial_with_whisper(line, whisper, step_url("screen_done")))


@bp.post("/screen/silent")
def screen_silent() -> Response:
    """The caller stayed silent or hung up while asked for a name."""
    sid = call_sid()
    _note(sid, {"screening": "no_name"})
    line = current_line(line_number())
    return xml(twiml.goodbye("no_name", line.languages if line else ("en-US",)))


@bp.post("/screen/whisper")
def screen_whisper() -> Response:
    """Played to the press secretary on answering: the caller's name, then the choices."""
    parent = parent_sid()
    recording_url = request.args.get("rec", "")
    if not recording_url.startswith("https://"):
        recording_url = ""
    line = current_line(request.args.get("line", "")[:32])
    languages = line.languages if line else ("en-US",)
    return xml(twiml.whisper(recording_url, languages, step_url("screen_choice", call=parent),
                             step_url("screen_choice", call=parent, nokey="1")))


@bp.post("/screen/choice")
def screen_choice() -> Response:
    """The press secretary's key: 1 connects; 2 or no key sends the caller to voicemail; 9 reports."""
    parent = parent_sid()
    digit = "" if request.args.get("nokey") else request.form.get("Digits", "")
    outcome = OUTCOMES.get(digit, "voicemail" if not digit else "declined")
    _note(parent, {"screening": outcome})
    if outcome == "reported":
        try:
            alerts.enqueue_report(services().alerts, parent, "phone", "reported by the press secretary (key 9)")
            metrics.ALERTS_ENQUEUED.labels(alerts.REPORT).inc()
        except UNREACHABLE:
            log.error("report_unqueued sid=%s", parent)
    return xml(twiml.whisper_choice(outcome == "accepted"))


@bp.post("/screen/done")
def screen_done() -> Response:
    """The whisper dial ended: the caller's side follows the press secretary's choice."""
    sid = call_sid()
    line = current_line(line_number())
    try:
        record = services().calls.get(sid) or {}
    except UNREACHABLE:
        record = {}
    outcome = record.get("screening", "")
    if outcome == "accepted" and request.form.get("DialCallStatus") != "completed":
        outcome = "voicemail"  # accepted, but the bridge failed: do not lose the caller
    if outcome in ("ringing", ""):
        outcome = "voicemail"  # no answer, busy, or the whisper leg hung up without a key
    return xml(twiml.after_screening(outcome, line, step_url))


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
    line = current_line(number)
    return xml(twiml.goodbye("thanks", line.languages if line else ("en-US",)))


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
