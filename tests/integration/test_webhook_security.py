"""Only Twilio, signing with our token for the URL it called, gets an answer; bad input never 500s."""
import logging
from xml.etree import ElementTree

import pytest

from screener import create_app
from screener.config import load_settings
from screener.dev.simulate import SimulatedCall, signature
from tests.conftest import ACCOUNT_SID, DESTINATION, LINE, Twilio

ORDINARY = "+442079460123"


@pytest.fixture
def form():
    return SimulatedCall(from_=ORDINARY, to=LINE, account_sid=ACCOUNT_SID).incoming_form()


def assert_nothing_logged(svc):
    assert svc.calls.recent() == []
    assert svc.alerts.count == 0


def test_unsigned_request_is_403_and_not_logged(client, svc, line, form):
    assert client.post("/voice/incoming", data=form).status_code == 403
    assert_nothing_logged(svc)


def test_forged_signature_is_403(client, svc, line, form):
    response = client.post("/voice/incoming", data=form, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert response.status_code == 403
    assert_nothing_logged(svc)


def test_signature_for_another_url_is_403(twilio, svc, line, form):
    response = twilio.post("/voice/incoming", form, signed_url="http://localhost/voice/status")
    assert response.status_code == 403
    assert_nothing_logged(svc)


def test_signature_with_another_token_is_403(twilio, svc, line, form):
    assert twilio.post("/voice/incoming", form, token="someone-elses-token").status_code == 403
    assert_nothing_logged(svc)


def test_tampered_body_is_403(client, svc, line, form):
    sig = signature("test-auth-token-0123456789abcdef", "http://localhost/voice/incoming", form)
    response = client.post("/voice/incoming", data={**form, "From": "+441234"}, headers={"X-Twilio-Signature": sig})
    assert response.status_code == 403


@pytest.mark.parametrize("path", [
    "/voice/status", "/voice/recording", "/voice/blocked/recorded", "/voice/forward",
    "/voice/screen/name", "/voice/screen/silent", "/voice/screen/whisper", "/voice/screen/choice",
    "/voice/screen/announce", "/voice/screen/conference", "/voice/screen/ended", "/voice/screen/left",
    "/voice/screen/leg", "/voice/screen/done", "/voice/voicemail/done", "/voice/voicemail/transcription",
])
def test_every_voice_step_checks_the_signature(client, line, form, path):
    assert client.post(path, data=form).status_code == 403


def test_refusals_are_counted_in_metrics(client, line, form):
    client.post("/voice/incoming", data=form)
    text = client.get("/metrics").get_data(as_text=True)
    assert "screener_signature_failures_total" in text
    value = [l for l in text.splitlines() if l.startswith("screener_signature_failures_total ")][0]
    assert float(value.split()[1]) >= 1


def test_behind_a_proxy_the_public_url_is_what_must_be_signed(env, monkeypatch, redis_client, line, form):
    monkeypatch.setenv("SCREENER_PUBLIC_URL", "https://screener.example.org")
    app = create_app({"TESTING": True}, settings=load_settings())
    twilio = Twilio(app.test_client())
    public = twilio.post("/voice/incoming", form, signed_url="https://screener.example.org/voice/incoming")
    assert public.status_code == 200
    internal = twilio.post("/voice/incoming", form, signed_url="http://localhost/voice/incoming")
    assert internal.status_code == 403
    with_port = twilio.post("/voice/incoming", {**form, "CallSid": "CA" + "9" * 32},
                            signed_url="https://screener.example.org:443/voice/incoming")
    assert with_port.status_code == 200  # Twilio sometimes signs the default port too


def test_get_is_refused(client):
    assert client.get("/voice/incoming").status_code == 405


def test_json_body_is_415(twilio, svc, line, form):
    sig = signature("test-auth-token-0123456789abcdef", "http://localhost/voice/incoming", {})
    response = twilio.client.post("/voice/incoming", json=form, headers={"X-Twilio-Signature": sig})
    assert response.status_code == 415
    assert_nothing_logged(svc)


def test_missing_call_sid_is_400_without_a_write(twilio, svc, line, form):
    del form["CallSid"]
    assert twilio.post("/voice/incoming", form).status_code == 400
    assert_nothing_logged(svc)


def test_huge_body_is_413(twilio, svc, line, form):
    form["Junk"] = "x" * 200_000
    assert twilio.post("/voice/incoming", form).status_code == 413
    assert_nothing_logged(svc)


def test_huge_from_is_screened_not_an_error(twilio, line, form):
    response = twilio.call("+" + "7" * 5000)
    assert response.status_code == 200
    assert b"<Record" in response.data and b"<Dial" not in response.data


def test_bad_status_values_are_400(twilio, line, form):
    assert twilio.post("/voice/status", {**form, "CallStatus": "exploded"}).status_code == 400
    assert twilio.post("/voice/status", {**form, "CallStatus": "completed", "CallDuration": "-1"}).status_code == 400


def test_when_redis_dies_a_known_line_still_gets_safe_twiml(doomed_redis, caplog, outbox):
    twilio, kill_redis = doomed_redis
    assert b"<Dial" in twilio.call(ORDINARY).data  # the process has now seen the line's settings
    kill_redis()
    with caplog.at_level(logging.ERROR, logger="screener.voice"):
        response = twilio.call(ORDINARY)
    assert response.status_code == 200
    assert b"<Record" in response.data and b"<Dial" not in response.data
    assert any("store_unreachable" in r.getMessage() for r in caplog.records)
    name_step = twilio.post("/voice/screen/name", {
        **SimulatedCall(from_=ORDINARY, to=LINE, account_sid=ACCOUNT_SID).incoming_form(),
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1"})
    assert name_step.status_code == 200
    assert ElementTree.fromstring(name_step.data).find("Dial/Conference") is not None  # held for the press secretary
    assert [call["To"] for call in outbox.calls] == [DESTINATION]  # who is rung all the same


def test_when_redis_is_down_and_nothing_is_known_the_caller_is_screened(env, monkeypatch, redis_client):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    down = create_app({"TESTING": True}, settings=load_settings())
    response = Twilio(down.test_client()).call(ORDINARY)
    assert response.status_code == 200 and b"<Record" in response.data
    name_step = Twilio(down.test_client()).post(
        "/voice/screen/name", SimulatedCall(from_=ORDINARY, to=LINE, account_sid=ACCOUNT_SID).incoming_form())
    assert name_step.status_code == 200 and b"<Hangup" in name_step.data


def test_readyz_reports_redis_state(client, env, monkeypatch):
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    down = create_app({"TESTING": True}, settings=load_settings())
    assert down.test_client().get("/readyz").status_code == 503
