"""Call log, a caller's history, "report this caller", and the review queue."""
from __future__ import annotations

import re

import pytest

from screener.store.blocklist import EntryMeta
from tests.integration.web_support import as_role, make_user, web  # noqa: F401

SOURCE = "+33612345678"
HARASSER = "+375291234567"


@pytest.fixture
def calls(twilio, svc, line):
    """A forwarded call (completed, 42 s) and a blocked one."""
    svc.blocklist.add_many([HARASSER], EntryMeta(reason="threats"))
    forwarded = twilio.call(SOURCE)
    twilio.post("/voice/status", forwarded.sim.status_form("completed"))
    blocked = twilio.call(HARASSER)
    return forwarded.sim.sid, blocked.sim.sid


def test_call_log_shows_newest_first_with_decision_and_duration(as_role, calls):
    html = as_role("viewer").get("/calls/").get_data(as_text=True)
    assert html.index("+375291234567") < html.index("+3361•••••78")
    assert "Blocked" in html and "Forwarded" in html and "0:42" in html
    assert SOURCE not in html  # a caller who is not blocked is shown masked


def test_call_log_filters_by_decision(as_role, calls):
    html = as_role("viewer").get("/calls/?decision=block").get_data(as_text=True)
    assert "+375291234567" in html and "+3361•••••78" not in html


def test_call_log_filters_by_number(as_role, calls):
    html = as_role("viewer").get("/calls/?number=%2B33+6+12+34+56+78").get_data(as_text=True)
    assert "+3361•••••78" in html and "+375291234567" not in html


def test_caller_history_is_linked_by_hash(as_role, calls, svc):
    viewer = as_role("viewer")
    html = viewer.get("/calls/").get_data(as_text=True)
    link = re.search(r'href="(/calls/caller/[0-9a-f]{32})"[^>]*>\+3361', html).group(1)
    assert "1 call from this number" in viewer.get(link).get_data(as_text=True)


def test_report_puts_the_caller_in_the_review_queue(as_role, calls, web):
    forwarded_sid, _ = calls
    curator = as_role("curator")
    response = curator.post(f"/calls/{forwarded_sid}/report", {"note": "threatened our source"},
                            token_from=f"/calls/{forwarded_sid}/report")
    assert response.status_code == 302
    [report] = web.reviews.open_reports()
    assert report.note == "threatened our source" and report.number_masked == "+3361•••••78"
    assert SOURCE not in report.to_json()  # kept encrypted until a curator accepts


def test_viewer_cannot_report(as_role, calls):
    forwarded_sid, _ = calls
    assert as_role("viewer").post(f"/calls/{forwarded_sid}/report", {"note": "x"}).status_code == 403


@pytest.fixture
def reported(as_role, calls, web):
    forwarded_sid, _ = calls
    reporter = as_role("curator", "reporter")
    reporter.post(f"/calls/{forwarded_sid}/report", {"note": "threatened our source"},
                  token_from=f"/calls/{forwarded_sid}/report")
    return web.reviews.open_reports()[0]


def test_accepting_a_report_blocks_the_number_with_the_report_as_evidence(as_role, reported, svc, web):
    curator = as_role("curator")
    response = curator.post(f"/reviews/{reported.id}/accept", {"category": "intimidation", "note": "same voice"},
                            token_from="/reviews/")
    assert response.status_code == 302
    entry = svc.blocklist.get(SOURCE)
    assert entry.meta.reason == "threatened our source"
    assert f"report #{reported.id}" in entry.meta.evidence and entry.meta.source == "report"
    assert web.reviews.open_count() == 0
    actions = [e["action"] for e in svc.audit.entries()]
    assert actions[actions.index("review.accept") + 1] == "blocklist.add"


def test_rejecting_a_report_erases_the_number(as_role, reported, svc, web):
    curator = as_role("curator")
    curator.post(f"/reviews/{reported.id}/reject", {"note": "a journalist, not a threat"}, token_from="/reviews/")
    decided = web.reviews.get(reported.id)
    assert decided.status == "rejected" and decided.number_encrypted == ""
    assert svc.blocklist.get(SOURCE) is None


def test_a_report_is_decided_once(as_role, reported, web):
    curator = as_role("curator")
    curator.post(f"/reviews/{reported.id}/reject", {"note": "no"}, token_from="/reviews/")
    curator.post(f"/reviews/{reported.id}/accept", {"category": "x"}, token_from="/reviews/")
    assert web.reviews.get(reported.id).status == "rejected"


def test_viewer_cannot_accept(as_role, reported, svc):
    assert as_role("viewer").post(f"/reviews/{reported.id}/accept", {"category": "x"}).status_code == 403
    assert svc.blocklist.get(SOURCE) is None


def test_dashboard_counts_calls_and_open_reviews(as_role, reported):
    html = as_role("viewer").get("/").get_data(as_text=True)
    assert 'id="calls-data"' in html and "+375291234567" in html  # in the top blocked list
    assert "threatened our source" in html


def test_call_log_shows_how_a_screened_call_ended(as_role, twilio, svc, line):
    sim = twilio.call("anonymous").sim
    svc.calls.set_fields(sim.sid, {"screening": "voicemail", "voicemail": "left"})
    page = as_role("viewer").get("/calls/").get_data(as_text=True)
    assert "Screened: sent to voicemail" in page and "Left a voicemail" in page
