"""The session cookie: `Secure` whenever the request came over https, and gone when the browser closes."""
from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, with `Secure` decided per request rather than once from the configuration.

    Behind nginx with SCREENER_TRUST_PROXY=1 the scheme comes from X-Forwarded-Proto, so a deployment that
    has not set SCREENER_PUBLIC_URL still never sends the cookie in clear after an https sign-in.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)
