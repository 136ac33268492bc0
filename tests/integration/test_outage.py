"""Redis down: calls decided from the process's copy of the lists, their records, callbacks and alerts kept
in the local spool and written once when Redis is back (screener/voice/outage.py, screener/spool.py)."""
import os
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from screener import create_app
from screener.config import load_settings
from screener.model import Line
from screener.store.blocklist import EntryMeta
from screener.store.redis_process import RedisProcess, free_port
from tests.conftest import ALERT_PHONE, DESTINATION, LINE, Twilio

BLOCKED, SCREEN_ONLY, FRIEND, ORDINARY = "+375291234567", "+375291234568", "+375291234569", "+442079460123"


class Restartable:
    """A redis-server on a fixed port with every write in its append-only file, killed and started again."""

    def __init__(self, directory):
        self.directory, self.port = directory, free_port()
        self.server = self.start()

    def start(self) -> RedisProcess:
        self.server = RedisProcess(self.directory, "--appendonly", "yes", "--appendfsync", "always",
                                   port=self.port).start()
        return self.server

    def kill(self) -> None:
        self.server.kill()


@pytest.fixture
def restartable(env, monkeypatch, tmp_path):
    redis_ = Restartable(tmp_path / "restartable")
    monkeypatch.setenv("REDIS_URL", redis_.server.url)
    yield redis_
    redis_.kill()


@pytest.fixture
def down(restartable):
    """An app whose Redis holds a line with an alert number, a blocklist (a number, a screen-only number, a
    prefix) and an allowlisted number; the outage keeper has run once; then Redis is killed.
    Yields (app, restartable)."""
    app = create_app({"TESTING": True}, settings=load_settings())
    svc = app.extensions["screener"]
    svc.lines.save(Line(LINE, DESTINATION, "US", alert_sms=(ALERT_PHONE,)))
    svc.blocklist.add_many([BLOCKED, "+37517*"], EntryMeta(reason="threats", added_by="test"))
    svc.blocklist.add_many([SCREEN_ONLY], EntryMeta(reason="maybe", added_by="test", action="screen"))
    svc.lines.allow(LINE, FRIEND)
    app.extensions["screener.outage"].tick()
    restartable.kill()
    yield app, restartable


def verbs(response) -> list[str]:
    return [element.tag for element in ElementTree.fromstring(response.data)]


def test_blocklisted_callers_stay_blocked_while_redis_is_down(down):
    twilio = Twilio(down[0].test_client())
    assert verbs(twilio.call(BLOCKED)) == ["Reject"]
    assert verbs(twilio.call("+375172001234")) == ["Reject"]  # under a blocked prefix


def test_allowlisted_and_ordinary_callers_are_put_through_while_redis_is_down(down):
    twilio = Twilio(down[0].test_client())
    assert "Dial" in verbs(twilio.call(FRIEND))
    assert "Dial" in verbs(twilio.call(ORDINARY))
    assert "Dial" not in verbs(twilio.call(SCREEN_ONLY))  # a screen-list entry is screened, not forwarded


def test_a_list_change_reaches_the_copy_before_the_outage(restartable):
    app = create_app({"TESTING": True}, settings=load_settings())
    svc = app.extensions["screener"]
    svc.lines.save(Line(LINE, DESTINATION, "US"))
    outage = app.extensions["screener.outage"]
    outage.tick()  # the whole list, empty
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats", added_by="test"))
    svc.blocklist.add_many([ORDINARY], EntryMeta(reason="mistake", added_by="test"))
    svc.blocklist.remove(ORDINARY)
    outage.tick()  # only the changes
    restartable.kill()
    twilio = Twilio(app.test_client())
    assert verbs(twilio.call(BLOCKED)) == ["Reject"]
    assert "Dial" in verbs(twilio.call(ORDINARY))


