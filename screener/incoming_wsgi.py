"""POST /voice/incoming as a plain WSGI callable in front of the Flask apps.

Every ringing phone makes this one request, so it skips Flask's request context, routing and form
machinery: the body is parsed once, and that parse serves both the signature check and the fields. The
checks and answers are those of the other /voice/* steps (screener/webhook.py): 405, 415, 413, 403 (a
bad or missing signature, counted in metrics), 400 (a malformed CallSid); the decision is
screener/policy.py's; a call is answered with screening TwiML when Redis is down or the code fails.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Callable, Iterable
from urllib.parse import unquote, urlencode

from twilio.request_validator import RequestValidator
from werkzeug.exceptions import (BadRequest, Forbidden, HTTPException, MethodNotAllowed, RequestEntityTooLarge,
                                 UnsupportedMediaType)
from werkzeug import urls as _werkzeug_urls  # noqa: F401 - registers the werkzeug.url_quote error handler
from werkzeug.wrappers import Request

from screener import alerts, metrics, policy, twiml
from screener.answer_cache import AnswerCache
from screener.model import Action, Decision, Line
from screener.numbers import Caller, CallerKind, mask, normalise
from screener.services import Services
from screener.signature import SignatureError, site_url, verify_params
from screener.store.call_path import Campaign, CallFacts, Outcome, StaleLines
from screener.store.connection import UNREACHABLE
from screener.webhook import CALL_SID, STEP_PATHS

PATH = "/voice/incoming"
FORM = "application/x-www-form-urlencoded"
XML = "text/xml; charset=utf-8"
log = logging.getLogger("screener.voice")
_CALL_LINE = "call sid=%s line=%s caller=%s action=%s rule=%s entry=%s"
_NO_CAMPAIGN = Campaign(window_seconds=0)  # calls to an unconfigured number count towards no campaign

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


class Form(dict):
    """A urlencoded body: name -> every value sent under it (the signature covers them all)."""

    @classmethod
    def parse(cls, body: bytes) -> "Form":
        """As werkzeug parses a form (urllib's parse_qsl, blank values kept, undecodable %-escapes kept
        quoted, an undecodable body empty), without its cost for the many pieces that need no unquoting."""
        form = cls()
        try:
            text = body.decode()
        except UnicodeDecodeError:
            return form
        for pair in text.split("&"):
            if not pair:
                continue
            name, _, value = pair.partition("=")
            if "%" in name or "+" in name:
                name = _unquote(name)
            if "%" in value or "+" in value:
                value = _unquote(value)
            form.setdefault(name, []).append(value)
        return form

    def getall(self, name: str) -> list[str]:
        """Every value of a name (what twilio's RequestValidator reads)."""
        return self[name]

    def first(self, name: str) -> str:
        values = self.get(name)
        return values[0] if values else ""


def _unquote(text: str) -> str:
    """A form value decoded; the phone numbers in every call's form (%2B and digits) without urllib."""
    if text.startswith("%2B") and "%" not in text[3:] and "+" not in text:
        return "+" + text[3:]
    return unquote(text.replace("+", " "), errors="werkzeug.url_quote")


def step_urls(public_url: str | None) -> twiml.StepUrl:
    """The URL of a dialogue step, absolute under SCREENER_PUBLIC_URL when configured (as webhook.step_url)."""
    base = public_url or ""

    def step(name: str, **query: str) -> str:
        return base + STEP_PATHS[name] + (f"?{urlencode(query)}" if query else "")

    return step


class IncomingCalls:
    """WSGI middleware: answers /voice/incoming itself and hands every other request to `app`."""

    def __init__(self, app: WsgiApp, svc: Services, validator: RequestValidator, max_body: int) -> None:
        self.app = app
        self.svc = svc
        self.validator = validator
        self.max_body = max_body
        self.public_url = svc.settings.public_url
        self.answers = AnswerCache(step_urls(self.public_url))
        settings = svc.settings
        self._campaign = Campaign(settings.campaign_window, settings.campaign_lines, settings.campaign_calls)
        self._sites: dict[tuple, str] = {}

    def __call__(self, env: dict, start_response: Callable) -> Iterable[bytes]:
        if env.get("PATH_INFO") != PATH:
            return self.app(env, start_response)
        try:
            form = self._signed_form(env)
            sid = form.first("CallSid")
            if not CALL_SID.fullmatch(sid):
                raise BadRequest("CallSid missing or malformed")
        except HTTPException as exc:
            return _send(start_response, exc.code or 400, f"{exc.code} {exc.name}: {exc.description}\n",
                         "text/plain; charset=utf-8", exc.get_headers())
        except Exception as exc:  # not yet known to be Twilio's: refuse, without a ringing call's fallback
            log.warning("webhook_unreadable path=%s error=%s", PATH, type(exc).__name__)
            return _send(start_response, 400, "400 Bad Request: unreadable request\n", "text/plain; charset=utf-8")
        to = form.first("To")
        number = to if len(to) <= 32 else ""
        try:
            document = self.answer_call(sid, number, form.first("From"), form.first("StirVerstat")[:64] or None)
        except Exception:  # a bug must not drop a ringing call: answer with screening TwiML, log loudly
            log.exception("webhook_error path=%s", PATH)
            decision = Decision(Action.SCREEN, rule="error", reason="internal error: screening", degraded=True)
            document = self.answers.answer(decision, self.svc.lookup.known_line(number), Caller(CallerKind.UNKNOWN))
        return _send(start_response, 200, document, XML)

    def _signed_form(self, env: dict) -> Form:
        """The form of a POST signed by Twilio for the URL it called, or the HTTP error to answer."""
        if env.get("REQUEST_METHOD") != "POST":
            raise MethodNotAllowed(valid_methods=["POST"])
        if env.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != FORM:
            raise UnsupportedMediaType()
        signature = env.get("HTTP_X_TWILIO_SIGNATURE", "")
        try:
            if not signature:
                raise SignatureError("missing X-Twilio-Signature")
            form = Form.parse(self._body(env))
            query = env.get("QUERY_STRING", "")
            url = self._site(env) + PATH + (f"?{query}" if query else "")
            verify_params(self.validator, url, form, signature)
        except SignatureError as exc:
            metrics.SIGNATURE_FAILURES.inc()
            log.warning("signature_rejected path=%s reason=%r", PATH, str(exc))
            raise Forbidden() from None
        return form

    def _body(self, env: dict) -> bytes:
        """The request body, at most max_body bytes (else 413), read as werkzeug would."""
        stream = env["wsgi.input"]
        try:
            length: int | None = max(0, int(env.get("CONTENT_LENGTH") or ""))
        except ValueError:
            length = None
        if length is not None:
            if length > self.max_body:
                raise RequestEntityTooLarge()
            return stream.read(length)
        if not env.get("wsgi.input_terminated"):
            return b""  # no length and a stream the server does not end: read nothing (werkzeug's rule)
        body = stream.read(self.max_body + 1)
        if len(body) > self.max_body:
            raise RequestEntityTooLarge()
        return body

    def _site(self, env: dict) -> str:
        """signature.site_url for this request, worked out once per host and scheme."""
        key = (env.get("wsgi.url_scheme"), env.get("HTTP_HOST"), env.get("SERVER_NAME"),
               env.get("SERVER_PORT"), env.get("SCRIPT_NAME"))
        site = self._sites.get(key)
        if site is None:
            site = site_url(Request(env), self.public_url)
            if len(self._sites) >= 64:  # the Host header is the client's: keep the table small
                self._sites.clear()
            self._sites[key] = site
        return site

    def answer_call(self, sid: str, number: str, raw_from: str, verstat: str | None) -> str:
        """Decide, log the call (one round trip), alert when due, answer: whatever state the store is in."""
        svc = self.svc
        try:
            for _ in range(3):  # a line change between our cache and the round trip: refresh, decide again
                version, line = svc.lookup.current(number)
                caller = normalise(raw_from, line.country if line else None)
                try:
                    outcome = svc.call_path.decide_and_log(_facts(svc, sid, number, line, caller),
                                                           policy.candidates(caller, line, verstat, _now()),
                                                           version, self._campaign if line else _NO_CAMPAIGN)
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
            return self.answers.answer(decision, known, caller)
        decision = outcome.decision
        metrics.CALLS.labels(decision.action.value, decision.rule).inc()
        _log_call(sid, number, mask(caller.e164) if caller.e164 else caller.kind.value, decision)
        if outcome.logged:
            _enqueue_alerts(svc, sid, number, outcome)
        return self.answers.answer(decision, line, caller)


def _send(start_response: Callable, code: int, text: str, content_type: str,
          headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    body = text.encode()
    extra = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
    start_response(f"{code} {HTTPStatus(code).phrase}",
                   [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra])
    return [body]


def _log_call(sid: str, number: str, caller: str, decision: Decision) -> None:
    """One log line per call decision, at DEBUG: the call log in Redis is the record of every call, and
    expires with the line's retention period, which a system log (journald) would not. Made without
    Logger's search of the stack for the calling file and line, which no log format of ours shows."""
    if log.isEnabledFor(logging.DEBUG):
        log.handle(log.makeRecord(log.name, logging.DEBUG, __file__, 0, _CALL_LINE,
                                  (sid, number, caller, decision.action.value, decision.rule, decision.entry or "-"),
                                  None, "answer_call"))


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
