"""Twilio slow or failing: our REST client gives up after its per-request timeout, and one `screener worker`
still tells the press office of five blocked calls side by side while every Twilio answer is late."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from rq import Worker
from twilio.base.exceptions import TwilioRestException

from screener.store.blocklist import EntryMeta
from screener.twilio_rest import twilio_client
from tests.conftest import ALERT_PHONE, LINE

STALL_SECONDS = 4.0
# README ("Alerts"): with Twilio answering D seconds late (D under the 10 s timeout), the default worker
# (5 alert processes) delivers up to five simultaneous alerts within D + 6 s; one process would take 5 x D.
BOUND_SECONDS = STALL_SECONDS + 6
CALLERS = [f"+3752912345{i:02d}" for i in range(5)]


def test_a_stalled_twilio_request_gives_up_after_the_timeout(settings, outbox):
    outbox.stall_seconds = 3
    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        twilio_client(settings, timeout=0.5).messages.create(to=ALERT_PHONE, from_=LINE, body="test")
    assert "timed out" in str(raised.value).lower() or "timeout" in type(raised.value).__name__.lower()
    assert time.monotonic() - started < 2.5
    # Twilio may still act on a request we gave up on: the SMS goes out late, and a retry would send it
    # again (alerts are at least once; every copy names its alert id).
    while not outbox.messages and time.monotonic() - started < 10:
        time.sleep(0.05)
    assert [m["body"] for m in outbox.messages] == ["test"]


def test_a_failing_twilio_answers_500_in_twilios_error_shape(settings, outbox):
    outbox.failing = True
    with pytest.raises(TwilioRestException) as raised:
        twilio_client(settings).messages.create(to=ALERT_PHONE, from_=LINE, body="test")
    assert raised.value.status == 500 and raised.value.code == 20500
    assert outbox.messages == []


def test_the_stand_in_still_refuses_what_twilio_refuses_while_stalling_or_failing(settings, outbox):
    outbox.stall_seconds, outbox.failing = 0.2, True
    with pytest.raises(TwilioRestException) as raised:
        twilio_client(settings).calls.create(to=ALERT_PHONE, from_="0601234567", url="https://example.org/x")
    assert raised.value.status == 400 and "is not a 'endpoint'" in outbox.violations[0]
    outbox.violations.clear()  # the refusal was the point


@pytest.mark.slow
def test_five_blocked_calls_are_told_within_the_bound_while_twilio_stalls(twilio, svc, line, outbox, redis_client):
    svc.blocklist.add_many(CALLERS, EntryMeta(reason="threats", category="intimidation"))
    worker = subprocess.Popen([sys.executable, "-m", "screener", "worker"], env={**os.environ},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(Worker.all(connection=redis_client)) < 5:  # the worker and its four alert processes
            assert time.monotonic() < deadline and worker.poll() is None, worker.stderr.read().decode()[-2000:]
            time.sleep(0.2)
        outbox.stall_seconds = STALL_SECONDS
        started = time.monotonic()
        for caller in CALLERS:
            twilio.call(caller)
        while len(outbox.messages) < 5 and time.monotonic() - started < 3 * BOUND_SECONDS:
            time.sleep(0.05)
        took = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert sorted(m["body"].split(" from ")[1][:13] for m in outbox.messages) == CALLERS
    assert all(m["to"] == ALERT_PHONE for m in outbox.messages)
    assert took < BOUND_SECONDS, f"five alerts took {took:.1f} s with Twilio {STALL_SECONDS} s late"