def test_calls_during_the_outage_are_logged_once_with_their_alert(down, outbox, run_worker):
    app, restartable = down
    svc, outage = app.extensions["screener"], app.extensions["screener.outage"]
    twilio = Twilio(app.test_client())
    sids = {caller: twilio.call(caller).sim.sid for caller in (BLOCKED, ORDINARY, FRIEND)}
    assert outage.spool_file.size > 0
    restartable.start()
    outage.tick()
    outage.tick()
    logged = [call for call in svc.calls.recent() if call["sid"] in sids.values()]
    assert sorted(call["sid"] for call in logged) == sorted(sids.values())
    by_sid = {call["sid"]: call for call in logged}
    assert (by_sid[sids[BLOCKED]]["action"], by_sid[sids[BLOCKED]]["caller"]) == ("block", BLOCKED)
    assert by_sid[sids[ORDINARY]]["caller"] == ""  # an ordinary caller's number is not kept in clear
    assert svc.calls.encrypted_number(sids[ORDINARY])  # ... but encrypted, as for any call
    assert all(call["spooled"] == "redis_unreachable" for call in logged)
    assert outage.spool_file.size == 0
    run_worker()
    assert [m["to"] for m in outbox.messages] == [ALERT_PHONE]


def test_a_status_callback_during_the_outage_is_kept(down):
    app, restartable = down
    svc, outage = app.extensions["screener"], app.extensions["screener.outage"]
    twilio = Twilio(app.test_client())
    sid = twilio.call(ORDINARY).sim.sid
    response = twilio.post("/voice/status", {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "CallStatus": "completed",
                                             "CallDuration": "42"})
    assert response.status_code == 200
    restartable.start()
    outage.tick()
    record = svc.calls.get(sid)
    assert (record["action"], record["status"], record["duration"]) == ("forward", "completed", "42")


def test_a_callback_between_restart_and_replay_is_not_lost(down):
    app, restartable = down
    svc, outage = app.extensions["screener"], app.extensions["screener.outage"]
    twilio = Twilio(app.test_client())
    sid = twilio.call(BLOCKED).sim.sid
    restartable.start()
    twilio.post("/voice/status", {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "CallStatus": "busy"})
    outage.tick()
    record = svc.calls.get(sid)
    assert (record["action"], record["rule"], record["status"]) == ("block", "blocklist", "busy")
    assert [c["sid"] for c in svc.calls.recent()].count(sid) == 1


def test_the_spool_of_a_process_that_ended_is_replayed_by_the_next(down, tmp_path):
    app, restartable = down
    script = ("import sys; from screener import create_app; from tests.conftest import Twilio\n"
              "app = create_app({'TESTING': True})\n"
              "print(Twilio(app.test_client()).call(sys.argv[1]).sim.sid)\n")
    ended = subprocess.run([sys.executable, "-c", script, BLOCKED], env={**os.environ}, capture_output=True,
                           text=True, timeout=60, check=True)
    sid = ended.stdout.strip().splitlines()[-1]
    restartable.start()
    svc = app.extensions["screener"]
    app.extensions["screener.outage"].tick()
    record = svc.calls.get(sid)  # that process never saw the list: it screened, and said why
    assert (record["action"], record["rule"], record["degraded"]) == ("screen", "degraded", "1")
    assert list((svc.settings.instance_path / "spool").glob("spool-*")) == []  # adopted and deleted


def test_spool_size_is_a_metric(down):
    app, _ = down
    Twilio(app.test_client()).call(ORDINARY)
    page = app.test_client().get("/metrics").data.decode()
    size = [line for line in page.splitlines() if line.startswith("screener_spool_bytes ")]
    assert size and float(size[0].split()[1]) > 0
    assert 'screener_spooled_total{kind="call"}' in page
    assert "screener_local_lists_synced_timestamp_seconds" in page


