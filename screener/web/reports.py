"""Reports on the web page: file one, see why a number is in its state (its evidence), confirm it or report a
false positive, revert a volunteer or partner, and the never-block list."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from screener import never_block, reporting
from screener.numbers import InvalidNumber
from screener.services import services
from screener.store.users import Role
from screener.web.access import actor, current_user, enforce, requires
from screener.web.forms import clean_text
from screener.web.report_forms import EvidenceNoteForm, NeverBlockForm, NumberReportForm, RevertForm
from screener.web.number_errors import number_error

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.before_request(enforce)


def category_names() -> dict[str, str]:
    """The report categories in the reader's language."""
    return {"threat": _("Threat"), "friendly_approach": _("\"Friendly\" approach"), "silent_call": _("Silent call"),
            "family_pressure": _("Pressure on family"), "impersonation": _("Impersonation")}


def _number(digits: str) -> str:
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        abort(404)
    return "+" + digits


@bp.route("/", methods=["GET", "POST"])
@requires(Role.VIEWER)
def new() -> Response | str:
    """Report a number by hand (a call that did not come through the service, say)."""
    form = NumberReportForm()
    form.category.choices = list(category_names().items())
    if form.validate_on_submit():
        try:
            filed = reporting.file_report(services(), current_user().name, form.number.data, form.category.data,
                                          clean_text(form.note.data), region=form.region.data or None, actor=actor())
        except InvalidNumber as exc:
            form.number.errors.append(number_error(exc))
        except reporting.NeverBlocked:
            form.number.errors.append(_("This number is on the never-block list: it takes no reports."))
        else:
            if filed.outcome == "review":
                flash(_("You reached today's limit of reports: this one waits in the review queue."), "info")
                return redirect(url_for("reviews.index"))
            flash(_("Thank you. Your report counts as evidence."), "info")
            return redirect(url_for("reports.number", digits=filed.number[1:]))
    return render_template("report_number.html", form=form), 400 if form.errors else 200


@bp.get("/<digits>")
@requires(Role.VIEWER)
def number(digits: str) -> str:
    """Why a number is in its state: reports, organisations, confirmations, false positives, ageing."""
    svc = services()
    e164 = _number(digits)
    return render_template("evidence_entry.html", number=e164, found=reporting.explanation(svc, e164),
                           votes=svc.votes.votes(e164)[::-1], entry=svc.blocklist.get(e164),
                           never=svc.never_block.get(e164), form=EvidenceNoteForm(), names=category_names())


@bp.post("/<digits>/confirm")
@requires(Role.CURATOR)
def confirm(digits: str) -> Response:
    return _vote(digits, reporting.confirm, _("Your confirmation counts as evidence."))


@bp.post("/<digits>/false-positive")
@requires(Role.CURATOR)
def false_positive(digits: str) -> Response:
    return _vote(digits, reporting.false_positive, _("The false-positive report is recorded."))


def _vote(digits: str, cast, message: str) -> Response:
    form = EvidenceNoteForm()
    if not form.validate_on_submit():
        flash(_("The form could not be saved; check it."), "error")
    else:
        cast(services(), actor(), _number(digits), clean_text(form.note.data))
        flash(message, "info")
    return redirect(url_for("reports.number", digits=digits))


@bp.route("/revert", methods=["GET", "POST"])
@requires(Role.ADMIN)
def revert() -> Response | str:
    """Stop counting everything one volunteer or partner reported, in one step (their votes are kept)."""
    form = RevertForm()
    if form.validate_on_submit():
        who = clean_text(form.who.data)
        numbers = reporting.revert(services(), actor(), who, clean_text(form.why.data))
        flash(_("Reverted the evidence of %(who)s on %(n)d numbers.", who=who, n=len(numbers)), "info")
        return redirect(url_for("reports.revert"))
    return render_template("evidence_revert.html", form=form), 400 if form.errors else 200


@bp.route("/never-block", methods=["GET", "POST"])
@requires(Role.VIEWER)
def never_block_list() -> Response | str:
    """The never-block list; curators add (under the two-person rule: propose) and remove."""
    svc = services()
    form = NeverBlockForm()
    if request.method == "POST":
        if current_user().role is Role.VIEWER:
            abort(403)
        if form.validate_on_submit():
            try:
                done = never_block.add_or_propose(svc, actor(), form.number.data, clean_text(form.why.data),
                                                  region=form.region.data or None)
            except InvalidNumber as exc:
                form.number.errors.append(number_error(exc))
            except never_block.NeverBlockError:
                form.number.errors.append(_("This number is on the list already, or waits for a second person."))
            else:
                if isinstance(done, str):
                    flash(_("%(number)s is on the never-block list.", number=done), "info")
                else:
                    flash(_("%(number)s waits for a second person to confirm it.", number=done.target), "info")
                return redirect(url_for("reports.never_block_list"))
    return render_template("never_block.html", form=form, members=sorted(svc.never_block.all().items()),
                           pending=svc.pending.all("neverblock.add")), 400 if form.errors else 200


@bp.post("/never-block/<digits>/remove")
@requires(Role.CURATOR)
def never_block_remove(digits: str) -> Response:
    form = EvidenceNoteForm()
    if form.validate_on_submit():
        try:
            never_block.remove(services(), actor(), _number(digits))
        except never_block.NeverBlockError:
            abort(404)
        flash(_("%(number)s is off the never-block list.", number="+" + digits), "info")
    return redirect(url_for("reports.never_block_list"))
