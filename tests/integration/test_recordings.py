"""Recordings: fetched from Twilio by a worker, encrypted at rest, verified, then deleted at Twilio."""
import os

import pytest
from cryptography.fernet import Fernet
from rq.job import JobStatus

from screener.recording_files import RecordingFileError, RecordingFiles, sha256
from screener.simulate import SimulatedCall
from tests.conftest import ACCOUNT_SID, LINE

AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(4000)
RECORDING = "RE" + "b" * 32


@pytest.fixture
def recorded_call(twilio, svc, line, outbox):
    """A forwarded call whose recording Twilio now holds, and its recording status callback form."""
    response = twilio.call("+442079460123")
    outbox.recordings[RECORDING] = AUDIO
    form = {"CallSid": response.sim.sid, "AccountSid": ACCOUNT_SID, "RecordingSid": RECORDING,
            "RecordingStatus": "completed", "RecordingDuration": "12",
            "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}"}
    return response.sim.sid, form


def test_recording_is_archived_encrypted_and_deleted_at_twilio(twilio, svc, settings, outbox, run_worker, recorded_call):
    call_sid, form = recorded_call
    assert twilio.post("/voice/recording?kind=forward", form).status_code == 200
    run_worker()
    record = svc.recordings.get(RECORDING)
    assert record["state"] == "archived" and record["sha256"] == sha256(AUDIO)
    stored = RecordingFiles.from_settings(settings).path(RECORDING).read_bytes()
    assert AUDIO[:64] not in stored  # encrypted at rest
    assert RecordingFiles.from_settings(settings).read(RECORDING, sha256(AUDIO)) == AUDIO
    assert outbox.deleted == [RECORDING] and RECORDING not in outbox.recordings
    chain = svc.recordings.evidence.entries()
    assert [(e["kind"], e["recording_sid"], e["sha256"]) for e in chain] == [("recording", RECORDING, sha256(AUDIO))]
    assert svc.recordings.for_call(call_sid)[0]["kind"] == "forward"


def test_repeated_callback_archives_once(twilio, svc, outbox, run_worker, recorded_call):
    _, form = recorded_call
    twilio.post("/voice/recording", form)
    twilio.post("/voice/recording", form)
    run_worker()
    assert len(svc.recordings.evidence) == 1 and outbox.deleted == [RECORDING]


def test_failed_fetch_deletes_nothing_and_retries(twilio, svc, settings, outbox, run_worker, recorded_call):
    _, form = recorded_call
    outbox.fail_media_next = 1
    twilio.post("/voice/recording", form)
    run_worker()
    job = svc.recording_jobs.fetch_job(f"archive-{RECORDING}")
    assert job.get_status() == JobStatus.SCHEDULED
    assert outbox.deleted == [] and outbox.recordings[RECORDING] == AUDIO
    assert "500" in svc.recordings.get(RECORDING)["last_error"]
    assert not RecordingFiles.from_settings(settings).path(RECORDING).exists()
    svc.recording_jobs.enqueue_job(job)  # the retry comes due
    run_worker()
    assert svc.recordings.get(RECORDING)["state"] == "archived" and outbox.deleted == [RECORDING]


def test_recording_callback_with_a_bad_sid_is_400(twilio, line, recorded_call):
    _, form = recorded_call
    assert twilio.post("/voice/recording", {**form, "RecordingSid": "../../etc/passwd"}).status_code == 400


def test_rotated_key_still_reads_old_files_and_rotation_rewrites_them(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    RecordingFiles(tmp_path, [old]).write(RECORDING, AUDIO)
    both = RecordingFiles(tmp_path, [new, old])
    assert both.read(RECORDING, sha256(AUDIO)) == AUDIO
    both.rotate(RECORDING)
    assert RecordingFiles(tmp_path, [new]).read(RECORDING) == AUDIO
    with pytest.raises(RecordingFileError):
        RecordingFiles(tmp_path, [old]).read(RECORDING)


def test_altered_file_is_detected(tmp_path):
    files = RecordingFiles(tmp_path, [Fernet.generate_key().decode()])
    files.write(RECORDING, AUDIO)
    data = bytearray(files.path(RECORDING).read_bytes())
    data[40] ^= 1
    files.path(RECORDING).write_bytes(bytes(data))
    with pytest.raises(RecordingFileError):
        files.read(RECORDING)


def test_verify_checks_sealed_calls_and_recordings(twilio, svc, settings, cli, redis_client, run_worker, recorded_call):
    call_sid, form = recorded_call
    twilio.post("/voice/recording", form)
    run_worker()
    twilio.post("/voice/status", {**SimulatedCall("+442079460123", LINE, ACCOUNT_SID, call_sid).status_form("completed")})
    good = cli("verify")
    assert good.exit_code == 0 and "evidence: 2 entries (1 calls, 1 recordings), chain verifies" in good.output
    redis_client.hset(svc.keys.call(call_sid), "action", "forward-edited")
    RecordingFiles.from_settings(settings).path(RECORDING).write_bytes(b"not the recording")
    bad = cli("verify")
    assert bad.exit_code == 1
    assert f"call {call_sid}: record changed after it was sealed" in bad.output
    assert f"recording {RECORDING}: cannot decrypt" in bad.output
