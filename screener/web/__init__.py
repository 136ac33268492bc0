"""The volunteers' web page: blueprints, CSRF, sign-in rate limits, translations, security headers."""
from __future__ import annotations

import ipaddress
from typing import Callable

from flask import Flask, Response, current_app, g, request, session
from werkzeug.exceptions import HTTPException

from screener.web import filters, history, number_errors, reader_time

from screener.store.users import LOCALES, dummy_hash
from screener.services import services
from screener.store.connection import FULL
from screener.web.config import limiter_storage_uri
from screener.web.cookies import SessionCookie
from screener.web.extensions import babel, csrf, limiter

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Endpoints that take a file upload larger than the app-wide request limit.
UPLOAD_ENDPOINTS = {"lists.import_upload"}


def select_locale() -> str:
    user = g.get("user")
    if user is not None:
        return user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or "en"


def init_app(app: Flask) -> None:
    """Register the web page on an app built by create_app()."""
    from screener.services import Services
    from screener.web import account, admin, alerts, audit, auth, calls, dashboard, evidence, lists, reports, reviews
    from screener.web.access import can, current_user

    svc: Services = app.extensions["screener"]
    web_settings = svc.web
    dummy_hash()  # made now, so that the first sign-in with an unknown name takes no longer than others
    # Flask sets a 31-day default, so setdefault would keep it: a signed cookie is refused once older than
    # the longest session. The cookie itself is not permanent (auth._start): it ends with the browser.
    app.config["PERMANENT_SESSION_LIFETIME"] = web_settings.session_max_seconds
    app.session_interface = SessionCookie()
    app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage_uri(svc.settings))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", svc.keys.limiter_prefix())
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/web/translations"))
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", web_settings.session_max_seconds)

    if web_settings.page_networks:
        app.before_request(_only_from(web_settings.page_networks))

    @app.before_request
    def allow_uploads() -> None:
        # Before anything reads the form: only the import view accepts a large body.
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = web_settings.upload_max_bytes
            request.max_form_memory_size = web_settings.upload_max_bytes

    # CSRF is checked by the web blueprints themselves (access.enforce): webhooks and the API are
    # authenticated by signatures and tokens, not by a browser's cookies.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=reader_time.reader_timezone)
    for module in (auth, account, dashboard, lists, calls, reviews, admin, audit, alerts, evidence, reports):
        app.register_blueprint(module.bp)
    from screener.web import feed
    app.register_blueprint(feed.bp)  # partners' bearer tokens, not the volunteers' sign-in
    app.jinja_env.globals.update(can=can, current_user=current_user, locales=LOCALES)
    app.jinja_env.filters.update(isotime=filters.isotime, shorttime=filters.shorttime, duration=filters.duration,
                                 pretty=filters.pretty, localtime=reader_time.local_time,
                                 audit_value=filters.audit_value, audit_sentence=history.sentence,
                                 rejected_reason=number_errors.rejected_reason)
    app.context_processor(navigation)
    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, error_page)
    app.register_error_handler(FULL, store_full_page)
    app.after_request(security_headers)


WEB_BLUEPRINTS = {"auth", "account", "dashboard", "lists", "calls", "reviews", "admin", "audit", "alerts", "evidence",
                  "reports"}


def navigation() -> dict[str, object]:
    from flask_babel import get_locale

    
    section = request.blueprint or ""
    if section == "admin":
        section = "users" if (request.endpoint or "").startswith("admin.user") else \
            "jobs" if (request.endpoint or "").startswith("admin.failed_job") else "lines"
    user = g.get("user")
    return {
        "nav_section": section,
        "nav_open_reviews": services().reviews.open_count() if user is not None else 0,
        "current_locale": str(get_locale() or "en"),
    }


# Reachable from anywhere whatever SCREENER_PAGE_NETWORKS says: the load balancer and Prometheus.
# (/voice/* never reaches this app: Twilio's webhooks are served before it.)
OPEN_ENDPOINTS = {"health.healthz", "health.readyz", "health.metrics_page", "feed.file", "feed.index"}  # feed: partners, by token


def _only_from(networks: tuple) -> Callable[[], Response | None]:
    """A before_request hook: the volunteers' pages answer a bare 404 to a client outside `networks`, as if
    they were not there (an adversary scanning the public edge learns nothing, not even our error page)."""
    def check() -> Response | None:
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        try:
            client = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            client = None
        if client is None or not any(client in network for network in networks):
            return Response("Not Found\n", status=404, mimetype="text/plain")
        return None

    return check


def error_page(error: HTTPException) -> Response | HTTPException:
    """Web pages get a page in the product's style; webhooks and APIs keep their plain answers."""
    if request.blueprint not in WEB_BLUEPRINTS:
        return error
    from flask import render_template
    from flask_babel import gettext as _

    if "user" not in g:
        from screener.web.access import load_user

        load_user()
    titles = {400: _("The request could not be read"), 403: _("You may not do this"), 404: _("Not found"),
              405: _("Not allowed"), 413: _("The file is too large"), 429: _("Too many attempts")}
    messages = {400: _("Reload the page and try again. If you waited long, your session may have expired."),
                403: _("Your role does not allow this. Ask an admin if you need it."),
                404: _("This page or entry does not exist (any more)."), 405: _("This address does not take that request."),
                413: _("Upload a smaller file, or split it into parts."),
                429: _("Wait a few minutes before trying again.")}
    code = error.code or 500
    body = render_template("error.html", code=code, title=titles.get(code, error.name),
                           message=messages.get(code, error.description))
    return Response(body, status=code, mimetype="text/html")


def store_full_page(error: Exception) -> Response:
    """Redis is at its memory limit and refuses writes (a session, a sign-in count, any change): a clear 503,
    not a 500. Reads still work, so the page is rendered without signing anyone in."""
    from flask import render_template
    from flask_babel import gettext as _

    message = _("The service's database is full and refuses changes, so it cannot sign anyone in or save "
                "anything now. Calls are still screened and blocklisted callers still rejected. "
                "Tell an admin; try again later.")
    if request.blueprint not in WEB_BLUEPRINTS:
        return Response(message + "\n", status=503, mimetype="text/plain", headers={"Retry-After": "60"})
    g.setdefault("user", None)
    body = render_template("error.html", code=503, title=_("The service cannot save changes now"), message=message)
    return Response(body, status=503, mimetype="text/html", headers={"Retry-After": "60"})


def security_headers(response: Response) -> Response:
    """Headers a bank's admin panel sends: no framing, no sniffing, no referrer, only our own code."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if request.scheme == "https" or current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if g.get("user") is not None and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response
