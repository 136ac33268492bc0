"""Campaign detection: one number (or prefix) calling several lines, or one line many times, in a window."""
import pytest

from screener.model import Line
from screener.store.blocklist import EntryMeta
from screener.store.reviews import Reviews
from tests.conftest import LINE

LINES = ["+12025550143", "+12025550144", "+12025550145"]
CURATOR = "+33612345678"


@pytest.fixture
def lines(svc, cli, monkeypatch):
    for number in LINES:
        svc.lines.save(Line(number, "+48601234567", "US", label=f"line {number[-2:]}"))
    cli("curators", "set", "--sms", CURATOR)


def campaign_sms(outbox):
    return [m for m in outbox.messages if "possible campaign" in m["body"]]


def test_one_number_calling_three_lines_is_a_campaign(twilio, svc, outbox, run_worker, lines):
    for number in LINES[:2]:
        twilio.call("+442079460123", to=number)
    run_worker()
    assert campaign_sms(outbox) == []
    twilio.call("+442079460123", to=LINES[2])
    run_worker()
    [sms] = campaign_sms(outbox)
    assert sms["to"] == CURATOR
    assert "+442079460123" not in sms["body"]  # not blocked: only the masked number leaves the system
    [review] = Reviews(svc.client, svc.keys).open_reports()
    assert review.reported_by == "campaign-detector" and review.line == LINES[2]


def test_many_calls_to_one_line_is_a_campaign_reported_once(twilio, svc, outbox, run_worker, lines):
    for _ in range(7):
        twilio.call("+442079460123", to=LINE)
    run_worker()
    assert len(campaign_sms(outbox)) == 1
    assert len(Reviews(svc.client, svc.keys).open_reports()) == 1


def test_a_blocked_prefix_is_tracked_as_one_caller(twilio, svc, outbox, run_worker, lines):
    svc.blocklist.add_many(["+37517*"], EntryMeta(reason="exchange"))
    for i, number in enumerate(LINES):
        twilio.call(f"+37517200123{i}", to=number)
    run_worker()
    [sms] = campaign_sms(outbox)
    assert "+37517*" in sms["body"]


def test_withheld_callers_are_not_lumped_together(twilio, outbox, run_worker, lines):
    for number in LINES * 3:
        twilio.call("anonymous", to=number)
    run_worker()
    assert campaign_sms(outbox) == []


def test_thresholds_come_from_the_environment(env, monkeypatch, redis_client, outbox, run_worker):
    from screener import create_app
    from screener.config import load_settings
    from tests.conftest import Twilio

    monkeypatch.setenv("SCREENER_CAMPAIGN_CALLS", "2")
    app = create_app({"TESTING": True}, settings=load_settings())
    app.extensions["screener"].lines.save(Line(LINE, "+48601234567", "US"))
    twilio = Twilio(app.test_client())
    twilio.call("+442079460123")
    twilio.call("+442079460123")
    run_worker()
    assert len(Reviews(app.extensions["screener"].client, app.extensions["screener"].keys).open_reports()) == 1


def test_bad_threshold_is_a_clear_configuration_error(env, monkeypatch):
    from screener.config import ConfigError, load_settings

    monkeypatch.setenv("SCREENER_CAMPAIGN_LINES", "many")
    with pytest.raises(ConfigError, match="SCREENER_CAMPAIGN_LINES"):
        load_settings()
