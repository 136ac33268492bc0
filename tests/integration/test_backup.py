"""`screener backup` and `screener restore`: a consistent copy that comes back whole into an empty instance,
and a damaged, altered or misdirected one that is refused before anything is written."""
from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from screener.config import load_settings
from screener.dev.simulate import SimulatedCall
from screener.store.redis_process import RedisProcess
from tests.conftest import ACCOUNT_SID, LINE, SECRET_KEY

BLOCKED = "+375291234567"
AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(4000)
RECORDING = "RE" + "c" * 32


@pytest.fixture
def populated(cli, svc, settings, line, twilio, outbox, run_worker):
    """An instance in use: list entries, calls (one recorded and archived), audit entries, a checkpoint,
    and what its exports print."""
    assert cli("blocklist", "add", BLOCKED, "--reason", "threats").exit_code == 0
    assert cli("blocklist", "add", "+3751720012*", "--reason", "exchange").exit_code == 0
    blocked = twilio.call(BLOCKED).sim.sid
    recorded = twilio.call("+442079460123").sim
    outbox.recordings[RECORDING] = AUDIO
    twilio.post("/voice/recording", {"CallSid": recorded.sid, "AccountSid": ACCOUNT_SID, "RecordingSid": RECORDING,
                                     "RecordingStatus": "completed", "RecordingDuration": "12",
                                     "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
                                                     f"/Recordings/{RECORDING}"})
    run_worker()
    for sid, caller in ((blocked, BLOCKED), (recorded.sid, "+442079460123")):
        twilio.post("/voice/status", SimulatedCall(caller, LINE, ACCOUNT_SID, sid).status_form("completed"))
    assert cli("audit", "checkpoint").exit_code == 0
    assert settings.recordings_path.joinpath(f"{RECORDING}.enc").exists()
    return SimpleNamespace(blocklist=cli("blocklist", "export").output, calls=cli("calls", "export").output,
                           verify=cli("verify"), key=settings.checkpoint_key_path)


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """An empty instance on a redis-server of its own; `fresh.use()` points the commands at it."""
    server = RedisProcess(tmp_path / "fresh-redis").start()
    instance = tmp_path / "fresh-instance"
    target = SimpleNamespace(client=server.client(), instance=instance)

    def use(checkpoint_key: Path | None = None) -> None:
        monkeypatch.setenv("REDIS_URL", server.url)
        monkeypatch.setenv("SCREENER_INSTANCE", str(instance))
        target.settings = load_settings()
        if checkpoint_key:  # what the admin does first: put the checkpoint key back from where it is kept
            instance.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(checkpoint_key, target.settings.checkpoint_key_path)

    target.use = use
    yield target
    server.stop()


def test_a_restored_backup_verifies_and_exports_the_same(cli, populated, fresh, tmp_path):
    taken = cli("backup", str(tmp_path / "backup"))
    fresh.use(checkpoint_key=populated.key)

    restored = cli("restore", str(tmp_path / "backup"))

    assert taken.exit_code == 0, taken.output
    assert "2 blocklist entries" in taken.output and "1 recordings" in taken.output
    assert restored.exit_code == 0, restored.output
    verify = cli("verify")
    assert verify.exit_code == 0, verify.output
    assert "(2 calls, 1 recording), chain verifies" in verify.output
    assert "checkpoints: 1 signed" in verify.output
    assert cli("blocklist", "export").output == populated.blocklist
    assert cli("calls", "export").output == populated.calls


def test_the_backup_holds_no_key(cli, populated, tmp_path):
    cli("backup", str(tmp_path / "backup"))

    files = [p for p in (tmp_path / "backup").rglob("*") if p.is_file()]
    key_pem = populated.key.read_bytes()
    assert files and all(SECRET_KEY.encode() not in p.read_bytes() and key_pem not in p.read_bytes() for p in files)
    assert {p.name for p in files} >= {"manifest.json", "checkpoints.jsonl", f"{RECORDING}.enc"}


