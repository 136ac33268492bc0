"""The alerts page (failed deliveries, retry) and the evidence page (download a pack)."""
import io
import json
import zipfile

from dataclasses import replace

import pytest

from screener.store.blocklist import EntryMeta
from tests.conftest import ALERT_PHONE
from tests.integration.web_support import as_role, make_user, web  # noqa: F401 - fixtures

BLOCKED = "+375291234567"


@pytest.fixture
def failed_alert(twilio, svc, outbox, run_worker, line):
    """A blocked call whose SMS alert ran out of retries."""
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    outbox.fail_next = 99
    twilio.call(BLOCKED)
    run_worker()
    [job_id] = svc.alerts.scheduled_job_registry.get_job_ids()
    job = svc.alerts.fetch_job(job_id)
    job.retries_left = 0
    job.save()
    svc.alerts.enqueue_job(job)
    run_worker()
    return job_id


def test_curator_sees_a_failed_delivery_and_retries_it(as_role, svc, outbox, run_worker, failed_alert):
    curator = as_role("curator")
    page = curator.get("/alerts/").get_data(as_text=True)
    assert "Deliveries that failed" in page and "alert blocked_call" in page
    assert f"sms</span> <span class=\"mono small\">{ALERT_PHONE}" in page
    outbox.fail_next = 0
    response = curator.post(f"/alerts/retry/{failed_alert}", token_from="/alerts/")
    assert response.status_code == 302
    run_worker()
    assert [m["to"] for m in outbox.messages] == [ALERT_PHONE]
    assert "No failed deliveries." in curator.get("/alerts/").get_data(as_text=True)
    assert svc.audit.entries()[-1]["action"] == "alerts.retry"


def test_an_alert_for_a_line_without_recipients_says_it_reached_nobody_and_where_to_fix_it(as_role, twilio, svc,
                                                                                          run_worker, line):
    svc.lines.save(replace(line, alert_sms=(), alert_email=()))
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    twilio.call(BLOCKED)
    run_worker()
    page = as_role("admin").get("/alerts/").get_data(as_text=True)
    assert "Sent to nobody: the line has no alert recipients." in page
    assert f'href="/lines/{line.number[1:]}/edit"' in page


def test_viewer_cannot_see_or_retry_alerts(as_role, failed_alert):
    viewer = as_role("viewer")
    assert viewer.get("/alerts/").status_code == 403
    assert viewer.post(f"/alerts/retry/{failed_alert}").status_code == 403


def test_retry_without_csrf_token_is_refused(as_role, failed_alert):
    curator = as_role("curator")
    assert curator.client.post(f"/alerts/retry/{failed_alert}").status_code == 400


def test_curator_downloads_an_evidence_pack_for_a_number(as_role, twilio, svc, line):
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    sim = twilio.call(BLOCKED).sim
    curator = as_role("curator")
    response = curator.post("/evidence/", {"number": "+375 29 123 45 67", "region": "", "since": "", "until": ""},
                            token_from="/evidence/")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    calls = json.loads(archive.read("calls.json"))
    assert [c["call_sid"] for c in calls] == [sim.sid]
    assert "SHA256SUMS" in archive.namelist()
    assert svc.audit.entries()[-1]["action"] == "evidence.export"


def test_evidence_form_explains_bad_input(as_role):
    curator = as_role("curator")
    response = curator.post("/evidence/", {"number": "not a number", "since": "yesterday"}, token_from="/evidence/")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not a phone number. Write it in international format" in page and "2026-11-01" in page


def test_viewer_cannot_download_evidence(as_role):
    assert as_role("viewer").get("/evidence/").status_code == 403
