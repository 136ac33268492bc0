"""Jobs that failed for good on every queue are listed on the admin page and by `screener jobs failed` (numbers
masked), and come back with a retry once the cause is fixed."""
from __future__ import annotations

import pytest
from rq import Queue

from screener import imports
from screener.services import ALERT_QUEUE, RECORDING_QUEUE
from tests.conftest import ALERT_PHONE, LINE
from tests.integration.web_support import as_role, make_user, web  # noqa: F401

RECORDING = "RE" + "a" * 32


@pytest.fixture
def failed_everywhere(svc, outbox, run_worker):
    """With Twilio answering 500: an SMS delivery, a recording archive, and an import whose file is not
    text, each failed with no retries left. Yields their job ids by queue."""
    outbox.failing = True
    alerts = Queue(ALERT_QUEUE, connection=svc.client)
    ids = {
        "alerts": alerts.enqueue("workers.alerts.deliver", "7", "sms", ALERT_PHONE, LINE, "Screener",
                                 f"blocked call from {ALERT_PHONE}", {}, description="deliver alert 7 by sms").id,
        "recordings": Queue(RECORDING_QUEUE, connection=svc.client).enqueue(
            "workers.recordings.archive_recording", "CA" + "1" * 32, RECORDING,
            description=f"archive recording {RECORDING}").id,
    }
    item = svc.imports.create(owner="web:anna", filename="broken.csv", data=b"\xff\xfe\x00garbage",
                              sha256="0" * 64, region="", source="")
    svc.imports.update(item, status="committing", committed_by="web:boris")
    ids["imports"] = imports.enqueue(Queue(imports.IMPORT_QUEUE, connection=svc.client), imports.APPLY_JOB, item.id)
    run_worker()
    outbox.failing = False
    return ids


def test_jobs_failed_lists_every_queue_with_numbers_masked(failed_everywhere, cli):
    result = cli("jobs", "failed")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[-1] == "3 failed"
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[:-1]}
    assert set(rows) == {"alerts", "recordings", "imports"}
    assert rows["alerts"][1] == failed_everywhere["alerts"] and "500" in rows["alerts"][3]
    assert rows["recordings"][2] == f"archive recording {RECORDING}"
    assert "UnicodeDecodeError" in rows["imports"][3]
    assert all(len(row) == 5 and row[4].endswith("Z") for row in rows.values())
    assert ALERT_PHONE not in result.output


def test_retrying_a_failed_delivery_sends_it_once_twilio_is_back(failed_everywhere, cli, outbox, run_worker, svc):
    result = cli("jobs", "retry", failed_everywhere["alerts"])
    assert result.exit_code == 0 and "requeued 1" in result.output
    run_worker()
    assert [m["to"] for m in outbox.messages] == [ALERT_PHONE]
    assert "2 failed" in cli("jobs", "failed").output
    assert svc.audit.entries()[-1]["action"] == "jobs.retry"


def test_retrying_an_unknown_job_says_so_and_retries_nothing(failed_everywhere, cli):
    result = cli("jobs", "retry", failed_everywhere["alerts"], "no-such-job")
    assert result.exit_code != 0 and "no failed job no-such-job" in result.output
    assert "3 failed" in cli("jobs", "failed").output


def test_retry_all_puts_every_failed_job_back(failed_everywhere, cli):
    assert "requeued 3" in cli("jobs", "retry", "--all").output
    assert cli("jobs", "failed").output.strip() == "0 failed"


def test_the_admin_page_lists_failed_jobs_and_retries_one(failed_everywhere, as_role, outbox, run_worker):
    admin = as_role("admin")
    html = admin.get("/jobs").get_data(as_text=True)
    assert "deliver alert 7 by sms" in html and f"archive recording {RECORDING}" in html and "imports" in html
    assert ALERT_PHONE not in html
    response = admin.post(f"/jobs/{failed_everywhere['alerts']}/retry", token_from="/jobs")
    assert response.status_code == 302
    run_worker()
    assert len(outbox.messages) == 1
    assert "deliver alert 7 by sms" not in admin.get("/jobs").get_data(as_text=True)


def test_a_retry_without_the_csrf_token_is_refused(failed_everywhere, as_role):
    admin = as_role("admin")
    response = admin.client.post(f"/jobs/{failed_everywhere['alerts']}/retry")
    assert response.status_code == 400


def test_curators_cannot_see_or_retry_failed_jobs(failed_everywhere, as_role):
    curator = as_role("curator")
    assert curator.get("/jobs").status_code == 403
    assert curator.post(f"/jobs/{failed_everywhere['alerts']}/retry").status_code == 403
