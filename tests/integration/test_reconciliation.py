"""Lost callbacks are healed by the reconciliation job within one period: it asks Twilio's REST API (the
stand-in) what happened to each call not yet settled, and finishes what the callbacks would have done.
The job runs on a real RQ worker in burst mode."""
import time
from datetime import datetime, timezone

from rq.registry import ScheduledJobRegistry

from screener import jobs
from screener.voice.reconcile import RECONCILE_PERIOD_SECONDS, SETTLE_SECONDS
from tests.conftest import ACCOUNT_SID, OVERRIDES

ORDINARY = "+442079460123"
RECORDING = "RE" + "9" * 32
NAME_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'1' * 32}"


def reconcile(svc, run_worker) -> None:
    """One run of the job, as the scheduler starts it once the calls are old enough to be settled."""
    jobs.enqueue_reconcile(svc.alerts, now=int(time.time()) + SETTLE_SECONDS + 1)
    run_worker()


def unsettled(svc) -> list[str]:
    return svc.calls.unsettled(int(time.time()) + 10**6)


def test_a_lost_status_callback_is_applied_and_the_call_sealed(twilio, svc, outbox, line, run_worker):
    sid = twilio.call(ORDINARY).sim.sid
    outbox.call_states[sid] = {"status": "completed", "duration": "42"}
    reconcile(svc, run_worker)
    record = svc.calls.get(sid)
    assert record["status"] == "completed" and record["duration"] == "42"
    assert [entry["call_sid"] for entry in svc.evidence.chain.entries()] == [sid]
    assert unsettled(svc) == []


def test_a_call_still_going_stays_unsettled(twilio, svc, outbox, line, run_worker):
    sid = twilio.call(ORDINARY).sim.sid
    outbox.call_states[sid] = {"status": "in-progress"}
    reconcile(svc, run_worker)
    assert svc.calls.get(sid)["status"] == "ringing" and unsettled(svc) == [sid]


def test_a_young_call_is_not_asked_about(twilio, svc, outbox, line, run_worker):
    sid = twilio.call(ORDINARY).sim.sid
    jobs.enqueue_reconcile(svc.alerts)
    run_worker()
    assert unsettled(svc) == [sid]


def test_a_lost_recording_callback_is_found_at_twilio_and_archived(twilio, svc, outbox, line, run_worker):
    sim = twilio.call(ORDINARY).sim
    assert twilio.callback("/voice/status" + OVERRIDES, sim.status_form("completed")).status_code == 200
    outbox.recordings[RECORDING] = b"RIFF....WAVEfmt "
    outbox.recordings_of_call[sim.sid] = [RECORDING]
    reconcile(svc, run_worker)
    stored = svc.recordings.get(RECORDING)
    assert stored["state"] == "archived" and stored["call_sid"] == sim.sid and stored["kind"] == "recovered"
    assert outbox.deleted == [RECORDING] and unsettled(svc) == []


def test_a_lost_leg_callback_moves_the_caller_on_hold_to_voicemail(twilio, svc, outbox, line, run_worker):
    sim = twilio.call("anonymous").sim
    twilio.post("/voice/screen/name", {**sim.incoming_form(), "RecordingUrl": NAME_URL})
    [leg] = outbox.calls
    outbox.call_states[sim.sid] = {"status": "in-progress"}
    outbox.call_states[leg["sid"]] = {"status": "no-answer", "direction": "outbound-api"}
    reconcile(svc, run_worker)
    assert outbox.call_updates == [(sim.sid, {"Url": "http://localhost/voice/screen/done?then=voicemail" + OVERRIDES})]
    record = svc.calls.record(sim.sid)
    assert record.caller_moved and record.secretary_status == "no-answer" and record.screening == "no_answer"
    assert unsettled(svc) == [sim.sid]  # until its own end is known


def test_a_lost_end_of_a_screened_call_releases_the_press_secretary(twilio, svc, outbox, line, run_worker):
    sim = twilio.call("anonymous").sim
    twilio.post("/voice/screen/name", {**sim.incoming_form(), "RecordingUrl": NAME_URL})
    [leg] = outbox.calls
    outbox.call_states[sim.sid] = {"status": "completed", "duration": "30"}
    outbox.call_states[leg["sid"]] = {"status": "ringing"}
    reconcile(svc, run_worker)
    assert outbox.call_updates == [(leg["sid"], {"Status": "completed"})]  # stop ringing them
    assert svc.calls.record(sim.sid).status == "completed"


def test_each_run_schedules_the_next_within_one_period(svc, outbox, run_worker):
    before = time.time()
    jobs.enqueue_reconcile(svc.alerts)
    run_worker()
    registry = ScheduledJobRegistry(queue=svc.alerts)
    [job_id] = registry.get_job_ids()
    due = registry.get_scheduled_time(job_id)
    assert datetime.fromtimestamp(before, tz=timezone.utc) < due
    assert due <= datetime.fromtimestamp(before + RECONCILE_PERIOD_SECONDS + 1, tz=timezone.utc)
