"""The alerts page: what was sent to whom, deliveries that failed, and retrying them."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _, ngettext
from rq import Queue
from rq.registry import FailedJobRegistry

from screener.jobs import CAMPAIGN, REDIS_MEMORY, REPORT
from screener.services import ALERT_QUEUE, services
from screener.store.users import Role
from screener.web.access import audit, enforce, requires
from screener.web.forms import ConfirmForm

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
bp.before_request(enforce)
SHOWN = 100
CURATOR_KINDS = (REPORT, CAMPAIGN, REDIS_MEMORY)  # alerts for the curators, not for a line's recipients


def _failed() -> FailedJobRegistry:
    return FailedJobRegistry(queue=Queue(ALERT_QUEUE, connection=services().client))


@bp.get("/")
@requires(Role.CURATOR)
def index() -> str:
    svc = services()
    alerts = svc.alert_log.recent(SHOWN)
    for alert in alerts:
        alert["deliveries"] = sorted((k[2:].partition(":")[0], k[2:].partition(":")[2], v)
                                     for k, v in alert.items() if k.startswith("d:"))
    registry = _failed()
    failed = [job for job in (registry.get_queue().fetch_job(i) for i in registry.get_job_ids()) if job]
    contacts = svc.alert_log.curators()
    return render_template("alerts.html", alerts=alerts, failed=failed, confirm=ConfirmForm(),
                           no_curators=not (contacts.sms or contacts.email or contacts.webhook),
                           curator_kinds=CURATOR_KINDS)


@bp.post("/retry/<job_id>")
@requires(Role.CURATOR)
def retry(job_id: str) -> Response:
    registry = _failed()
    if job_id not in registry.get_job_ids():
        abort(404)
    registry.requeue(job_id)
    audit("alerts.retry", job_id)
    flash(_("The alert is queued again."), "info")
    return redirect(url_for("alerts.index"))


@bp.post("/retry-all")
@requires(Role.CURATOR)
def retry_all() -> Response:
    registry = _failed()
    ids = registry.get_job_ids()
    for job_id in ids:
        registry.requeue(job_id)
    if ids:
        audit("alerts.retry", ",".join(ids))
    flash(ngettext("%(num)d alert is queued again.", "%(num)d alerts are queued again.", len(ids)), "info")
    return redirect(url_for("alerts.index"))
