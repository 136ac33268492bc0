"""A volunteer's own account: language, password, second factor."""
from __future__ import annotations

import io
from dataclasses import replace

import pyotp
import segno
from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from screener.services import services
from screener.store.users import AccountError, Role
from screener.web.account_errors import account_error
from screener.web.access import audit, current_user, enforce, needs_totp_enrolment, requires
from screener.web.forms import LanguageForm, PasswordForm, TotpForm

bp = Blueprint("account", __name__, url_prefix="/account")
bp.before_request(enforce)
ISSUER = "Screener"


@bp.get("/")
@requires(Role.VIEWER)
def index() -> str:
    user = current_user()
    language = LanguageForm(locale=user.locale)
    return render_template("account.html", language=language, password=PasswordForm())


@bp.post("/language")
@requires(Role.VIEWER)
def language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        user = current_user()
        services().users.save(replace(user, locale=form.locale.data))
        audit("user.locale", user.name, user.locale, form.locale.data)
    return redirect(url_for("account.index"))


@bp.post("/password")
@requires(Role.VIEWER)
def password() -> Response | tuple[str, int]:
    form = PasswordForm()
    user = current_user()
    users = services().users
    if form.validate_on_submit():
        if users.authenticate(user.name, form.current.data) is None:
            form.current.errors.append(_("The current password is wrong."))
        else:
            try:
                users.set_password(user, form.new.data)
            except AccountError as exc:
                form.new.errors.append(account_error(exc))
            else:
                # Other browsers signed in with the old password are signed out.
                services().sessions.end_all(user.name)
                session["token"] = services().sessions.start(user.name, g_totp_ok())
                audit("user.password", user.name)
                flash(_("Your password is changed. Other sessions were signed out."), "info")
                return redirect(url_for("account.index"))
    return render_template("account.html", language=LanguageForm(locale=user.locale), password=form), 400


def g_totp_ok() -> bool:
    from flask import g

    return bool(g.web_session and g.web_session.totp_ok)


def _qr_svg(uri: str) -> Markup:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                    title="TOTP", dark="#0b1f33", light="#ffffff")
    # segno's SVG is built from a URI we made (base32 secret, our names): no user-controlled markup.
    return Markup(out.getvalue().decode())


@bp.route("/code", methods=["GET", "POST"])
@requires(Role.VIEWER)
def totp_setup() -> Response | str:
    user = current_user()
    if user.has_totp:
        # Replacing a second factor needs an admin (a stolen session must not be able to swap it).
        return render_template("totp_setup.html", enabled=True, required=False)
    form = TotpForm()
    secret = session.get("totp_setup") or pyotp.random_base32()
    session["totp_setup"] = secret
    if form.validate_on_submit():
        if services().users.verify_totp(user, form.code.data, secret=secret):
            services().users.save(replace(user, totp_secret=secret))
            session.pop("totp_setup", None)
            # A session stolen before the second factor was on must not outlive it.
            services().sessions.end_all(user.name)
            session["token"] = services().sessions.start(user.name, totp_ok=True)
            audit("user.totp_enable", user.name)
            flash(_("Two-step sign-in is on. You will need a code from your app each time you sign in."), "info")
            return redirect(url_for("account.index"))
        form.code.errors.append(_("That code is not right. Check your phone's clock and try the newest code."))
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.name, issuer_name=ISSUER)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("totp_setup.html", form=form, secret=grouped, qr=_qr_svg(uri),
                           required=needs_totp_enrolment(user), enabled=False)
