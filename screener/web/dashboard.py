"""The dashboard: calls per day by decision, calls per hour on each line against the campaign threshold,
alert deliveries by outcome, the numbers blocked most, reports waiting for review."""
from __future__ import annotations

import time

from flask import Blueprint, render_template
from flask_babel import gettext as _

from screener.activity import DELIVERY_OUTCOMES, deliveries_by_outcome, hourly_calls
from screener.services import services
from screener.store.call_views import daily_counts, top_blocked
from screener.store.users import Role
from screener.web.access import enforce, requires

bp = Blueprint("dashboard", __name__)
bp.before_request(enforce)
DAYS = 14
HOURS = 24
ACTION_ORDER = ("block", "screen", "voicemail", "forward", "unknown")


def outcome_label(outcome: str) -> str:
    return {"sent": _("Sent"), "queued": _("Waiting to be sent"), "failed": _("Failed")}.get(outcome, outcome)


def channel_label(channel: str) -> str:
    return {"sms": _("SMS"), "email": _("E-mail"), "webhook": _("Webhook")}.get(channel, channel)


def hourly_chart(calls: list, now: float) -> dict[str, object]:
    """Calls per hour on each line, the campaign threshold beside them (JSON for the chart, rows for the table)."""
    svc = services()
    counted = hourly_calls(calls, HOURS, now)
    names = {number: line.label or number for number, line in svc.lines.all().items()}
    settings = svc.settings
    threshold = settings.campaign_calls if settings.campaign_window > 0 else 0
    return {"hours": [time.strftime("%H:00", time.gmtime(hour)) for hour in counted.hours],
            "days": [time.strftime("%Y-%m-%d", time.gmtime(hour)) for hour in counted.hours],
            "lines": [{"line": line, "label": names.get(line, line or _("Unknown")), "counts": counts}
                      for line, counts in counted.lines.items()],
            "threshold": threshold, "threshold_label": _("Campaign threshold"),
            "window_minutes": settings.campaign_window // 60,
            "busy": counted.busy_hours(threshold)}


def deliveries_chart(alerts: list[dict[str, str]]) -> dict[str, object]:
    """Alert deliveries per channel, one series per outcome."""
    counts = deliveries_by_outcome(alerts)
    return {"channels": [channel_label(channel) for channel in counts],
            "series": [{"outcome": outcome, "label": outcome_label(outcome),
                        "counts": [per_channel[outcome] for per_channel in counts.values()]}
                       for outcome in DELIVERY_OUTCOMES]}


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
        hourly=hourly_chart(calls, time.time()), deliveries=deliveries_chart(svc.alert_log.since(DAYS * 86400)),
    )
