"""What the Flask /voice/* steps share: protocol.py's gate applied to flask.request, this request's SIDs
and line, step URLs under this app's settings, and the answer when a step fails."""
from __future__ import annotations

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from screener.model import Line
from screener.numbers import Caller, CallerKind
from screener.services import services
from screener.store.connection import UNREACHABLE
from screener.voice import protocol, twiml
from screener.voice.protocol import log


def xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/xml")


def step_url(name: str, **query: str) -> str:
    """The URL of a dialogue step, absolute under SCREENER_PUBLIC_URL when configured."""
    return protocol.step_url(services().settings.public_url or "", name, **query)


def absolute_step_url(name: str, **query: str) -> str:
    """A step's full URL, for Twilio's REST API (which needs one): under SCREENER_PUBLIC_URL, else under
    the scheme and host this request was signed for (so Twilio called us there)."""
    return protocol.step_url(services().settings.public_url or request.host_url.rstrip("/"), name, **query)


def check_request() -> None:
    """Every Flask /voice/* step (a before_request hook): the gate of protocol.py, or 4xx."""
    protocol.check_method_and_type(request.method, request.mimetype)
    validator: protocol.TwilioSignatures = current_app.extensions["screener.validator"]
    url = protocol.called_url(request, services().settings.public_url)
    signature = request.headers.get("X-Twilio-Signature", "")
    # Without a signature, refuse before reading the body (as wsgi.py does).
    protocol.check_signature(validator, url, request.form if signature else {}, signature, request.path)


def call_sid() -> str:
    """The request's CallSid, or 400."""
    return protocol.require_sid(request.form.get("CallSid", ""))


def parent_sid() -> str:
    """The caller's CallSid a whisper-leg step names in its URL, or 400."""
    return protocol.require_sid(request.args.get("call", ""), "call")


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
        return Response(f"{exc.code} {exc.name}: {exc.description}\n", status=exc.code, mimetype="text/plain",
                        headers=[(k, v) for k, v in exc.get_headers() if k.lower() == "allow"])
    log.exception("webhook_error path=%s", request.path)
    line = services().lookup.known_line(line_number())
    return xml(twiml.answer(protocol.fallback_decision(), line, Caller(CallerKind.UNKNOWN), step_url))
