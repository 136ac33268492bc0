"""The dashboard's charts in Chromium: calls per hour on each line against the campaign threshold, and alert
deliveries by outcome, each drawn by Chart.js and repeated in a table with the same numbers."""
from __future__ import annotations

import time

import pytest

from screener.model import Line
from screener.store.alert_log import FAILED, QUEUED, SENT
from tests.browser.test_volunteer_story import sign_in
from tests.conftest import DESTINATION, LINE
from tests.integration.web_support import make_user, web  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NEWSROOM = "+12025550199"
DATASETS = "id => Chart.getChart(id).data.datasets.map(d => [d.label, d.data])"
LABELS = "id => Chart.getChart(id).data.labels"


def hour_row(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:00", time.gmtime(at))


@pytest.fixture
def known_calls(svc, line, twilio, monkeypatch) -> dict[str, float]:
    """Three calls to the press office and one to the newsroom now, one to the press office three hours ago."""
    svc.lines.save(Line(NEWSROOM, DESTINATION, "US", label="Newsroom"))
    now = time.time()
    for number in ("+33612345601", "+33612345602", "+33612345603"):
        assert twilio.call(number).status_code == 200
    assert twilio.call("+33612345604", to=NEWSROOM).status_code == 200
    earlier = now - 3 * 3600
    monkeypatch.setattr(time, "time", lambda: earlier)
    assert twilio.call("+33612345605").status_code == 200
    monkeypatch.undo()
    return {"now": now, "earlier": earlier}


@pytest.fixture
def known_alerts(svc):
    """Two SMS sent, one SMS waiting, one e-mail failed."""
    for channel, recipient, state in (("sms", "+4915112345678", SENT), ("sms", "+4915112345679", SENT),
                                      ("sms", "+4915112345670", QUEUED), ("email", "desk@example.org", FAILED)):
        alert_id = svc.alert_log.create("blocked_call", "CA" + "1" * 32, LINE, "Blocked call", "A blocked call")
        svc.alert_log.note(alert_id, channel, recipient, state, "SMTPError: 550" if state == FAILED else "")


def test_calls_per_hour_chart_and_table_show_each_lines_calls_and_the_threshold(page, make_user, known_calls, server):  # noqa: F811
    make_user("viewer1", "viewer")
    sign_in(page, "viewer1")
    page.wait_for_function("() => window.Chart && Chart.getChart('hourly-chart') !== undefined")
    datasets = dict(page.evaluate(DATASETS, "hourly-chart"))
    assert set(datasets) == {"Press office", "Newsroom", "Campaign threshold"}
    assert sum(datasets["Press office"]) == 4 and sum(datasets["Newsroom"]) == 1
    assert set(datasets["Campaign threshold"]) == {5}  # SCREENER_CAMPAIGN_CALLS' default
    hours = page.evaluate(LABELS, "hourly-chart")
    assert len(hours) == 24 and datasets["Press office"][hours.index(hour_row(known_calls["earlier"])[-5:])] == 1

    page.locator("#hourly summary").click()
    table = page.locator("#hourly-table")
    assert table.locator("thead th").all_text_contents()[1:] == ["Press office", "Newsroom"]
    now_row = table.locator("tbody tr", has=page.locator(f"th:text-is('{hour_row(known_calls['now'])}')"))
    assert now_row.locator("td").all_inner_texts() == ["3", "1"]
    earlier_row = table.locator("tbody tr", has=page.locator(f"th:text-is('{hour_row(known_calls['earlier'])}')"))
    assert earlier_row.locator("td").all_inner_texts() == ["1", "0"]


def test_deliveries_chart_and_table_count_each_outcome_per_channel(page, make_user, known_alerts, server):  # noqa: F811
    make_user("viewer1", "viewer")
    sign_in(page, "viewer1")
    page.wait_for_function("() => window.Chart && Chart.getChart('deliveries-chart') !== undefined")
    assert page.evaluate(LABELS, "deliveries-chart") == ["SMS", "E-mail"]
    assert page.evaluate(DATASETS, "deliveries-chart") == [["Sent", [2, 0]], ["Waiting to be sent", [1, 0]],
                                                            ["Failed", [0, 1]]]
    page.locator("#deliveries summary").click()
    rows = page.locator("#deliveries-table tbody tr")
    assert [rows.nth(i).locator("th, td").all_text_contents() for i in range(rows.count())] == [
        ["SMS", "2", "1", "0"], ["E-mail", "0", "0", "1"]]


def test_without_javascript_the_tables_still_give_the_numbers(browser, server, make_user, known_calls, known_alerts):  # noqa: F811
    make_user("viewer1", "viewer")
    context = browser.new_context(base_url=server, java_script_enabled=False)
    try:
        tab = context.new_page()
        sign_in(tab, "viewer1")
        for section in ("#hourly", "#deliveries"):
            tab.locator(f"{section} summary").click()
        now_row = tab.locator("#hourly-table tbody tr", has=tab.locator(f"th:text-is('{hour_row(known_calls['now'])}')"))
        assert now_row.locator("td").all_inner_texts() == ["3", "1"]
        assert tab.locator("#deliveries-table tbody tr").first.locator("td").all_inner_texts() == ["2", "1", "0"]
    finally:
        context.close()
