"""What every /voice/* request shares: the signature check, SID parsing, step URLs, XML answers."""
from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from flask import Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException

from screener import metrics, twiml
from screener.model import Action, Decision, Line
from screener.numbers import Caller, CallerKind
from screener.services import services
from screener.signature import SignatureError, verify
from screener.store.connection import UNREACHABLE

log = logging.getLogger("screener.voice")

CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
STEP_PATHS = {
    "recording": "/voice/recording",
    "blocked_recorded": "/voice/blocked/recorded",
    "screen_name": "/voice/screen/name",
    "screen_silent": "/voice/screen/silent",
    "screen_done": "/voice/screen/done",
    "screen_whisper": "/voice/screen/whisper",
    "screen_choice": "/voice/screen/choice",
    "forward": "/voice/forward",
    "screen_announce": "/voice/screen/announce",
    "screen_leg": "/voice/screen/leg",
    "screen_conference": "/voice/screen/conference",
    "screen_ended": "/voice/screen/ended",
    "screen_left": "/voice/screen/left",
    "voicemail_done": "/voice/voicemail/done",
    "voicemail_transcription": "/voice/voicemail/transcription",
}


def xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/xml")


def step_url(name: str, **query: str) -> str:
    """The URL of a dialogue step, absolute under SCREENER_PUBLIC_URL when configured."""
    return _url(services().settings.public_url or "", name, query)


def absolute_step_url(name: str, **query: str) -> str:
    """A step's full URL, for Twilio's REST API (which needs one): under SCREENER_PUBLIC_URL, else under
    the scheme and host this request was signed for (so Twilio called us there)."""
    return _url(services().settings.public_url or request.host_url.rstrip("/"), name, query)


def _url(base: str, name: str, query: dict[str, str]) -> str:
    return base + STEP_PATHS[name] + (f"?{urlencode(query)}" if query else "")


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


def call_sid() -> str:
    """The request's CallSid, or 400."""
    sid = request.form.get("CallSid", "")
    if not CALL_SID.fullmatch(sid):
        abort(400, description="CallSid missing or malformed")
    return sid


def parent_sid() -> str:
    """The caller's CallSid a whisper-leg step names in its URL, or 400."""
    sid = request.args.get("call", "")
    if not CALL_SID.fullmatch(sid):
        abort(400, description="call missing or malformed")
    return sid


def line_number() -> str:
    to = request.form.get("To", "")
    return to if len(to) <= 32 else ""


def current_line(number: str) -> Line | None:
    """The line's settings from Redis, else the last ones this process saw."""
    svc = services()
    try:
        return svc.lines.get(number) or svc.lookup.known_line(number)
    except UNREACHABLE:
        return svc.lookup.known_line(number)


def error_answer(exc: Exception) -> Response:
    """A bug must not drop a ringing call: answer with screening TwiML and log loudly."""
    if isinstance(exc, HTTPException):
        return Response(f"{exc.code} {exc.name}: {exc.description}\n", status=exc.code, mimetype="text/plain")
    log.exception("webhook_error path=%s", request.path)
    line = services().lookup.known_line(line_number())
    decision = Decision(Action.SCREEN, rule="error", reason="internal error: screening", degraded=True)
    return xml(twiml.answer(decision, line, Caller(CallerKind.UNKNOWN), step_url))
