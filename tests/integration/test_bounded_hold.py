"""A screened caller waits on hold for a bounded time whatever callback is lost: the hold watchdog, a job
scheduled when the caller is put on hold, moves a caller still waiting then to voicemail."""
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from screener.voice.bridge_state import hold_limit_seconds
from tests.conftest import ACCOUNT_SID, DESTINATION, LINE, OVERRIDES

NAME_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'1' * 32}"


def on_hold(twilio, outbox):
    sim = twilio.call("anonymous").sim
    twilio.post("/voice/screen/name", {**sim.incoming_form(), "RecordingUrl": NAME_URL})
    [leg] = outbox.calls
    return sim, leg["sid"]


def hold_limit_passes(svc, sim, run_worker) -> None:
    """The watchdog's scheduled time comes (the test does not wait for it)."""
    job = Job.fetch(f"hold-{sim.sid}", connection=svc.client)
    svc.alerts.enqueue_job(job)
    run_worker()


def test_putting_a_caller_on_hold_schedules_the_watchdog_at_the_hold_limit(twilio, svc, outbox, line):
    import time

    before = time.time()
    sim, _ = on_hold(twilio, outbox)
    due = ScheduledJobRegistry(queue=svc.alerts).get_scheduled_time(f"hold-{sim.sid}")
    assert before + hold_limit_seconds(1) - 1 <= due.timestamp() <= time.time() + hold_limit_seconds(1) + 1


def test_a_caller_still_waiting_at_the_hold_limit_is_moved_to_voicemail(twilio, svc, outbox, line, run_worker):
    sim, leg = on_hold(twilio, outbox)  # and every callback of the press secretary's call is lost
    hold_limit_passes(svc, sim, run_worker)
    assert outbox.call_updates == [(leg, {"Status": "completed"}),
                                   (sim.sid, {"Url": "http://localhost/voice/screen/done?then=voicemail" + OVERRIDES})]
    record = svc.calls.record(sim.sid)
    assert record.caller_moved and record.screening == "no_answer"


def test_a_press_secretary_answering_after_the_hold_limit_can_no_longer_choose(twilio, svc, outbox, line, run_worker):
    sim, leg = on_hold(twilio, outbox)
    hold_limit_passes(svc, sim, run_worker)
    leg_form = {"CallSid": leg, "AccountSid": ACCOUNT_SID, "From": LINE, "To": DESTINATION,
                "CallStatus": "in-progress"}
    response = twilio.post(f"/voice/screen/choice?call={sim.sid}", {**leg_form, "Digits": "1"})
    assert b"Conference" not in response.data


def test_a_caller_in_conversation_is_left_alone(twilio, svc, outbox, line, run_worker):
    sim, leg = on_hold(twilio, outbox)
    svc.calls.set_fields(sim.sid, {"screening": "accepted", "joined": "1"})
    hold_limit_passes(svc, sim, run_worker)
    assert outbox.call_updates == []
