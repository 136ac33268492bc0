"""screener: call screening for people under threat."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

# Flask, the stores and Twilio's library are imported when an app is built, not with the package: every
# `screener` command imports this package, and most never build an app.
if TYPE_CHECKING:
    from flask import Flask

    from screener.config import Settings



def _flask(import_name: str, settings: Settings, test_config: Mapping[str, Any] | None, shared: dict) -> Flask:
    from flask import Flask

    from screener.voice.protocol import MAX_REQUEST_BYTES

    app = Flask(import_name, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # During a change of SCREENER_SECRET_KEY, cookies signed with the value before it stay valid.
        SECRET_KEY_FALLBACKS=[settings.secret_key_old] if settings.secret_key_old else [],
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_url and settings.public_url.startswith("https://")),
    )
    if test_config:
        app.config.update(test_config)
    app.extensions.update(shared)
    return app


def create_app(test_config: Mapping[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """Build the app: settings, shared services, blueprints. Nothing else happens here.

    Twilio's webhooks (/voice/*) are served by a small app of their own, mounted under /voice, so that
    none of the web page's per-request work (sessions, CSRF, rate limits, translations, page headers)
    runs while a phone rings; the first request of every call, /voice/incoming, is answered by a plain
    WSGI callable in front of both (screener/voice/wsgi.py, answering with voice/incoming.py). All share one Services (one Redis pool)
    and one validator.
    """
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.middleware.proxy_fix import ProxyFix

    from screener.config import configure_logging, load_settings, require_secrets
    from screener.services import Services
    from screener.voice.protocol import MAX_REQUEST_BYTES, TwilioSignatures

    settings = settings or load_settings()
    require_secrets(settings)
    configure_logging(settings)
    shared = {"screener": Services.build(settings),
              "screener.validator": TwilioSignatures(settings.twilio_auth_token, settings.twilio_auth_token_old)}

    from screener import health, web
    from screener.voice import callbacks, screening
    from screener.voice.incoming import IncomingCalls
    from screener.voice.outage import Outage
    from screener.voice.wsgi import IncomingCallMiddleware

    shared["screener.outage"] = Outage.for_process(shared["screener"])  # started by screener/wsgi.py
    calls = _flask("screener.voice", settings, test_config, shared)
    calls.secret_key = None  # webhooks carry no cookies: without a key Flask opens no session per call
    calls.register_blueprint(callbacks.bp, url_prefix="")
    calls.register_blueprint(screening.bp, url_prefix="")

    app = _flask(__name__, settings, test_config, shared)
    app.register_blueprint(health.bp)
    web.init_app(app)  # the volunteers' pages
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/voice": calls.wsgi_app})  # type: ignore[method-assign]
    app.wsgi_app = IncomingCallMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, IncomingCalls(shared["screener"], shared["screener.outage"]), shared["screener.validator"], MAX_REQUEST_BYTES)
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)  # type: ignore[method-assign]
    app.extensions["screener.calls_app"] = calls
    return app
