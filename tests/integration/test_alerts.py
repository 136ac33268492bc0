"""Blocked calls raise SMS alerts through RQ and a real worker, delivered to Twilio's REST shape."""
import pytest
from rq.job import JobStatus

from screener.store.alert_log import AlertLog
from screener.store.blocklist import EntryMeta
from tests.conftest import ALERT_PHONE, LINE

BLOCKED = "+375291234567"


@pytest.fixture
def blocklisted(svc, line):
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threatened the family", category="intimidation"))


def test_blocked_call_sends_sms_naming_caller_and_reason(twilio, svc, outbox, run_worker, blocklisted):
    response = twilio.call(BLOCKED)
    assert not outbox.messages  # the webhook answered without waiting for delivery
    run_worker()
    assert len(outbox.messages) == 1
    sms = outbox.messages[0]
    assert sms["to"] == ALERT_PHONE and sms["from"] == LINE
    assert BLOCKED in sms["body"] and "threatened the family" in sms["body"]
    [alert] = AlertLog(svc.client, svc.keys).recent()
    assert alert["call_sid"] == response.sim.sid and alert[f"d:sms:{ALERT_PHONE}"] == "sent"


def test_each_alert_number_of_the_line_gets_one_sms(twilio, svc, outbox, run_worker, blocklisted, line):
    from dataclasses import replace

    svc.lines.save(replace(line, alert_sms=(ALERT_PHONE, "+33612345678")))
    twilio.call(BLOCKED)
    run_worker()
    assert sorted(m["to"] for m in outbox.messages) == sorted([ALERT_PHONE, "+33612345678"])


def test_ordinary_and_screened_calls_send_no_alert(twilio, svc, outbox, run_worker, line):
    twilio.call("+442079460123")
    twilio.call("anonymous")
    assert svc.alerts.count == 0
    run_worker()
    assert outbox.messages == []


def test_failed_delivery_is_retried_not_lost(twilio, svc, outbox, run_worker, blocklisted):
    outbox.fail_next = 1
    twilio.call(BLOCKED)
    run_worker()
    [job_id] = svc.alerts.scheduled_job_registry.get_job_ids()
    job = svc.alerts.fetch_job(job_id)
    assert job.get_status() == JobStatus.SCHEDULED  # waiting for its retry, with the error kept
    assert job.retries_left == 4
    assert outbox.messages == []
    [alert] = AlertLog(svc.client, svc.keys).recent()
    assert alert[f"d:sms:{ALERT_PHONE}"].startswith("failed: ")
    svc.alerts.enqueue_job(job)  # the retry comes due
    run_worker()
    assert [m["to"] for m in outbox.messages] == [ALERT_PHONE]


def test_alert_for_a_prefix_match_names_the_prefix(twilio, svc, outbox, run_worker, line):
    svc.blocklist.add_many(["+37517*"], EntryMeta(reason="known exchange"))
    twilio.call("+375172001234")
    run_worker()
    assert "+37517*" in outbox.messages[0]["body"] and "+375172001234" in outbox.messages[0]["body"]


def test_every_copy_of_an_alert_names_it_so_a_repeat_is_seen_as_one(twilio, svc, outbox, run_worker, blocklisted):
    outbox.fail_next = 1
    twilio.call(BLOCKED)
    run_worker()
    [job_id] = svc.alerts.scheduled_job_registry.get_job_ids()
    svc.alerts.enqueue_job(svc.alerts.fetch_job(job_id))  # the retry comes due
    run_worker()
    [alert] = AlertLog(svc.client, svc.keys).recent()
    [sms] = outbox.messages
    assert sms["body"].endswith(f"[alert {alert['id']}]")
