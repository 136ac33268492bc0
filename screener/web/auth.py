"""Sign in (password, then the second factor when set up) and sign out."""
from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from screener.services import services
from screener.store.users import LOCALES, SignInThrottle, User
from screener.web.extensions import limiter
from screener.web.access import current_user, enforce, public
from screener.web.forms import LoginForm, TotpForm

bp = Blueprint("auth", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")
bp.before_request(enforce)
log = logging.getLogger("screener.web.auth")
PENDING_SECONDS = 300


# Failed sign-ins (a wrong password or a wrong code) counted per account *and* client address, with
# growing waits: after 5 failures within a minute the next try waits up to a minute, after 10 within 15
# minutes up to 15 minutes, after 20 within a day up to a day. Failures from one address never slow the
# same account from another address, so nobody can keep somebody else out; `screener user
# reset-password` clears them.
FAILURE_LIMITS = "5 per minute; 10 per 15 minutes; 20 per day"
# Every sign-in attempt from one address, whichever account it names (a password sprayer).
ADDRESS_LIMITS = "20 per minute; 100 per hour"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _client_network() -> str:
    """Every sign-in attempt from one address (an IPv6 client: its /64)."""
    return "signin-from:" + SignInThrottle.network(request.remote_addr or "-")


def _password_try_key() -> str:
    """The account named in the form (existing or not) and the client's address."""
    return SignInThrottle.identity((request.form.get("username") or "").strip().lower()[:40],
                                   request.remote_addr or "-")


def _code_try_key() -> str:
    """The account whose password was right and the client's address: code failures count alike."""
    pending = session.get("pending") or {}
    return SignInThrottle.identity(str(pending.get("name", "")), request.remote_addr or "-")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL an attacker chose."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc \
            and "\\" not in target:
        return target
    return url_for("dashboard.index")


def _start(user: User, totp_ok: bool) -> Response:
    next_path = session.get("next")
    session.clear()
    session["token"] = services().sessions.start(user.name, totp_ok)
    log.info("signed_in user=%s role=%s totp=%s", user.name, user.role.value, totp_ok)
    return redirect(_safe_next(next_path))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMITS, key_func=_client_network, methods=["POST"])
@limiter.shared_limit(FAILURE_LIMITS, scope=SignInThrottle.SCOPE, key_func=_password_try_key, methods=["POST"],
                      deduct_when=_failed)
@public
def login() -> Response | str:
    if current_user() is not None:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if request.args.get("lang") in LOCALES:
        session["locale"] = request.args["lang"]
    if request.method == "GET" and request.args.get("next"):
        session["next"] = request.args["next"]
    if form.validate_on_submit():
        users = services().users
        name = form.username.data.strip().lower()
        user = users.authenticate(name, form.password.data)
        if user is None:
            log.warning("sign_in_failed name=%s address=%s", name[:40], request.remote_addr)
            flash(_("Wrong user name or password."), "error")
            return render_template("login.html", form=form), 401
        if user.has_totp:
            next_path = session.get("next")
            session.clear()
            session["pending"] = {"name": user.name, "at": int(time.time())}
            session["next"] = next_path
            return redirect(url_for("auth.login_totp"))
        return _start(user, totp_ok=False)
    return render_template("login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("20 per minute", key_func=_client_network, methods=["POST"])
@limiter.shared_limit(FAILURE_LIMITS, scope=SignInThrottle.SCOPE, key_func=_code_try_key, methods=["POST"],
                      deduct_when=_failed)
@public
def login_totp() -> Response | str:
    pending = session.get("pending")
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        session.pop("pending", None)
        return redirect(url_for("auth.login"))
    users = services().users
    user = users.get(pending["name"])
    form = TotpForm()
    if user is None or user.disabled:
        session.clear()
        return redirect(url_for("auth.login"))
    if form.validate_on_submit():
        if users.verify_totp(user, form.code.data):
            return _start(user, totp_ok=True)
        log.warning("totp_failed user=%s address=%s", user.name, request.remote_addr)
        flash(_("That code is not right. Check your phone's clock and try the newest code."), "error")
        return render_template("login_totp.html", form=form), 401
    return render_template("login_totp.html", form=form)


@bp.post("/logout")
@public
def logout() -> Response:
    token = session.get("token")
    if token:
        services().sessions.end(token)
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
