"""Recordings: fetched from Twilio by a worker, encrypted at rest, verified, then deleted at Twilio."""
import os
from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from rq.job import JobStatus

from screener.model import BlockMode
from screener.recording_files import RecordingFileError, RecordingFiles, sha256
from screener.dev.simulate import SimulatedCall
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
    assert good.exit_code == 0 and "evidence: 2 entries (1 call, 1 recording), chain verifies" in good.output
    redis_client.hset(svc.keys.call(call_sid), "action", "forward-edited")
    RecordingFiles.from_settings(settings).path(RECORDING).write_bytes(b"not the recording")
    bad = cli("verify")
    assert bad.exit_code == 1
    assert f"call {call_sid}: record changed after it was sealed" in bad.output
    assert f"recording {RECORDING}: cannot decrypt" in bad.output


def test_evidence_pack_holds_calls_recordings_audit_and_checksums(twilio, svc, settings, cli, run_worker, outbox,
                                                                  line, tmp_path):
    import csv as csv_module
    import hashlib
    import io
    import json
    import zipfile

    cli("blocklist", "add", "+375291234567", "--reason", "threats")
    svc.lines.save(replace(line, timezone="Europe/Vilnius", block_mode=BlockMode.RECORD))
    response = twilio.call("+375291234567")
    outbox.recordings[RECORDING] = AUDIO
    twilio.post("/voice/recording?kind=evidence", {"CallSid": response.sim.sid, "AccountSid": ACCOUNT_SID,
                                                   "RecordingSid": RECORDING, "RecordingStatus": "completed"})
    twilio.post("/voice/status", response.sim.status_form("completed"))
    twilio.call("+442079460123")  # another caller: not in this number's pack
    run_worker()
    result = cli("evidence", "export", "--number", "+375 29 123 45 67", "-o", str(tmp_path / "pack.zip"))
    assert result.exit_code == 0, result.output
    archive = zipfile.ZipFile(tmp_path / "pack.zip")
    rows = list(csv_module.DictReader(io.StringIO(archive.read("calls.csv").decode())))
    assert [r["call_sid"] for r in rows] == [response.sim.sid]
    assert rows[0]["caller"] == "+375291234567" and rows[0]["line_timezone"] == "Europe/Vilnius"
    assert rows[0]["time_utc"].endswith("+00:00") and rows[0]["time_line"][-6:] in ("+02:00", "+03:00")
    assert archive.read(f"recordings/{RECORDING}.wav") == AUDIO
    audit = json.loads(archive.read("audit.json"))
    assert [e["action"] for e in audit] == ["blocklist.add"]
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["evidence_chain_verifies"] and manifest["audit_chain_verifies"]
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert f"  recordings/{RECORDING}.wav" in archive.read("SHA256SUMS").decode()
    assert oct((tmp_path / "pack.zip").stat().st_mode & 0o777) == "0o600"


def test_evidence_pack_by_time_masks_callers_who_are_not_blocked(twilio, svc, cli, line, tmp_path):
    import json
    import zipfile

    twilio.call("+442079460123")
    assert cli("evidence", "export", "--since", "2020-01-01", "-o", str(tmp_path / "span.zip")).exit_code == 0
    data = zipfile.ZipFile(tmp_path / "span.zip").read("calls.json").decode()
    assert "+442079460123" not in data and json.loads(data)[0]["caller"].endswith("23")


@pytest.fixture
def s3(monkeypatch):
    """An S3-compatible endpoint on 127.0.0.1 (moto's server speaks S3's REST API), with a bucket."""
    import boto3
    from moto.server import ThreadedMotoServer

    from screener.store.redis_process import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1", "SCREENER_S3_ENDPOINT_URL": endpoint,
                        "SCREENER_RECORDINGS_S3": "s3://evidence/recordings"}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="evidence")
    yield client
    server.stop()


def test_recordings_can_be_kept_encrypted_in_s3_compatible_storage(twilio, svc, outbox, run_worker, recorded_call,
                                                                   s3, cli):
    from screener.config import load_settings

    _, form = recorded_call
    twilio.post("/voice/recording", form)
    run_worker()
    stored = s3.get_object(Bucket="evidence", Key=f"recordings/{RECORDING}.enc")["Body"].read()
    assert AUDIO[:64] not in stored  # the storage only ever sees ciphertext
    assert svc.recordings.get(RECORDING)["path"] == f"s3://evidence/recordings/{RECORDING}.enc"
    assert RecordingFiles.from_settings(load_settings()).read(RECORDING, sha256(AUDIO)) == AUDIO
    assert outbox.deleted == [RECORDING]
    assert cli("verify").exit_code == 0