def test_a_record_no_replica_confirmed_is_kept_in_the_spool_but_written_once(env, monkeypatch, redis_client, outbox,
                                                                              run_worker):
    monkeypatch.setenv("SCREENER_REDIS_WAIT_REPLICAS", "1")  # the tests' Redis has no replica: WAIT gives up
    app = create_app({"TESTING": True}, settings=load_settings())
    svc, outage = app.extensions["screener"], app.extensions["screener.outage"]
    svc.lines.save(Line(LINE, DESTINATION, "US", alert_sms=(ALERT_PHONE,)))
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats", added_by="test"))
    sid = Twilio(app.test_client()).call(BLOCKED).sim.sid
    assert svc.calls.get(sid)["action"] == "block" and outage.spool_file.size > 0
    outage.tick()
    assert [c["sid"] for c in svc.calls.recent()].count(sid) == 1 and "spooled" not in svc.calls.get(sid)
    assert outage.spool_file.size == 0
    run_worker()
    assert len(outbox.messages) == 1  # the alert queued with the record, not a second one from the spool


def test_a_copy_that_fell_behind_the_trimmed_change_stream_reads_everything_again(svc, monkeypatch):
    from screener.numbers import Caller, CallerKind
    from screener.store import blocklist as module
    from screener.store.list_copy import ListCopy

    monkeypatch.setattr(module, "CHANGES_KEPT", 10)
    copy = ListCopy(svc.client, svc.keys)
    copy.sync()
    numbers = [f"+3752910{i:05d}" for i in range(400)]
    for number in numbers:  # one change stream entry each: most are trimmed before the next sync
        svc.blocklist.add_many([number], EntryMeta(reason="threats"))
    svc.blocklist.remove(numbers[-1])
    copy.sync()
    found = [copy.lists.matches(Caller(CallerKind.NUMBER, n), LINE).blocklist_entry for n in numbers]
    assert found == numbers[:-1] + [None]


def test_a_full_spool_still_answers_and_counts_the_lost_record(down, caplog):
    from screener import metrics

    app, _ = down
    app.extensions["screener.outage"].spool_file.max_bytes = 100  # SCREENER_SPOOL_MAX_MB, reached
    before = metrics.CALLS_UNLOGGED._value.get()
    assert verbs(Twilio(app.test_client()).call(BLOCKED)) == ["Reject"]
    assert metrics.CALLS_UNLOGGED._value.get() == before + 1
    assert "spool_refused" in caplog.text and "call_unlogged" in caplog.text


def test_a_recording_reported_during_the_outage_is_archived_once_redis_is_back(down, outbox, run_worker):
    app, restartable = down
    svc, outage = app.extensions["screener"], app.extensions["screener.outage"]
    twilio = Twilio(app.test_client())
    sid, recording = twilio.call(ORDINARY).sim.sid, "RE" + "c" * 32
    outbox.recordings[recording] = b"RIFF....WAVEfmt "
    form = {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "RecordingSid": recording, "RecordingStatus": "completed",
            "RecordingDuration": "12",
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + '1' * 32}/Recordings/{recording}"}
    assert twilio.post("/voice/recording?kind=forward", form).status_code == 200
    restartable.start()
    outage.tick()
    run_worker()
    assert svc.recordings.get(recording)["state"] == "archived" and recording in outbox.deleted
    assert svc.calls.get(sid)["recording_sid"] == recording and svc.calls.get(sid)["action"] == "forward"


def test_an_entry_this_version_cannot_replay_is_set_aside_not_lost(down):
    app, restartable = down
    svc, outage = app.extensions["screener"], app.extensions["screener.outage"]
    sid = Twilio(app.test_client()).call(BLOCKED).sim.sid
    folder = svc.settings.instance_path / "spool"
    (folder / "spool-1-ended.jsonl").write_text(
        '{"id":"1-ended:1","kind":"call","data":{"sid":"CA00","from_a_later_version":1}}\n')
    restartable.start()
    outage.tick()
    assert svc.calls.get(sid)["action"] == "block"  # the other entries are still replayed
    rejected = (folder / "rejected.jsonl").read_text()
    assert '"from_a_later_version":1' in rejected and "TypeError" in rejected