def test_a_backup_goes_into_a_new_or_empty_folder_only(cli, populated, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "notes.txt").write_text("keep me")

    result = cli("backup", str(tmp_path / "old"))

    assert result.exit_code != 0 and "not empty" in result.output
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["notes.txt"]


def fresh_is_untouched(fresh) -> bool:
    return (fresh.client.dbsize() == 0 and not fresh.settings.recordings_path.exists()
            and not fresh.settings.checkpoints_path.exists())


@pytest.mark.parametrize("damage, message", [
    (lambda b: b.joinpath("redis-keys.bin").write_bytes(b.joinpath("redis-keys.bin").read_bytes()[:-1] + b"x"),
     "redis-keys.bin does not match its checksum"),
    (lambda b: b.joinpath("recordings", f"{RECORDING}.enc").unlink(), f"recordings/{RECORDING}.enc is missing"),
    (lambda b: b.joinpath("manifest.json").write_text(
        b.joinpath("manifest.json").read_text().replace('"audit_entries": ', '"audit_entries": 1')),
     "the manifest does not match SCREENER_SECRET_KEY"),
    (lambda b: b.joinpath("manifest.json").unlink(), "manifest.json is missing"),
], ids=["altered-keys", "missing-recording", "edited-manifest", "no-manifest"])
def test_a_damaged_backup_is_refused_and_nothing_is_written(cli, populated, fresh, tmp_path, damage, message):
    cli("backup", str(tmp_path / "backup"))
    fresh.use(checkpoint_key=populated.key)
    damage(tmp_path / "backup")

    result = cli("restore", str(tmp_path / "backup"))

    assert result.exit_code != 0
    assert "nothing restored" in result.output and message in result.output
    assert fresh_is_untouched(fresh)


def test_a_backup_made_with_another_secret_key_is_refused(cli, populated, fresh, tmp_path, monkeypatch):
    cli("backup", str(tmp_path / "backup"))
    fresh.use(checkpoint_key=populated.key)
    monkeypatch.setenv("SCREENER_SECRET_KEY", "another-secret-key-" + "x" * 40)

    result = cli("restore", str(tmp_path / "backup"))

    assert result.exit_code != 0 and "made with another key" in result.output
    assert fresh_is_untouched(fresh)


def test_restore_without_the_checkpoint_key_says_where_to_put_it(cli, populated, fresh, tmp_path):
    cli("backup", str(tmp_path / "backup"))
    fresh.use()

    result = cli("restore", str(tmp_path / "backup"))

    assert result.exit_code != 0 and f"no checkpoint key at {fresh.settings.checkpoint_key_path}" in result.output
    assert fresh_is_untouched(fresh)


def test_restore_into_an_instance_in_use_is_refused_and_changes_nothing(cli, populated, svc, tmp_path):
    cli("backup", str(tmp_path / "backup"))
    cli("blocklist", "add", "+375297654321", "--reason", "after the backup")
    before = cli("blocklist", "export").output

    result = cli("restore", str(tmp_path / "backup"))

    assert result.exit_code != 0 and "empty instance only" in result.output
    assert cli("blocklist", "export").output == before


def test_a_backup_taken_while_the_audit_log_grows_restores_a_whole_chain(cli, populated, svc, fresh, tmp_path):
    stop = threading.Event()

    def write() -> None:  # a volunteer busy on the page meanwhile
        while not stop.is_set():
            svc.audit.append("web:ana", "blocklist.add", "+375290000000")
            stop.wait(0.01)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        taken = cli("backup", str(tmp_path / "backup"))
    finally:
        stop.set()
        writer.join()
    fresh.use(checkpoint_key=populated.key)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())

    restored = cli("restore", str(tmp_path / "backup"))

    assert taken.exit_code == 0 and restored.exit_code == 0, taken.output + restored.output
    assert cli("verify").exit_code == 0
    entries = manifest["counts"]["audit_entries"]
    assert len(fresh.client.lrange("scr:audit", 0, -1)) == entries + 1  # and the restore's own entry
