"""Signed checkpoints anchor the audit and evidence chains outside Redis: an attacker holding Redis who cuts
the chain's end, or deletes an entry and re-hashes the rest, is caught by `screener verify`; so is an edited
checkpoint. The worker makes them every hour and after every N audit changes."""
import base64
import email
import email.policy
import json
import os
import stat

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rq.registry import ScheduledJobRegistry

from screener import jobs
from screener.store.chain import GENESIS, entry_hash
from tests.integration.test_alert_channels import smtp  # noqa: F401 - the real SMTP server fixture

NUMBERS = [f"+37529123456{i}" for i in range(5)]


def add_entries(cli, count=len(NUMBERS)):
    for number in NUMBERS[:count]:
        assert cli("blocklist", "add", number, "--reason", "threats").exit_code == 0


def checkpoint(cli):
    result = cli("audit", "checkpoint")
    assert result.exit_code == 0, result.output
    return result


def test_a_truncated_audit_chain_fails_verify_after_a_checkpoint(cli, svc, redis_client):
    add_entries(cli)
    checkpoint(cli)
    # The attacker drops the last two entries and points the head at the new last one.
    redis_client.ltrim(svc.keys.audit_log(), 0, 2)
    redis_client.set(svc.keys.audit_head(), json.loads(redis_client.lindex(svc.keys.audit_log(), -1))["hash"])
    result = cli("verify")
    assert result.exit_code == 1
    assert "audit: 3 entries, but checkpoint 1" in result.output and "signed 5" in result.output


def test_a_rehashed_audit_chain_fails_verify_after_a_checkpoint(cli, svc, redis_client):
    add_entries(cli)
    checkpoint(cli)
    key = svc.keys.audit_log()
    entries = [json.loads(raw) for raw in redis_client.lrange(key, 0, -1)]
    del entries[1]
    prev = GENESIS
    redis_client.delete(key)
    for entry in entries:  # every later entry re-linked and re-hashed, so the chain itself verifies
        body = {k: v for k, v in entry.items() if k != "hash"} | {"prev": prev}
        prev = entry_hash(prev, body)
        redis_client.rpush(key, json.dumps({**body, "hash": prev}))
    redis_client.set(svc.keys.audit_head(), prev)
    assert svc.audit.verify().ok
    result = cli("verify")
    assert result.exit_code == 1 and "audit: 4 entries, but checkpoint 1" in result.output


def test_a_rehashed_chain_of_the_same_length_fails_at_the_checkpointed_entry(cli, svc, redis_client):
    add_entries(cli, 3)
    checkpoint(cli)
    key = svc.keys.audit_log()
    entries = [json.loads(raw) for raw in redis_client.lrange(key, 0, -1)]
    entries[1]["after"]["reason"] = "nothing"  # edited, then every hash from it on recomputed
    prev = GENESIS
    redis_client.delete(key)
    for entry in entries:
        body = {k: v for k, v in entry.items() if k != "hash"} | {"prev": prev}
        prev = entry_hash(prev, body)
        redis_client.rpush(key, json.dumps({**body, "hash": prev}))
    redis_client.set(svc.keys.audit_head(), prev)
    result = cli("verify")
    assert result.exit_code == 1 and "audit: entry 2 is not the one checkpoint 1" in result.output


def test_a_truncated_evidence_chain_fails_verify_after_a_checkpoint(cli, svc, redis_client):
    for sid in ("CA1", "CA2"):
        svc.evidence.chain.append({"kind": "note", "call_sid": sid})
    checkpoint(cli)
    redis_client.rpop(svc.keys.evidence_log())
    redis_client.set(svc.keys.evidence_head(), json.loads(redis_client.lindex(svc.keys.evidence_log(), -1))["hash"])
    result = cli("verify")
    assert result.exit_code == 1 and "evidence: 1 entries, but checkpoint 1" in result.output


