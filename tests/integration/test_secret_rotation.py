"""Changing SCREENER_SECRET_KEY without losing a number, a recording or a caller's history: what the old value
encrypted still opens while SCREENER_SECRET_KEY_OLD names it, a caller's next call joins their earlier ones,
and `screener secret rewrap` moves everything under the new value so that the old one can go."""
from __future__ import annotations

import os
import re
from dataclasses import replace

import pyotp
import pytest

from screener import create_app
from screener.config import load_settings
from screener.recording_files import RecordingFiles, sha256
from screener.store.users import Role
from tests.conftest import ACCOUNT_SID, SECRET_KEY, Twilio
from tests.integration.web_support import PASSWORD, WebUser

NEW_KEY = "the-new-server-secret-" + "y" * 40
STRANGER_KEY = "not-the-old-secret-at-all-" + "z" * 40
SOURCE = "+33612345678"
CURATOR_SMS = "+33698765432"
AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(4000)
RECORDING = "RE" + "c" * 32


def rebuilt(monkeypatch, secret: str, old: str | None):
    """The service as restarted with this secret (and old secret): a new app on the same Redis."""
    monkeypatch.setenv("SCREENER_SECRET_KEY", secret)
    if old:
        monkeypatch.setenv("SCREENER_SECRET_KEY_OLD", old)
    else:
        monkeypatch.delenv("SCREENER_SECRET_KEY_OLD", raising=False)
    return create_app({"TESTING": True}, settings=load_settings())


def curator_on(app, name: str = "cora") -> WebUser:
    if app.extensions["screener"].users.get(name) is None:
        app.extensions["screener"].users.create(name, Role.CURATOR, PASSWORD)
    user = WebUser(app.test_client())
    assert user.login(name).status_code == 302
    return user


