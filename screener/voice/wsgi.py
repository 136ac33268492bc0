"""POST /voice/incoming as a plain WSGI callable in front of the Flask apps: parse, check, hand over.

Every ringing phone makes this one request, so it skips Flask's request context, routing and form
machinery: the body is parsed once, and that parse serves both the signature check and the fields. The
checks are protocol.py's, as on every other /voice/* step: 405, 415, 413, 403 (a bad or missing
signature, counted in metrics), 400 (a malformed CallSid). What the call gets is incoming.py's answer.
"""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Callable, Iterable
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug import urls as _werkzeug_urls  # noqa: F401 - registers the werkzeug.url_quote error handler
from werkzeug.wrappers import Request

from screener.voice import protocol
from screener.voice.incoming import IncomingCalls

PATH = "/voice/incoming"
XML = "text/xml; charset=utf-8"
log = logging.getLogger("screener.voice")

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


class IncomingCallMiddleware:
    """WSGI middleware: answers /voice/incoming itself and hands every other request to `app`."""

    def __init__(self, app: WsgiApp, calls: IncomingCalls, validator: protocol.TwilioSignatures, max_body: int) -> None:
        self.app = app
        self.calls = calls
        self.validator = validator
        self.max_body = max_body
        self.public_url = calls.svc.settings.public_url
        self._sites: dict[tuple, str] = {}

    def __call__(self, env: dict, start_response: Callable) -> Iterable[bytes]:
        if env.get("PATH_INFO") != PATH:
            return self.app(env, start_response)
        try:
            form = self._signed_form(env)
            sid = protocol.require_sid(form.first("CallSid"))
        except HTTPException as exc:
            return _send(start_response, exc.code or 400, f"{exc.code} {exc.name}: {exc.description}\n",
                         "text/plain; charset=utf-8", exc.get_headers())
        except Exception as exc:  # not yet known to be Twilio's: refuse, without a ringing call's fallback
            log.warning("webhook_unreadable path=%s error=%s", PATH, type(exc).__name__)
            return _send(start_response, 400, "400 Bad Request: unreadable request\n", "text/plain; charset=utf-8")
        to = form.first("To")
        number = to if len(to) <= 32 else ""
        document = self.calls.answer(sid, number, form.first("From"), form.first("StirVerstat")[:64] or None)
        return _send(start_response, 200, document, XML)

    def _signed_form(self, env: dict) -> Form:
        """The form of a POST signed by Twilio for the URL it called, or the HTTP error to answer."""
        protocol.check_method_and_type(env.get("REQUEST_METHOD"), env.get("CONTENT_TYPE"))
        signature = env.get("HTTP_X_TWILIO_SIGNATURE", "")
        if not signature:  # refuse before reading the body
            protocol.check_signature(self.validator, "", {}, signature, PATH)
        form = Form.parse(self._body(env))
        query = env.get("QUERY_STRING", "")
        url = self._site(env) + PATH + (f"?{query}" if query else "")
        protocol.check_signature(self.validator, url, form, signature, PATH)
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
        """protocol.site_url for this request, worked out once per host and scheme."""
        key = (env.get("wsgi.url_scheme"), env.get("HTTP_HOST"), env.get("SERVER_NAME"),
               env.get("SERVER_PORT"), env.get("SCRIPT_NAME"))
        site = self._sites.get(key)
        if site is None:
            site = protocol.site_url(Request(env), self.public_url)
            if len(self._sites) >= 64:  # the Host header is the client's: keep the table small
                self._sites.clear()
            self._sites[key] = site
        return site


def _send(start_response: Callable, code: int, text: str, content_type: str,
          headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    body = text.encode()
    extra = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
    start_response(f"{code} {HTTPStatus(code).phrase}",
                   [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra])
    return [body]
