"""The review queue: curators accept a reported caller onto the blocklist, or reject the report."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from screener import lists, reporting
from screener.evidence_rules import CATEGORIES as CATEGORY_CODES
from screener.numbers import InvalidNumber, parse_number
from screener.services import services
from screener.store.proposals import Proposal
from screener.store.reviews import ReviewError
from screener.store.users import Role
from screener.web.access import actor, audit, enforce, requires
from screener.web.forms import CATEGORIES, ConfirmForm, DecisionForm, RejectForm, clean_text

RELEASE_AT_ONCE = 200  # numbers a click counts as a partner's evidence (about 1 ms each); more: `screener peer release`

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
bp.before_request(enforce)


@bp.get("/")
@requires(Role.VIEWER)
def index() -> str:
    queue = services().reviews
    open_reports = queue.open_reports()
    # Read now, not when the report was made: a call's recording is archived after the call has ended.
    recordings = {r.call_sid: services().recordings.for_call(r.call_sid) for r in open_reports if r.call_sid}
    held = [(p.name, count, services().peers.held_since(p.name)) for p in services().peers.all()
            if (count := services().peers.held_count(p.name))]
    return render_template("reviews.html", open_reports=open_reports, closed=queue.closed_reports(20),
                           accept_form=DecisionForm(), reject_form=RejectForm(), categories=CATEGORIES,
                           lines=services().lines.all(), recordings=recordings, held=held,
                           release_at_once=RELEASE_AT_ONCE)


@bp.post("/held/<name>/release")
@requires(Role.CURATOR)
def release_held(name: str) -> Response:
    """Count the next RELEASE_AT_ONCE numbers held over a partner's weekly quota as its evidence."""
    from screener.federation import partners

    if not ConfirmForm().validate_on_submit():
        flash(_("The decision could not be saved; check the form."), "error")
        return redirect(url_for("reviews.index"))
    try:
        counts = partners.release(services(), actor(), name, RELEASE_AT_ONCE)
    except partners.PeerError:
        abort(404)
    released = counts.added + counts.already + counts.vetoed + counts.invalid + counts.proposed
    flash(ngettext("%(num)d number of the partner %(peer)s now counts as its evidence; %(blocked)d of them block.",
                   "%(num)d numbers of the partner %(peer)s now count as its evidence; %(blocked)d of them block.",
                   released, peer=name, blocked=counts.blocked), "info")
    return redirect(url_for("reviews.index"))


@bp.post("/held/<name>/discard")
@requires(Role.CURATOR)
def discard_held(name: str) -> Response:
    """Drop every number held over a partner's weekly quota."""
    from screener.federation import partners

    if not ConfirmForm().validate_on_submit():
        flash(_("The decision could not be saved; check the form."), "error")
        return redirect(url_for("reviews.index"))
    try:
        dropped = partners.discard(services(), actor(), name)
    except partners.PeerError:
        abort(404)
    flash(ngettext("%(num)d held number of the partner %(peer)s was discarded.",
                   "%(num)d held numbers of the partner %(peer)s were discarded.", dropped, peer=name), "info")
    return redirect(url_for("reviews.index"))


def _open_report(review_id: str):
    report = services().reviews.get(review_id) if review_id.isdigit() else None
    if report is None:
        abort(404)
    return report


@bp.post("/<review_id>/accept")
@requires(Role.CURATOR)
def accept(review_id: str) -> Response:
    report = _open_report(review_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The decision could not be saved; check the form."), "error")
        return redirect(url_for("reviews.index"))
    svc = services()
    if not report.caller_hash:
        return _keep_as_evidence(report, clean_text(form.note.data))
    number = svc.vault.decrypt(report.number_encrypted) if report.number_encrypted else None
    try:
        number = parse_number(number or "")
    except InvalidNumber:
        flash(_("The reported number cannot be read any more; reject the report instead."), "error")
        return redirect(url_for("reviews.index"))
    try:
        decided = services().reviews.decide(review_id, accepted=True, by=actor(), note=clean_text(form.note.data))
    except ReviewError:
        flash(_("This report was decided already."), "error")
        return redirect(url_for("reviews.index"))
    evidence = f"report #{report.id} by {report.reported_by} on call {report.call_sid}"
    if decided.decision_note:
        evidence += f"; reviewer: {decided.decision_note}"
    details = lists.Details(category=clean_text(form.category.data) or "intimidation", reason=report.note,
                            evidence=evidence, source="report")
    audit("review.accept", f"review:{report.id}", report.public(), decided.public())
    try:
        added = lists.add_or_propose(svc, actor(), number, details)
    except lists.AlreadyListed:
        flash(_("%(number)s was on the blocklist already.", number=number), "info")
    except lists.AlreadyProposed:  # by another report or curator: it waits all the same
        flash(_("%(entry)s waits for a second curator to confirm it.", entry=number), "info")
    else:
        if isinstance(added, Proposal):
            flash(_("%(entry)s waits for a second curator to confirm it.", entry=number), "info")
        else:
            flash(_("%(number)s is on the blocklist.", number=number), "info")
    _count_accepted(svc, report, number)
    return redirect(url_for("reviews.index"))


def _count_accepted(svc, report, number: str) -> None:
    """An accepted report counts as evidence: the reporter's report (a phone report counted already) and the
    curator's confirmation, so that it travels to partners and supports ranges. Under the two-person rule an
    acceptance is only a proposal: the number then lands when a second curator confirms it, not by evidence."""
    if svc.proposals.get(number) is not None:
        return
    try:
        if report.reported_by.startswith("web:"):
            category = report.category if report.category in CATEGORY_CODES else "threat"
            reporting.file_report(svc, report.reported_by.partition(":")[2], number, category, report.note,
                                  line=report.line, call_sid=report.call_sid, actor=actor(), quota=False)
        reporting.confirm(svc, actor(), number, f"review #{report.id}")
    except reporting.NeverBlocked:
        flash(_("This number is on the never-block list: it takes no reports."), "info")


def _keep_as_evidence(report, note: str) -> Response:  # noqa: ANN001 - a Report
    """A report of a caller who sent no number: nothing to block; it is closed as accepted, and it and the
    call's recordings stay as evidence (the audit log and the evidence chain keep them)."""
    try:
        decided = services().reviews.decide(report.id, accepted=True, by=actor(), note=note)
    except ReviewError:
        flash(_("This report was decided already."), "error")
        return redirect(url_for("reviews.index"))
    audit("review.accept", f"review:{report.id}", report.public(), decided.public())
    flash(_("The report is closed and kept as evidence. Callers without a number cannot be blocked by number; "
            "the line can screen them."), "info")
    return redirect(url_for("reviews.index"))


@bp.post("/<review_id>/reject")
@requires(Role.CURATOR)
def reject(review_id: str) -> Response:
    report = _open_report(review_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("Say why the report is rejected."), "error")
        return redirect(url_for("reviews.index"))
    number = services().vault.decrypt(report.number_encrypted) if report.number_encrypted else None
    try:
        decided = services().reviews.decide(review_id, accepted=False, by=actor(), note=clean_text(form.note.data))
    except ReviewError:
        flash(_("This report was decided already."), "error")
        return redirect(url_for("reviews.index"))
    if number and report.call_sid:
        reporting.erase_call_reports(services(), actor(), number, report.call_sid)
    audit("review.reject", f"review:{report.id}", report.public(), decided.public())
    flash(_("The report is rejected; the caller's number was erased from it."), "info")
    return redirect(url_for("reviews.index"))
