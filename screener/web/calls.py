"""The call log: newest first, filters, one caller's history, and "report this caller"."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from screener.model import Action, CallRecord
from screener.numbers import InvalidNumber, parse_number
from screener.web.number_errors import number_error
from screener.services import services
from screener.voice.protocol import CALL_SID
from screener.store.users import Role
from screener.web.access import actor, audit, enforce, requires
from screener.web.forms import ReportForm, clean_text

bp = Blueprint("calls", __name__, url_prefix="/calls")
bp.before_request(enforce)
PAGE_SIZE = 50
_HASH = re.compile(r"[0-9a-f]{32}")
_STREAM_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")


@bp.get("/")
@requires(Role.VIEWER)
def index() -> str:
    svc = services()
    lines = svc.lines.all()
    line = request.args.get("line", "")
    line = line if line in lines else ""
    action = request.args.get("decision", "")
    action = action if action in {a.value for a in Action} else ""
    number = request.args.get("number", "")[:64].strip()
    before = request.args.get("before", "")
    before = before if _STREAM_ID.fullmatch(before) else ""
    error = None
    calls, next_before, scanned_out = [], None, False
    if number:
        try:
            e164 = parse_number(number, lines[line].country if line else None)
        except InvalidNumber as exc:
            error = _("Not a number we can search for: %(why)s", why=number_error(exc))
        else:
            calls = [c for c in services().call_browser.by_caller(svc.vault.link_hashes(e164))
                     if (not line or c.line == line) and (not action or c.action == action)]
    else:
        page = services().call_browser.page(before, line, action, PAGE_SIZE)
        calls, next_before, scanned_out = page.calls, page.next_before, page.scanned_out
    return render_template("calls.html", calls=calls, lines=lines, line=line, decision=action, number=number,
                           error=error, next_before=next_before, scanned_out=scanned_out,
                           actions=[a.value for a in Action], first_page=not before)


@bp.get("/caller/<caller_hash>")
@requires(Role.VIEWER)
def history(caller_hash: str) -> str:
    if not _HASH.fullmatch(caller_hash):
        abort(404)
    calls = services().call_browser.by_caller(caller_hash)
    if not calls:
        abort(404)
    report = services().reviews.open_for_caller(caller_hash)
    return render_template("caller.html", calls=calls, caller_hash=caller_hash, report=report,
                           lines=services().lines.all())


def _number_of(call: CallRecord) -> str | None:
    """The caller's full number: kept for blocked callers, else encrypted until the line's retention ends."""
    if call.caller:
        return call.caller
    token = services().calls.encrypted_number(call.sid)
    return services().vault.decrypt(token) if token else None


@bp.route("/<sid>/report", methods=["GET", "POST"])
@requires(Role.CURATOR)
def report(sid: str) -> Response | str:
    if not CALL_SID.fullmatch(sid):
        abort(404)
    svc = services()
    call = svc.calls.record(sid)
    if call is None:
        abort(404)
    form = ReportForm()
    problem = None
    if not call.caller_hash:
        problem = _("This caller sent no number, so there is nothing to put on the blocklist.")
    elif services().reviews.open_for_caller(call.caller_hash):
        problem = _("This caller is reported already and waits for review.")
    if problem is None and form.validate_on_submit():
        number = _number_of(call)
        if number is None:
            problem = _("The number of this call is no longer kept (the line's retention period has passed).")
        else:
            opened = services().reviews.open(
                number_encrypted=svc.vault.encrypt(number), number_masked=call.caller_masked,
                caller_hash=call.caller_hash, call_sid=sid, line=call.line,
                note=clean_text(form.note.data), reported_by=actor())
            audit("review.open", f"review:{opened.id}", None, opened.public())
            flash(_("Thank you. The caller is in the review queue."), "info")
            return redirect(url_for("calls.history", caller_hash=call.caller_hash))
    status = 400 if (problem or form.errors) and request.method == "POST" else 200
    return render_template("report.html", call=call, form=form, problem=problem), status
