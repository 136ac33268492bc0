"""Admin pages: accounts, lines with their allowlists (allowlists are curated by curators), failed jobs."""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from screener import accounts, changes, failed_jobs, lists, twilio_numbers
from screener.lines import FieldError, InvalidLine, LineExists, LineInput, LinePending
from screener.lines import build as build_line
from screener.lines import save_or_propose as save_or_propose_line
from screener.model import Line
from screener.numbers import InvalidNumber
from screener.voice.prompts import VOICES
from screener.web.number_errors import number_error
from screener.web.account_errors import account_error
from screener.services import services
from screener.store.pending import PendingChange
from screener.store.users import AccountError, Role, new_password
from screener.web.access import actor, audit, current_user, enforce, requires
from screener.web.forms import (POLICY_CLASSES, AllowForm, ConfirmForm, LineForm, UserEditForm, UserForm, clean_text,
                                policy_field_name, voice_field_name)

bp = Blueprint("admin", __name__)
bp.before_request(enforce)


# --- users ----------------------------------------------------------------------------------------


@bp.route("/users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users() -> Response | str:
    form = UserForm()
    issued = None
    if form.validate_on_submit():
        password = new_password()
        try:
            user = accounts.add_or_propose(services(), actor(), form.name.data, Role(form.role.data), password)
        except AccountError as exc:
            form.name.errors.append(account_error(exc))
        else:
            if isinstance(user, PendingChange):
                flash(_("%(name)s waits for a second admin: the one-time password is shown to the admin who "
                        "confirms.", name=user.target), "info")
                return redirect(url_for("admin.users"))
            issued = (user.name, password)
            form = UserForm(formdata=None)
    return _users_page(form, issued), 400 if form.errors else 200


def _users_page(form: UserForm, issued: tuple[str, str] | None) -> str:
    return render_template("users.html", users=services().users.all(), form=form, issued=issued,
                           confirm=ConfirmForm(),
                           pending=services().pending.all("user.add") + services().pending.all("user.promote"),
                           pending_role="admin", confirm_endpoint="admin.confirm_admin")


@bp.post("/users/pending/<change_id>/confirm")
@requires(Role.ADMIN)
def confirm_admin(change_id: str) -> Response | str:
    """The second admin confirms a new admin account and is shown its one-time password, once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        confirmed = changes.confirm(services(), actor(), change_id, admin=True)
    except changes.NoChange:
        abort(404)
    except changes.OwnChange:
        flash(_("Another admin must confirm the account you proposed."), "error")
        return redirect(url_for("admin.users"))
    except AccountError as exc:
        flash(account_error(exc), "error")
        return redirect(url_for("admin.users"))
    if confirmed.change.kind == "user.promote":
        flash(_("%(name)s is an admin now and was signed out everywhere.", name=confirmed.change.target), "info")
        return redirect(url_for("admin.users"))
    user, password = confirmed.result
    return _users_page(UserForm(formdata=None), (user.name, password))


def _user_or_404(name: str):
    user = services().users.get(name)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<name>", methods=["GET", "POST"])
@requires(Role.ADMIN)
def user_edit(name: str) -> Response | str:
    user = _user_or_404(name)
    form = UserEditForm(data={"role": user.role.value, "disabled": user.disabled})
    if form.validate_on_submit():
        if user.name == current_user().name:
            flash(_("You cannot change your own role or disable yourself; ask another admin."), "error")
            return redirect(url_for("admin.user_edit", name=name))
        changed = replace(user, role=Role(form.role.data), disabled=form.disabled.data)
        try:
            outcome = accounts.edit_or_propose(services(), actor(), user, changed)
        except accounts.AdminPending as exc:
            flash(account_error(exc), "error")
            return redirect(url_for("admin.users"))
        if isinstance(outcome, PendingChange):
            flash(_("Making %(name)s an admin waits for a second admin.", name=user.name), "info")
        elif changed != user:
            flash(_("%(name)s is updated and was signed out everywhere.", name=user.name), "info")
        return redirect(url_for("admin.users"))
    return render_template("user_edit.html", user=user, form=form, confirm=ConfirmForm(), issued=None)


@bp.post("/users/<name>/password")
@requires(Role.ADMIN)
def user_password(name: str) -> str:
    user = _user_or_404(name)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    password = new_password()
    services().users.set_password(user, password)
    services().sessions.end_all(user.name)
    services().sign_in_throttle.clear(user.name)
    audit("user.password_reset", user.name)
    form = UserEditForm(data={"role": user.role.value, "disabled": user.disabled})
    return render_template("user_edit.html", user=user, form=form, confirm=ConfirmForm(), issued=(user.name, password))


@bp.post("/users/<name>/code")
@requires(Role.ADMIN)
def user_totp_reset(name: str) -> Response:
    user = _user_or_404(name)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services().users.save(replace(user, totp_secret=""))
    services().sessions.end_all(user.name)
    audit("user.totp_reset", user.name, user.public(), replace(user, totp_secret="").public())
    flash(_("Two-step sign-in of %(name)s is off; they can set it up again.", name=user.name), "info")
    return redirect(url_for("admin.user_edit", name=name))


# --- lines ----------------------------------------------------------------------------------------


def _line_or_404(digits: str) -> Line:
    line = services().lines.get("+" + digits) if digits.isdigit() else None
    if line is None:
        abort(404)
    return line


@bp.get("/lines")
@requires(Role.VIEWER)
def lines() -> str:
    svc = services()
    all_lines = sorted(svc.lines.all().values(), key=lambda item: item.label or item.number)
    allow_counts = {line.number: len(svc.lines.allowlist(line.number)) for line in all_lines}
    return render_template("lines.html", lines=all_lines, allow_counts=allow_counts,
                           pending=svc.pending.all("line.save"), pending_role="admin")


def _line_form_data(line: Line) -> dict:
    data = {"number": line.number, "label": line.label, "country": line.country, "forward_to": line.forward_to,
            "recording": line.recording, "block_mode": line.block_mode.value, "block_message": line.block_message,
            "retention_days": line.retention_days, "alert_sms": "\n".join(line.alert_sms),
            "alert_email": "\n".join(line.alert_email), "alert_webhook": line.alert_webhook,
            "languages": list(line.languages), "screen_unverified": line.screen_unverified,
            "stir_verified": line.stir_verified, "stir_missing_unverified": line.stir_missing_unverified,
            "transcribe": line.transcribe, "timezone": line.timezone, "quiet_hours": line.quiet_hours,
            "star_on_forward": line.star_on_forward}
    for caller_class in POLICY_CLASSES:
        data[policy_field_name(caller_class)] = line.action_for(caller_class).value
    for language, name in line.voices:
        data[voice_field_name(language)] = name
    return data


def _lines_of(text: str | None) -> tuple[str, ...]:
    """The non-empty lines of a text area, one item each."""
    return tuple(item for item in (text or "").splitlines() if item.strip())


def _line_input(form: LineForm) -> LineInput:
    return LineInput(
        number=form.number.data or "", forward_to=form.forward_to.data or "", country=form.country.data or "",
        alert_sms=_lines_of(form.alert_sms.data), alert_email=_lines_of(form.alert_email.data),
        alert_webhook=form.alert_webhook.data or "", label=clean_text(form.label.data),
        languages=tuple(form.languages.data or ()), block_mode=form.block_mode.data or "",
        block_message=clean_text(form.block_message.data), recording=form.recording.data,
        screen_unverified=form.screen_unverified.data, stir_verified=form.stir_verified.data or "AB",
        stir_missing_unverified=form.stir_missing_unverified.data, transcribe=form.transcribe.data,
        star_on_forward=form.star_on_forward.data, retention_days=form.retention_days.data,
        timezone=form.timezone.data or "", quiet_hours=form.quiet_hours.data or "",
        policy={c: form[policy_field_name(c)].data for c in POLICY_CLASSES},
        voices={language: form[voice_field_name(language)].data or "" for language in VOICES},
    )


def _line_error_message(error: FieldError) -> str:
    """A refused setting as the page says it, in the reader's language where we can."""
    if isinstance(error.cause, InvalidNumber):
        message = number_error(error.cause)
        return f"{error.text.strip()[:40]}: {message}" if error.field == "alert_sms" else message
    if error.field == "alert_email":
        return _("%(text)s is not an e-mail address.", text=error.text.strip()[:60])
    if error.field == "timezone":
        return _("Not a time zone such as Europe/Vilnius.")
    if error.field == "quiet_hours":
        return _("Write quiet hours as 22:00-07:00.")
    if error.field == "transcribe":
        return _("Twilio transcribes voicemail in American English only: turn transcription off, or let this "
                 "line speak en-US alone.")
    return error.message


def _voice_fields(form: LineForm) -> list:
    return [form[voice_field_name(language)] for language in VOICES]


def _show_line_errors(form: LineForm, errors: tuple[FieldError, ...]) -> None:
    """Put each refused setting under its field, unless the form's own checks refused that field already."""
    for error in errors:
        if error.field == "policy":
            form.errors_extra = error.message  # type: ignore[attr-defined]
        elif error.field == "voices":
            form[voice_field_name(error.text.partition("=")[0])].errors.append(error.message)
        elif error.field in form and not form[error.field].errors:
            form[error.field].errors.append(_line_error_message(error))


def _save_line_form(form: LineForm, existing: Line | None) -> Response | None:
    if not form.is_submitted():
        return None
    checked = form.validate()
    try:
        line = build_line(_line_input(form), existing)
    except InvalidLine as exc:
        _show_line_errors(form, exc.errors)
        return None
    if not checked:
        return None
    try:
        saved = save_or_propose_line(services(), actor(), line, new=existing is None)
    except LineExists:
        form.number.errors.append(_("This line exists already."))
        return None
    except LinePending:
        flash(_("A change to line %(number)s already waits for a second admin.", number=line.number), "error")
        return redirect(url_for("admin.lines"))
    if isinstance(saved, PendingChange):
        flash(_("Line %(number)s keeps its forward-to number and policy until a second admin confirms the "
                "change.", number=line.number), "info")
        return redirect(url_for("admin.lines"))
    flash(_("Line %(number)s is saved.", number=line.number), "info")
    return redirect(url_for("admin.lines"))


@bp.route("/lines/new", methods=["GET", "POST"])
@requires(Role.ADMIN)
def line_new() -> Response | tuple[str, int]:
    template = Line("+10000000000", "+10000000000", "US")
    form = LineForm(data={k: v for k, v in _line_form_data(template).items() if k not in {"number", "forward_to"}})
    saved = _save_line_form(form, None)
    if saved is not None:
        return saved
    status = 400 if request.method == "POST" else 200
    return render_template("line_form.html", form=form, line=None, classes=POLICY_CLASSES, voice_fields=_voice_fields(form),
                           field_name=policy_field_name, policy_error=getattr(form, "errors_extra", None)), status


@bp.route("/lines/<digits>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def line_edit(digits: str) -> Response | tuple[str, int]:
    line = _line_or_404(digits)
    form = LineForm(data=_line_form_data(line))
    if request.method == "POST":
        form.number.data = line.number  # the Twilio number is the line's identity: not editable
    saved = _save_line_form(form, line)
    if saved is not None:
        return saved
    status = 400 if request.method == "POST" else 200
    return render_template("line_form.html", form=form, line=line, classes=POLICY_CLASSES, voice_fields=_voice_fields(form),
                           field_name=policy_field_name, policy_error=getattr(form, "errors_extra", None),
                           twilio=_twilio_check(line.number)), status


def _twilio_check(number: str) -> dict:
    """What `screener twilio check` says of the line's number, waiting for Twilio a few seconds at most:
    {"state": ok | differs | unreachable | unset, "differing": [Setting], "reason": text}."""
    try:
        found = twilio_numbers.check(services().settings, number, twilio_numbers.PAGE_TIMEOUT_SECONDS)
    except twilio_numbers.NotConfigurable as exc:
        return {"state": "unset", "differing": [], "reason": str(exc)}
    except (twilio_numbers.NumberNotFound, twilio_numbers.TwilioUnavailable) as exc:
        return {"state": "unreachable", "differing": [], "reason": str(exc)}
    differing = [item for item in found if not item.matches]
    return {"state": "differs" if differing else "ok", "differing": differing, "reason": ""}


@bp.get("/lines/<digits>/allowlist")
@requires(Role.VIEWER)
def allowlist(digits: str) -> str:
    return _allowlist_page(_line_or_404(digits), AllowForm())


def _allowlist_page(line: Line, form: AllowForm) -> str:
    members = sorted(services().lines.allowlist(line.number))
    pending = [c for c in services().pending.all("allowlist.add") if c.target.startswith(line.number + ":")]
    return render_template("allowlist.html", line=line, members=members, form=form, confirm=ConfirmForm(),
                           pending=pending)


@bp.post("/lines/<digits>/allowlist")
@requires(Role.CURATOR)
def allowlist_add(digits: str) -> Response | tuple[str, int]:
    line = _line_or_404(digits)
    form = AllowForm()
    if form.validate_on_submit():
        try:
            caller = lists.allow_or_propose(services(), actor(), line.number, form.number.data)
        except InvalidNumber as exc:
            form.number.errors.append(number_error(exc))
        except lists.UnknownLine:
            abort(404)
        except lists.AlreadyAllowed as exc:
            flash(_("%(number)s was trusted on this line already.", number=exc.subject), "info")
            return redirect(url_for("admin.allowlist", digits=digits))
        except lists.AlreadyPending as exc:
            flash(_("Trusting %(number)s already waits for a second person.", number=exc.subject), "info")
            return redirect(url_for("admin.allowlist", digits=digits))
        else:
            if isinstance(caller, PendingChange):
                flash(_("%(number)s is not trusted until a second person confirms it.", number=caller.after), "info")
                return redirect(url_for("admin.allowlist", digits=digits))
            flash(_("%(number)s is trusted on this line.", number=caller), "info")
            return redirect(url_for("admin.allowlist", digits=digits))
    return _allowlist_page(line, form), 400


@bp.post("/lines/<digits>/allowlist/remove")
@requires(Role.CURATOR)
def allowlist_remove(digits: str) -> Response:
    line = _line_or_404(digits)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    caller = request.form.get("number", "")
    try:
        lists.disallow(services(), actor(), line.number, caller)
    except lists.NotAllowed:
        pass  # removed already (by another curator, or a second click): the page shows the list as it is
    else:
        flash(_("%(number)s is no longer trusted on this line.", number=caller), "info")
    return redirect(url_for("admin.allowlist", digits=digits))


# --- failed jobs ----------------------------------------------------------------------------------


@bp.get("/jobs")
@requires(Role.ADMIN)
def failed_jobs_page() -> str:
    return render_template("failed_jobs.html", jobs=failed_jobs.failed(services().client), confirm=ConfirmForm())


@bp.post("/jobs/<job_id>/retry")
@requires(Role.ADMIN)
def failed_job_retry(job_id: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        queue = failed_jobs.retry(services().client, job_id)
    except failed_jobs.UnknownFailedJob:
        abort(404)
    audit("jobs.retry", job_id)
    flash(_("The job is back on the %(queue)s queue.", queue=queue), "info")
    return redirect(url_for("admin.failed_jobs_page"))


@bp.post("/jobs/retry-all")
@requires(Role.ADMIN)
def failed_jobs_retry_all() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    done = failed_jobs.retry_all(services().client)
    if done:
        audit("jobs.retry", ",".join(done))
    flash(_("%(n)d jobs are back on their queues.", n=len(done)), "info")
    return redirect(url_for("admin.failed_jobs_page"))
