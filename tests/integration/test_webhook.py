"""POST /voice/incoming and friends against a real Redis: decisions, TwiML, the call log, privacy."""
from xml.etree import ElementTree

import pytest

from screener.model import BlockMode, Line
from screener.store.blocklist import EntryMeta
from screener.dev.simulate import SimulatedCall
from tests.conftest import ACCOUNT_SID, DESTINATION, LINE, OVERRIDES

BLOCKED = "+375291234567"
ORDINARY = "+442079460123"
FRIEND = "+33612345678"


def twiml(response) -> ElementTree.Element:
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    return ElementTree.fromstring(response.data)


@pytest.fixture
def blocklisted(svc, line):
    svc.blocklist.add_many([BLOCKED, "+37517*"], EntryMeta(reason="threats", added_by="test"))


def test_blocklisted_number_gets_busy_reject(twilio, blocklisted):
    root = twiml(twilio.call(BLOCKED))
    assert [el.tag for el in root] == ["Reject"]
    assert root[0].get("reason") == "busy"


def test_number_under_a_blocked_prefix_is_rejected(twilio, blocklisted):
    root = twiml(twilio.call("+375172001234"))
    assert root[0].tag == "Reject"


def test_line_can_speak_a_message_to_blocked_callers(twilio, svc, blocklisted):
    svc.lines.save(Line(LINE, DESTINATION, "US", block_mode=BlockMode.MESSAGE, block_message="Goodbye."))
    root = twiml(twilio.call(BLOCKED))
    assert [el.tag for el in root] == ["Say", "Hangup"]
    assert root[0].text == "Goodbye."


def test_ordinary_caller_is_dialled_through_with_their_caller_id(twilio, line):
    root = twiml(twilio.call(ORDINARY))
    dial = root.find("Dial")
    assert dial.get("callerId") == ORDINARY
    assert dial.find("Number").text == DESTINATION


def test_allowlisted_caller_is_forwarded_even_if_blocklisted(twilio, svc, line):
    svc.blocklist.add_many([FRIEND], EntryMeta(reason="mistake"))
    svc.lines.allow(LINE, FRIEND)
    root = twiml(twilio.call(FRIEND))
    assert root.find("Dial/Number").text == DESTINATION


@pytest.mark.parametrize("caller_id", ["anonymous", "Anonymous", "+266696687", "Restricted", "Unknown", "", "garbage!!"])
def test_unidentified_caller_is_screened_never_dialled(twilio, line, caller_id):
    root = twiml(twilio.call(caller_id))
    assert root.find("Dial") is None
    record = root.find("Record")
    assert record is not None and record.get("action") == "/voice/screen/name" + OVERRIDES


def test_line_policy_change_applies_to_the_next_call(twilio, svc, line):
    assert twiml(twilio.call(ORDINARY)).find("Dial") is not None
    svc.lines.save(line.with_policy(ordinary="screen"))
    assert twiml(twilio.call(ORDINARY)).find("Record") is not None


def test_recorded_line_announces_recording_and_records_both_sides(twilio, svc, line):
    svc.lines.save(Line(LINE, DESTINATION, "US", recording=True))
    root = twiml(twilio.call(ORDINARY))
    assert root[0].tag == "Say" and "recorded" in root[0].text
    assert root.find("Dial").get("record") == "record-from-answer-dual"


def test_call_to_unconfigured_number_is_rejected_and_logged(twilio, svc):
    response = twilio.call(ORDINARY, to="+12025550199")
    assert twiml(response)[0].tag == "Reject"
    assert svc.calls.get(response.sim.sid)["rule"] == "unconfigured_line"


def test_every_call_is_logged_with_decision_and_rule(twilio, svc, blocklisted):
    response = twilio.call("+375172001234")
    call = svc.calls.get(response.sim.sid)
    assert call["action"] == "block" and call["rule"] == "blocklist" and call["entry"] == "+37517*"
    assert call["line"] == LINE and call["status"] == "ringing"
    assert [c["sid"] for c in svc.calls.recent()] == [response.sim.sid]


