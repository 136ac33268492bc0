"""/metrics reports the queues as they are in Redis at the scrape: jobs waiting and failed per queue, and
recordings still to be archived, the same whichever process answers."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rq import Queue

from screener.services import ALERT_QUEUE
from screener.store.blocklist import EntryMeta
from tests.conftest import ACCOUNT_SID, ALERT_PHONE, LINE

BLOCKED = "+375291234567"
RECORDING = "RE" + "b" * 32


def _value(text: str, name: str, queue: str | None = None) -> float:
    labels = f'{{queue="{queue}"}}' if queue else ""
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    assert match, f"{name}{labels} is not on the page"
    return float(match.group(1))


def _metrics(client) -> str:
    return client.get("/metrics").get_data(as_text=True)


def test_queue_depth_follows_the_alerts_queue(twilio, svc, client, line, run_worker):
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    assert _value(_metrics(client), "screener_queue_jobs", "alerts") == 0
    twilio.call(BLOCKED)
    twilio.call(BLOCKED)
    assert _value(_metrics(client), "screener_queue_jobs", "alerts") == 2
    run_worker()
    assert _value(_metrics(client), "screener_queue_jobs", "alerts") == 0


def test_failed_jobs_are_counted_per_queue(svc, client, outbox, run_worker):
    outbox.failing = True
    Queue(ALERT_QUEUE, connection=svc.client).enqueue("workers.alerts.deliver", "1", "sms", ALERT_PHONE, LINE, "s",
                                                      "t", {})
    run_worker()
    page = _metrics(client)
    assert _value(page, "screener_queue_failed_jobs", "alerts") == 1
    assert _value(page, "screener_queue_failed_jobs", "recordings") == 0
    assert _value(page, "screener_queue_metrics_up") == 1


def test_recordings_waiting_to_be_archived_go_down_once_archived(twilio, svc, client, line, outbox, run_worker):
    call_sid = twilio.call("+442079460123").sim.sid
    outbox.recordings[RECORDING] = b"RIFF" + b"\0" * 400
    form = {"CallSid": call_sid, "AccountSid": ACCOUNT_SID, "RecordingSid": RECORDING, "RecordingStatus": "completed",
            "RecordingDuration": "3",
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}"}
    assert twilio.post("/voice/recording?kind=forward", form).status_code == 200
    assert _value(_metrics(client), "screener_recordings_waiting_archive") == 1
    run_worker()
    assert _value(_metrics(client), "screener_recordings_waiting_archive") == 0


@pytest.mark.slow
def test_every_gunicorn_worker_reports_the_same_queue_depth(serve, svc):
    base = serve(workers=2)
    queue = Queue(ALERT_QUEUE, connection=svc.client)
    for n in range(3):
        queue.enqueue("workers.alerts.deliver", str(n), "sms", ALERT_PHONE, LINE, "s", "t", {})

    def depth(_: int) -> float:
        page = requests.get(base + "/metrics", headers={"Connection": "close"}, timeout=10).text
        return _value(page, "screener_queue_jobs", "alerts")

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(depth, range(24))) == {3.0}
