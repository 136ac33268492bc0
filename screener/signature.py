"""Check Twilio's X-Twilio-Signature against the URL Twilio called."""
from __future__ import annotations

import hmac
from typing import Any

from flask import Request
from twilio.request_validator import RequestValidator


class SignatureError(Exception):
    """The request is not signed by Twilio with our auth token for this URL."""


def site_url(request: Request, public_url: str | None) -> str:
    """Where the app is reached, without a trailing slash: SCREENER_PUBLIC_URL (else this request's scheme
    and host) + the script root."""
    return public_url + request.script_root if public_url else request.root_url.rstrip("/")


def called_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: the site URL + path + the query string exactly as sent (request.url would
    decode it, and Twilio signs it encoded)."""
    query = request.query_string.decode("latin-1")
    return site_url(request, public_url) + request.path + (f"?{query}" if query else "")


def verify(validator: RequestValidator, request: Request, public_url: str | None) -> None:
    """Raise SignatureError unless the form body carries a valid signature for the called URL."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        raise SignatureError("missing X-Twilio-Signature")
    verify_params(validator, called_url(request, public_url), request.form, signature)


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