def test_ordinary_callers_number_is_stored_only_hashed_masked_and_encrypted(twilio, svc, redis_client, line):
    response = twilio.call(ORDINARY)
    call = svc.calls.get(response.sim.sid)
    assert call["caller"] == ""
    assert call["caller_masked"] != ORDINARY and call["caller_masked"].endswith(ORDINARY[-2:])
    assert svc.vault.decrypt(svc.calls.encrypted_number(response.sim.sid)) == ORDINARY
    assert 0 < redis_client.ttl(svc.keys.call_number(response.sim.sid)) <= line.retention_days * 86400
    dump = b"".join(redis_client.dump(k) or b"" for k in redis_client.keys("*"))
    assert ORDINARY.encode() not in dump and ORDINARY[1:].encode() not in dump


def test_blocked_callers_number_is_kept_in_full_as_evidence(twilio, svc, blocklisted):
    response = twilio.call(BLOCKED)
    assert svc.calls.get(response.sim.sid)["caller"] == BLOCKED


def test_repeat_calls_from_one_number_link_by_keyed_hash(twilio, svc, line):
    first, second = twilio.call(ORDINARY), twilio.call(ORDINARY)
    link = svc.calls.get(first.sim.sid)["caller_hash"]
    assert link and link == svc.calls.get(second.sim.sid)["caller_hash"]
    assert set(svc.calls.history(link)) == {first.sim.sid, second.sim.sid}


def test_twilio_retrying_the_same_call_logs_it_once(twilio, svc, blocklisted):
    sim = SimulatedCall(from_=BLOCKED, to=LINE, account_sid=ACCOUNT_SID)
    twilio.post("/voice/incoming", sim.incoming_form())
    twilio.post("/voice/incoming", sim.incoming_form())
    assert len(svc.calls.recent()) == 1
    assert svc.alerts.count == 1


def test_status_callback_updates_the_call_once(twilio, svc, line, redis_client):
    response = twilio.call(ORDINARY)
    form = response.sim.status_form("completed", duration=73)
    assert twilio.post("/voice/status", form).status_code == 200
    assert twilio.post("/voice/status", form).status_code == 200
    call = svc.calls.get(response.sim.sid)
    assert call["status"] == "completed" and call["duration"] == "73"
    assert redis_client.xlen(svc.keys.call_stream()) == 1


def test_status_for_a_call_never_logged_creates_a_record(twilio, svc):
    sim = SimulatedCall(from_=ORDINARY, to=LINE, account_sid=ACCOUNT_SID)
    assert twilio.post("/voice/status", sim.status_form("completed")).status_code == 200
    call = svc.calls.get(sim.sid)
    assert call["status"] == "completed" and call["action"] == "unknown"


def test_recording_callback_is_noted_on_the_call(twilio, svc, line):
    response = twilio.call(ORDINARY)
    form = {"CallSid": response.sim.sid, "AccountSid": ACCOUNT_SID, "RecordingSid": "RE" + "a" * 32,
            "RecordingStatus": "completed", "RecordingUrl": "https://api.twilio.com/rec"}
    assert twilio.post("/voice/recording", form).status_code == 200
    assert svc.calls.get(response.sim.sid)["recording_sid"] == "RE" + "a" * 32


def test_a_late_in_progress_callback_does_not_undo_the_end_of_a_call(twilio, svc, line, cli):
    response = twilio.call(ORDINARY)
    twilio.post("/voice/status", response.sim.status_form("completed", duration=30))
    twilio.post("/voice/status", response.sim.status_form("in-progress"))
    assert svc.calls.get(response.sim.sid)["status"] == "completed"
    assert cli("verify").exit_code == 0


def test_a_retried_end_of_call_seals_once(twilio, svc, line):
    response = twilio.call(ORDINARY)
    twilio.post("/voice/status", response.sim.status_form("completed"))
    twilio.post("/voice/status", response.sim.status_form("completed"))
    assert [e["call_sid"] for e in svc.evidence.chain.entries()] == [response.sim.sid]