def test_a_tampered_checkpoint_fails_its_signature(cli, settings):
    add_entries(cli)
    checkpoint(cli)
    path = settings.checkpoints_path
    record = json.loads(path.read_text())
    record["chains"]["audit"]["entries"] = 2  # to bless a cut after the entry 1
    path.write_text(json.dumps(record) + "\n")
    result = cli("verify")
    assert result.exit_code == 1 and f"{path}:1: bad signature" in result.output


def test_verify_without_a_checkpoint_says_so_and_passes(cli):
    add_entries(cli, 1)
    result = cli("verify")
    assert result.exit_code == 0 and "checkpoints: none yet" in result.output


def test_verify_passes_when_the_chains_grew_since_the_checkpoint(cli):
    add_entries(cli, 2)
    checkpoint(cli)
    add_entries(cli)
    result = cli("verify")
    assert result.exit_code == 0 and "checkpoints: 1 signed" in result.output


def test_a_checkpoint_is_not_signed_over_a_cut_chain(cli, svc, redis_client):
    add_entries(cli)
    checkpoint(cli)
    redis_client.rpop(svc.keys.audit_log())
    result = cli("audit", "checkpoint")
    assert result.exit_code == 1 and "not signed" in result.output
    assert len(svc.checkpoints.read()[0]) == 1


def test_the_key_is_made_private_outside_redis_and_checks_the_checkpoint(cli, settings, redis_client):
    add_entries(cli, 1)
    printed = checkpoint(cli).output
    public = cli("audit", "public-key").output.strip()
    assert f"public key: {public}" in printed
    assert stat.S_IMODE(os.stat(settings.checkpoint_key_path).st_mode) == 0o600
    assert not any(b"PRIVATE" in (redis_client.dump(k) or b"") for k in redis_client.keys())
    # What a partner does with a copy of the file and the public key alone (README "Checkpoints").
    record = json.loads(settings.checkpoints_path.read_text())
    signature = base64.b64decode(record.pop("signature"))
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public))
    key.verify(signature, json.dumps(record, sort_keys=True, separators=(",", ":")).encode())
    assert record["chains"]["audit"]["entries"] == 1


def test_the_key_path_comes_from_the_environment(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("SCREENER_CHECKPOINT_KEY", str(tmp_path / "elsewhere" / "signing.pem"))
    cli("audit", "public-key")
    assert (tmp_path / "elsewhere" / "signing.pem").exists()


def test_the_hourly_job_writes_a_checkpoint_and_schedules_the_next(svc, cli, settings, run_worker):
    add_entries(cli, 2)
    jobs.schedule_checkpoint(svc.alerts, 0, 1)  # due at once: the scheduler of the burst worker runs it
    run_worker()
    [record] = [json.loads(line) for line in settings.checkpoints_path.read_text().splitlines()]
    assert record["chains"]["audit"]["entries"] == 2
    assert [j for j in ScheduledJobRegistry(queue=svc.alerts).get_job_ids() if j.startswith("checkpoint-")]


def test_every_nth_audit_change_queues_a_checkpoint(cli, svc, settings, run_worker, monkeypatch):
    monkeypatch.setenv("SCREENER_CHECKPOINT_EVERY", "3")
    add_entries(cli, 2)
    run_worker()
    assert not settings.checkpoints_path.exists()
    add_entries(cli, 4)  # the third change queues one; the job signs the log as it is when it runs
    run_worker()
    [record] = [json.loads(line) for line in settings.checkpoints_path.read_text().splitlines()]
    assert record["chains"]["audit"]["entries"] == 4


def test_each_checkpoint_is_mailed_to_the_configured_addresses(svc, cli, settings, smtp, run_worker, monkeypatch):
    monkeypatch.setenv("SCREENER_CHECKPOINT_EMAIL", "archive@partner.test")
    add_entries(cli, 1)
    jobs.schedule_checkpoint(svc.alerts, 0, 1)
    run_worker()
    [(_, recipients, content)] = smtp.messages
    assert recipients == ["archive@partner.test"]
    body = email.message_from_string(content, policy=email.policy.default).get_content()
    assert settings.checkpoints_path.read_text().strip() in body
