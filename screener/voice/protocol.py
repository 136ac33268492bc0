"""What every /voice/* step shares, whatever serves it: the request gate (method, content type, size,
signature, CallSid), step URLs, the fallback decision when something fails, Twilio's SID patterns and
call statuses. No Flask and no Redis here: the Flask steps (steps.py) and the plain WSGI handler of
/voice/incoming (wsgi.py) both apply this gate, so the two paths cannot drift apart.
"""
from __future__ import annotations

import hmac
import logging
import re
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator
from werkzeug.exceptions import BadRequest, Forbidden, MethodNotAllowed, UnsupportedMediaType
from werkzeug.wrappers import Request

from screener import metrics
from screener.model import Action, Decision

log = logging.getLogger("screener.voice")

MAX_REQUEST_BYTES = 64 * 1024  # a Twilio callback is a few hundred bytes
FORM = "application/x-www-form-urlencoded"

CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
RECORDING_SID = re.compile(r"RE[0-9a-fA-F]{32}")
CALL_STATUSES = frozenset({"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed",
                           "no-answer", "canceled"})
TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})

STEP_PATHS = {
    # The number's own webhooks (its VoiceUrl and StatusCallback, set on the number, not in TwiML).
    "incoming": "/voice/incoming",
    "status": "/voice/status",
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


# Twilio's connection overrides, carried by every URL we hand to Twilio (TwiML attributes and REST
# parameters) as a URL fragment. Without them Twilio retries once, on a failed connect only: a 503
# (Redis unreachable) would be lost. rc=5 (the maximum): Twilio documents no pause between attempts, so
# quick 503s can only spread over more time by more attempts; the 15 s cap on call requests bounds them.
# rp=5xx,ct,rt: a 5xx, a failed connect, no answer in time (never 4xx: a refused signature stays refused).
# ct=2000: a healthy server accepts in well under 2 s. rt=6000: above the slowest step (/voice/screen/name
# waits up to 4 s on Twilio's REST API to ring the press secretary), so no step is retried while it
# still runs. Twilio leaves the fragment out of the signed URL, and no HTTP client sends it to us.
CONNECTION_OVERRIDES = "rc=5&rp=5xx,ct,rt&ct=2000&rt=6000"


class SignatureError(Exception):
    """The request is not signed by Twilio with our auth token for this URL."""


def step_url(base: str, name: str, **query: str) -> str:
    """The URL of a dialogue step under `base` ('' for a path only), for Twilio: with the connection
    overrides as its fragment, after the query."""
    return base + STEP_PATHS[name] + (f"?{urlencode(query)}" if query else "") + "#" + CONNECTION_OVERRIDES


def without_fragment(url: str) -> str:
    """The URL Twilio signs and requests: without the connection overrides."""
    return url.partition("#")[0]


def check_method_and_type(method: str | None, content_type: str | None) -> None:
    """A Twilio webhook is a form POST: 405 or 415 otherwise."""
    if method != "POST":
        raise MethodNotAllowed(valid_methods=["POST"])
    if (content_type or "").partition(";")[0].strip().lower() != FORM:
        raise UnsupportedMediaType()


class TwilioSignatures:
    """The auth tokens whose signatures a webhook may carry: the account's current one and, while it is
    being changed (TWILIO_AUTH_TOKEN_OLD), the one before it, so that no call is refused mid-rotation."""

    def __init__(self, token: str, old_token: str = "") -> None:
        self.validators = [RequestValidator(value) for value in (token, old_token) if value]

    def verify(self, url: str, params: Any, signature: str) -> None:
        """Raise SignatureError unless one of the tokens signs url + params."""
        error = SignatureError("no auth token configured")
        for validator in self.validators:
            try:
                verify_params(validator, url, params, signature)
                return
            except SignatureError as exc:
                error = exc
        raise error


def check_signature(signatures: TwilioSignatures, url: str, params: Any, signature: str, path: str) -> None:
    """403 (counted in metrics, logged) unless `signature` signs url + params."""
    try:
        signatures.verify(url, params, signature)
    except SignatureError as exc:
        metrics.SIGNATURE_FAILURES.inc()
        log.warning("signature_rejected path=%s reason=%r", path, str(exc))
        raise Forbidden() from None


def require_sid(value: str, what: str = "CallSid") -> str:
    """A well-formed CallSid, or 400."""
    if not CALL_SID.fullmatch(value):
        raise BadRequest(f"{what} missing or malformed")
    return value


def recording_sid_of(form: Any) -> str:
    """The RecordingSid a request names, or "". A <Record> action documents only RecordingUrl (its last
    path segment is the SID), a recording status callback also RecordingSid: take either. A malformed
    RecordingSid gets no second chance from the URL."""
    sid = form.get("RecordingSid", "")
    if sid:
        return sid if RECORDING_SID.fullmatch(sid) else ""
    last = form.get("RecordingUrl", "").rstrip("/").rsplit("/", 1)[-1]
    return last if RECORDING_SID.fullmatch(last) else ""


def fallback_decision() -> Decision:
    """What a ringing call gets when our own code fails: screening, never a dropped call."""
    return Decision(Action.SCREEN, rule="error", reason="internal error: screening", degraded=True)


def site_url(request: Request, public_url: str | None) -> str:
    """Where the app is reached, without a trailing slash: SCREENER_PUBLIC_URL (else this request's scheme
    and host) + the script root."""
    return public_url + request.script_root if public_url else request.root_url.rstrip("/")


def called_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: the site URL + path + the query string exactly as sent (request.url would
    decode it, and Twilio signs it encoded)."""
    query = request.query_string.decode("latin-1")
    return site_url(request, public_url) + request.path + (f"?{query}" if query else "")


def verify_params(validator: RequestValidator, url: str, params: Any, signature: str) -> None:
    """Raise SignatureError unless `signature` signs url + params (a mapping with getall(), as the
    validator reads it: every value of every name counts)."""
    if not signature:
        raise SignatureError("missing X-Twilio-Signature")
    if not signature.isascii():  # base64 never is otherwise; compare_digest would raise on it
        raise SignatureError("signature is not base64")
    # One HMAC for the URL as called: what Twilio sends nearly always. Only when that does not match
    # does the validator also try the URL with and without its default port (two more HMACs).
    if hmac.compare_digest(validator.compute_signature(url, params), signature):
        return
    if not validator.validate(url, params, signature):
        raise SignatureError("signature does not match")