@pytest.fixture
def under_old_key(twilio, svc, line, outbox, run_worker):
    """Under the first secret: a completed call from SOURCE whose recording is archived, and a second call
    from SOURCE reported by a curator. Returns the first call's CallSid and the caller's link hash."""
    first = twilio.call(SOURCE)
    outbox.recordings[RECORDING] = AUDIO
    twilio.post("/voice/recording?kind=forward", {
        "CallSid": first.sim.sid, "AccountSid": ACCOUNT_SID, "RecordingSid": RECORDING,
        "RecordingStatus": "completed", "RecordingDuration": "12",
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING}"})
    twilio.post("/voice/status", first.sim.status_form("completed"))
    second = twilio.call(SOURCE)
    twilio.post("/voice/voicemail/transcription", {"CallSid": second.sim.sid, "AccountSid": ACCOUNT_SID,
                                                  "TranscriptionText": "I know where you live",
                                                  "TranscriptionStatus": "completed"})
    run_worker()
    assert svc.recordings.get(RECORDING)["state"] == "archived"
    return first.sim.sid, second.sim.sid, svc.calls.record(first.sim.sid).caller_hash


def history_count(user: WebUser, caller_hash: str) -> int:
    html = user.get(f"/calls/caller/{caller_hash}").get_data(as_text=True)
    return int(re.search(r"(\d+) calls from this number", html).group(1))


def searched(user: WebUser) -> int:
    return user.get("/calls/?number=%2B33+6+12+34+56+78").get_data(as_text=True).count("+3361•••••78</")


def report_and_block(user: WebUser, sid: str, svc) -> None:
    """A curator reports the call, then accepts the report: the caller's full number goes on the blocklist."""
    assert user.post(f"/calls/{sid}/report", {"note": "threats"}, token_from=f"/calls/{sid}/report").status_code == 302
    [report] = svc.reviews.open_reports()
    user.post(f"/reviews/{report.id}/accept", {"category": "intimidation", "note": "ok"}, token_from="/reviews/")
    assert svc.blocklist.get(SOURCE) is not None, "the reported number could not be read"


def test_during_the_change_old_numbers_recordings_and_history_still_work(under_old_key, monkeypatch, settings):
    first_sid, _, old_hash = under_old_key
    app = rebuilt(monkeypatch, NEW_KEY, SECRET_KEY)
    svc = app.extensions["screener"]
    curator = curator_on(app)
    assert searched(curator) == 2  # found by the number though it was hashed under the old secret
    third = Twilio(app.test_client()).call(SOURCE)
    assert svc.calls.record(third.sim.sid).caller_hash != old_hash  # hashed under the new secret only
    assert searched(curator) == 3
    assert history_count(curator, old_hash) == 3  # a page reached from an old call shows the new one too
    assert history_count(curator, svc.calls.record(third.sim.sid).caller_hash) == 3
    assert RecordingFiles.from_settings(load_settings()).read(RECORDING, sha256(AUDIO)) == AUDIO
    report_and_block(curator, first_sid, svc)


def test_a_campaign_counts_the_calls_from_before_the_change(twilio, svc, line, cli, outbox, run_worker, monkeypatch):
    cli("curators", "set", "--sms", CURATOR_SMS)
    for _ in range(4):
        twilio.call(SOURCE)
    run_worker()
    app = rebuilt(monkeypatch, NEW_KEY, SECRET_KEY)
    Twilio(app.test_client()).call(SOURCE)  # the fifth call to the line within the hour
    run_worker()
    assert len([m for m in outbox.messages if "possible campaign" in m["body"]]) == 1


def test_rewrap_moves_everything_so_that_the_old_secret_can_go(under_old_key, monkeypatch, cli, run_worker):
    first_sid, second_sid, old_hash = under_old_key
    before = rebuilt(monkeypatch, SECRET_KEY, None)
    curator_on(before).post(f"/calls/{second_sid}/report", {"note": "threats"}, token_from=f"/calls/{second_sid}/report")
    totp = pyotp.random_base32()
    users = before.extensions["screener"].users
    users.save(replace(users.create("tess", Role.ADMIN, PASSWORD), totp_secret=totp))
    rebuilt(monkeypatch, NEW_KEY, SECRET_KEY)
    done = cli("secret", "rewrap")
    assert done.exit_code == 0, done.output
    assert "numbers in the call log: 2 re-encrypted" in done.output
    assert "voicemail transcriptions: 1 re-encrypted" in done.output
    assert "reports in the review queue: 1 re-encrypted or re-linked" in done.output
    assert "callers: 1 re-linked" in done.output and "recordings: 1 re-encrypted" in done.output
    assert "two-step sign-in secrets: 1 sealed anew" in done.output
    again = cli("secret", "rewrap")
    assert again.exit_code == 0 and "numbers in the call log: 0 re-encrypted, 2 already" in again.output
    assert "recordings: 0 re-encrypted, 1 already" in again.output

    app = rebuilt(monkeypatch, NEW_KEY, None)  # the old secret is dropped
    svc = app.extensions["screener"]
    curator = curator_on(app)
    Twilio(app.test_client()).call(SOURCE)
    assert searched(curator) == 3 and history_count(curator, old_hash) == 3
    assert RecordingFiles.from_settings(load_settings()).read(RECORDING, sha256(AUDIO)) == AUDIO
    [report] = svc.reviews.open_reports()
    assert svc.reviews.open_for_caller(svc.calls.record(first_sid).caller_hash) == report  # not reported twice
    curator.post(f"/reviews/{report.id}/accept", {"category": "intimidation", "note": "ok"}, token_from="/reviews/")
    assert svc.blocklist.get(SOURCE) is not None  # the report's number still opens
    assert svc.users.verify_totp(svc.users.get("tess"), pyotp.TOTP(totp).now())
    verified = cli("verify")
    assert verified.exit_code == 0, verified.output
    checked = cli("secret", "rewrap")  # without the old value: nothing is left under it
    assert checked.exit_code == 0 and "UNREADABLE" not in checked.output, checked.output
    assert "evidence:" in verified.output and "1 recording)" in verified.output


def test_a_wrong_old_secret_is_reported_and_loses_nothing(under_old_key, monkeypatch, cli):
    first_sid, _, old_hash = under_old_key
    rebuilt(monkeypatch, NEW_KEY, STRANGER_KEY)
    refused = cli("secret", "rewrap")
    assert refused.exit_code == 1
    assert "2 UNREADABLE" in refused.output and "recordings: 0 re-encrypted" in refused.output
    assert "is SCREENER_SECRET_KEY_OLD the value used before the change?" in refused.output

    rebuilt(monkeypatch, NEW_KEY, SECRET_KEY)  # the right old value: nothing was lost
    assert cli("secret", "rewrap").exit_code == 0
    app = rebuilt(monkeypatch, NEW_KEY, None)
    curator = curator_on(app)
    assert searched(curator) == 2 and history_count(curator, old_hash) == 2
    assert RecordingFiles.from_settings(load_settings()).read(RECORDING, sha256(AUDIO)) == AUDIO
    report_and_block(curator, first_sid, app.extensions["screener"])


def test_rewrap_seals_partners_feed_tokens_anew(svc, monkeypatch, cli, tmp_path):
    """A partner's bearer token, sealed under the old secret, still opens after the change and the rewrap."""
    from screener.federation import partners, signing

    before = rebuilt(monkeypatch, SECRET_KEY, None).extensions["screener"]
    public = signing.generate(tmp_path / "civicert.key")
    partners.add(before, "cli:pavel", "civicert", "http://127.0.0.1:9/feed/", public, "review", "s3cret-token")
    sealed = before.peers.get("civicert").token_sealed
    assert "s3cret-token" not in sealed

    rebuilt(monkeypatch, NEW_KEY, SECRET_KEY)
    done = cli("secret", "rewrap")
    assert done.exit_code == 0, done.output
    assert "partners' feed tokens: 1 sealed anew" in done.output
    assert "partners' feed tokens: 0 sealed anew, 1 already" in cli("secret", "rewrap").output

    svc = rebuilt(monkeypatch, NEW_KEY, None).extensions["screener"]  # the old secret is dropped
    peer = svc.peers.get("civicert")
    assert peer.token_sealed != sealed and peer.trust == "review"  # nothing else about the partner changed
    assert partners.client_for(svc, peer).headers == {"Authorization": "Bearer s3cret-token"}


def test_a_partner_token_no_secret_opens_is_reported_and_kept(svc, monkeypatch, cli, tmp_path):
    from screener.federation import partners, signing

    before = rebuilt(monkeypatch, SECRET_KEY, None).extensions["screener"]
    partners.add(before, "cli:pavel", "civicert", "http://127.0.0.1:9/feed/",
                 signing.generate(tmp_path / "civicert.key"), "auto", "s3cret-token")
    sealed = before.peers.get("civicert").token_sealed
    rebuilt(monkeypatch, NEW_KEY, STRANGER_KEY)
    refused = cli("secret", "rewrap")
    assert refused.exit_code == 1 and "partners' feed tokens: 0 sealed anew, 0 already under SCREENER_SECRET_KEY, 1 UNREADABLE" in refused.output
    rebuilt(monkeypatch, NEW_KEY, SECRET_KEY)
    assert cli("secret", "rewrap").exit_code == 0
    svc = rebuilt(monkeypatch, NEW_KEY, None).extensions["screener"]
    assert svc.peers.get("civicert").token_sealed != sealed
    assert partners.client_for(svc, svc.peers.get("civicert")).headers["Authorization"] == "Bearer s3cret-token"
