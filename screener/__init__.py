"""screener: call screening for people under threat."""
from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.middleware.proxy_fix import ProxyFix

from screener.config import Settings, load_settings, require_secrets
from screener.services import Services

MAX_REQUEST_BYTES = 64 * 1024


def create_app(test_config: Mapping[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """Build the web app: settings, shared services, blueprints. Nothing else happens here."""
    app = Flask(__name__, instance_relative_config=False)
    settings = settings or load_settings()
    require_secrets(settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_REQUEST_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_url and settings.public_url.startswith("https://")),
    )
    if test_config:
        app.config.update(test_config)
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)  # type: ignore[method-assign]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    app.extensions["screener"] = Services.build(settings)
    app.extensions["screener.validator"] = RequestValidator(settings.twilio_auth_token)

    from screener import health, screening, voice

    app.register_blueprint(voice.bp)
    app.register_blueprint(screening.bp)
    app.register_blueprint(health.bp)
    from screener import web

    web.init_app(app)  # the volunteers' pages
    return app
