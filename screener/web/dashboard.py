"""The dashboard: calls per day by decision, the numbers blocked most, reports waiting for review."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from screener.services import services
from screener.store.call_views import daily_counts, top_blocked
from screener.store.users import Role
from screener.web.access import enforce, requires

bp = Blueprint("dashboard", __name__)
bp.before_request(enforce)
DAYS = 14
ACTION_ORDER = ("block", "screen", "voicemail", "forward", "unknown")


def action_label(action: str) -> str:
    return {"block": _("Blocked"), "screen": _("Screened"), "voicemail": _("Voicemail"),
            "forward": _("Forwarded")}.get(action, _("Unknown"))


@bp.get("/")
@requires(Role.VIEWER)
def index() -> str:
    svc = services()
    calls = svc.call_browser.since(DAYS * 86400)
    dates, series = daily_counts(calls, DAYS)
    reviews = services().reviews
    chart = {"dates": dates, "series": series}
    chart_series = [{"action": a, "label": action_label(a), "counts": series[a]} for a in ACTION_ORDER if a in series]
    return render_template(
        "dashboard.html", chart=chart, totals={a: sum(v) for a, v in series.items()}, calls_total=len(calls),
        top=top_blocked(calls), open_reviews=reviews.open_reports(5), open_count=reviews.open_count(),
        blocklist_count=svc.blocklist.count(), lines=svc.lines.all(), chart_series=chart_series,
    )
