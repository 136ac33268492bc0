"""Check Twilio's X-Twilio-Signature against the URL Twilio called."""
from __future__ import annotations

import hmac

from flask import Request
from twilio.request_validator import RequestValidator


class SignatureError(Exception):
    """The request is not signed by Twilio with our auth token for this URL."""


def called_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: SCREENER_PUBLIC_URL (else this request's scheme and host) + path + the query
    string exactly as sent (request.url would decode it, and Twilio signs it encoded)."""
    query = request.query_string.decode("latin-1")
    base = public_url + request.script_root if public_url else request.root_url.rstrip("/")
    return base + request.path + (f"?{query}" if query else "")


def verify(validator: RequestValidator, request: Request, public_url: str | None) -> None:
    """Raise SignatureError unless the form body carries a valid signature for the called URL."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        raise SignatureError("missing X-Twilio-Signature")
    url = called_url(request, public_url)
    # One HMAC for the URL as called: what Twilio sends nearly always. Only when that does not match
    # does the validator also try the URL with and without its default port (two more HMACs).
    if hmac.compare_digest(validator.compute_signature(url, request.form), signature):
        return
    if not validator.validate(url, request.form, signature):
        raise SignatureError("signature does not match")
