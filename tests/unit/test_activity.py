"""The dashboard's chart counts: calls per hour on each line, alert deliveries by outcome."""
from __future__ import annotations

from screener.activity import HOUR, deliveries_by_outcome, delivery_outcome, hourly_calls
from screener.model import CallRecord

NOW = 1_764_500_000 // 3600 * 3600 + 1800  # half past an hour
THIS_HOUR = NOW // HOUR * HOUR


def call(line: str, seconds_ago: int) -> CallRecord:
    return CallRecord(line=line, at=NOW - seconds_ago, action="forward")


def test_calls_are_counted_per_line_in_whole_utc_hours_oldest_first():
    calls = [call("+1202", 0), call("+1202", 60), call("+1202", 2 * HOUR), call("+4420", 1799)]
    counted = hourly_calls(calls, hours=3, now=NOW)
    assert counted.hours == [THIS_HOUR - 2 * HOUR, THIS_HOUR - HOUR, THIS_HOUR]
    assert counted.lines == {"+1202": [1, 0, 2], "+4420": [0, 0, 1]}


def test_calls_before_the_first_hour_or_in_the_future_are_left_out():
    calls = [call("+1202", 3 * HOUR), call("+1202", -HOUR), call("+1202", 1801)]
    counted = hourly_calls(calls, hours=2, now=NOW)
    assert counted.lines == {"+1202": [1, 0]}


def test_a_line_reaching_the_campaign_threshold_in_an_hour_is_named_with_that_hour():
    calls = [call("+1202", s) for s in (0, 10, 20)] + [call("+4420", 0)]
    counted = hourly_calls(calls, hours=24, now=NOW)
    assert counted.busy_hours(3) == {"+1202": [THIS_HOUR]}
    assert counted.busy_hours(0) == {}  # campaign detection switched off


def test_deliveries_are_counted_by_channel_and_outcome():
    alerts = [
        {"kind": "blocked_call", "d:sms:+4915112345678": "sent", "d:email:a@example.org": "failed: SMTPError: 550"},
        {"kind": "report", "d:sms:+4915112345678": "queued", "d:webhook:https://hooks.example.org": "sent"},
        {"kind": "campaign", "d:sms:+4915112345679": "failed: TwilioRestException: 21211"},
    ]
    assert deliveries_by_outcome(alerts) == {
        "sms": {"sent": 1, "queued": 1, "failed": 1},
        "email": {"sent": 0, "queued": 0, "failed": 1},
        "webhook": {"sent": 1, "queued": 0, "failed": 0},
    }


def test_alerts_without_deliveries_count_nothing():
    assert deliveries_by_outcome([{"kind": "report", "text": "d:sms:+1 is not a field"}]) == {}


def test_an_unreadable_delivery_state_counts_as_failed():
    assert delivery_outcome("sent") == "sent"
    assert delivery_outcome("failed: HTTP 500: sent nothing") == "failed"
    assert delivery_outcome("garbled") == "failed"
