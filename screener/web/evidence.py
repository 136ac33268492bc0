"""The evidence page: download a pack (calls, decrypted recordings, audit entries, checksums) for a
lawyer, the police or an NGO."""
from __future__ import annotations

import io
from datetime import datetime, timezone

from flask import Blueprint, Response, render_template, send_file
from flask_babel import gettext as _

from screener.evidence_pack import PackQuery, build
from screener.numbers import InvalidNumber, parse_number
from screener.web.number_errors import number_error
from screener.services import services
from screener.store.users import Role
from screener.web.access import audit, enforce, requires
from screener.web.forms import EvidenceForm

bp = Blueprint("evidence", __name__, url_prefix="/evidence")
bp.before_request(enforce)


def _form() -> EvidenceForm:
    return EvidenceForm()


def _when(field) -> datetime | None:  # noqa: ANN001 - a WTForms field
    if not field.data:
        return None
    try:
        value = datetime.fromisoformat(field.data.strip())
    except ValueError:
        field.errors.append(_("Use a date such as 2026-11-01 or a time such as 2026-11-01T18:00."))
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _query(form: EvidenceForm) -> PackQuery | None:
    number = None
    if form.number.data:
        try:
            number = parse_number(form.number.data, form.region.data or None)
        except InvalidNumber as exc:
            form.number.errors.append(number_error(exc))
    since, until = _when(form.since), _when(form.until)
    if form.errors or any(f.errors for f in (form.number, form.since, form.until)):
        return None
    if not (number or since or until):
        form.number.errors.append(_("Give a number, or dates, or both."))
        return None
    return PackQuery(number, since, until)


@bp.route("/", methods=["GET", "POST"])
@requires(Role.CURATOR)
def index() -> Response | tuple[str, int] | str:
    form = _form()
    if form.validate_on_submit():
        query = _query(form)
        if query is not None:
            svc = services()
            data, manifest = build(svc, svc.recording_files, query)
            audit("evidence.export", query.number or "time span", None, manifest["query"])
            name = f"evidence-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.zip"
            return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)
        return render_template("evidence.html", form=form), 400
    return render_template("evidence.html", form=form)
