"""Every URL we hand to Twilio carries the connection overrides, and Twilio's requests to it (signed
without the fragment, as Twilio documents) still pass the signature check."""
from xml.etree import ElementTree

import pytest
from twilio.request_validator import RequestValidator

from screener import create_app
from screener.config import load_settings
from screener.dev.simulate import SimulatedCall
from screener.model import Line
from screener.store.redis_process import RedisProcess, free_port
from screener.voice.protocol import step_url
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, DESTINATION, LINE, OVERRIDES, Twilio

URL_ATTRIBUTES = ("action", "statusCallback", "recordingStatusCallback", "transcribeCallback")
NAME_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'1' * 32}"


def urls_in(document: bytes) -> list[str]:
    """Every URL a TwiML document gives Twilio to call back: URL attributes and <Redirect>s."""
    found = []
    for element in ElementTree.fromstring(document).iter():
        found += [element.get(name) for name in URL_ATTRIBUTES if element.get(name)]
        if element.tag == "Redirect":
            found.append(element.text)
    return found


def test_a_request_signed_without_the_fragment_passes(twilio, svc, line):
    sim = twilio.call("+442079460123").sim
    url = "http://localhost/voice/status"  # what Twilio signs for .../voice/status#rc=...
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, sim.status_form("completed"))
    response = twilio.client.post("/voice/status", data=sim.status_form("completed"),
                                  headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert svc.calls.get(sim.sid)["status"] == "completed"


def test_a_callback_to_a_url_with_a_query_is_signed_for_the_query_without_the_fragment(twilio, svc, line):
    sim = SimulatedCall(from_="anonymous", to=LINE, account_sid=ACCOUNT_SID)
    form = {**sim.incoming_form(), "RecordingSid": "RE" + "2" * 32, "RecordingStatus": "completed"}
    response = twilio.callback("/voice/recording?kind=voicemail" + OVERRIDES, form)
    assert response.status_code == 200 and len(response.attempts) == 1
    assert svc.recordings.get("RE" + "2" * 32)["kind"] == "voicemail"


def test_every_twiml_url_of_the_screening_dialogue_carries_the_overrides(twilio, svc, line):
    from dataclasses import replace

    svc.lines.save(replace(line, recording=True, transcribe=True))
    first = twilio.call("anonymous")
    held = twilio.post("/voice/screen/name", {**first.sim.incoming_form(), "RecordingUrl": NAME_URL})
    voicemail = twilio.post("/voice/screen/done?then=voicemail", first.sim.incoming_form())
    urls = urls_in(first.data) + urls_in(held.data) + urls_in(voicemail.data)
    assert len(urls) >= 6
    assert all(url.endswith(OVERRIDES) and url.count("#") == 1 for url in urls), urls


def test_the_rest_urls_of_a_call_we_place_or_move_carry_the_overrides(twilio, svc, outbox, line):
    sim = twilio.call("anonymous").sim
    twilio.post("/voice/screen/name", {**sim.incoming_form(), "RecordingUrl": NAME_URL})
    [placed] = outbox.calls
    assert placed["Url"].endswith(OVERRIDES) and "?call=" in placed["Url"].split("#")[0]
    assert placed["StatusCallback"].endswith(OVERRIDES)
    leg = {**SimulatedCall(from_=LINE, to="", account_sid=ACCOUNT_SID, sid=placed["sid"]).incoming_form(),
           "CallStatus": "in-progress"}
    twilio.post(f"/voice/screen/choice?call={sim.sid}", {**leg, "Digits": "2"})
    [(moved, update)] = outbox.call_updates
    assert moved == sim.sid and update["Url"].endswith("?then=voicemail" + OVERRIDES)


@pytest.fixture
def restartable_redis(env, monkeypatch, tmp_path):
    """An app on a Redis of its own on a fixed port, which a test can kill and start again, and whose spool
    takes nothing (as when it is full: otherwise a callback Redis refuses is spooled and answered 200, see
    tests/integration/test_outage.py). Yields (Twilio, the RedisProcess)."""
    server = RedisProcess(tmp_path, port=free_port()).start()
    monkeypatch.setenv("REDIS_URL", server.url)
    app = create_app({"TESTING": True}, settings=load_settings())
    app.extensions["screener.outage"].spool_file.max_bytes = 0
    app.extensions["screener"].lines.save(Line(LINE, DESTINATION, "US"))
    yield Twilio(app.test_client()), server, app.extensions["screener"]
    server.kill()


def test_a_status_callback_refused_while_redis_is_down_is_retried_and_applied_once_it_is_back(restartable_redis):
    twilio, redis_server, svc = restartable_redis
    sim = twilio.call("+442079460123").sim
    redis_server.kill()
    response = twilio.callback(step_url("", "status"), sim.status_form("completed", duration=30),
                               before_retry=lambda attempt: redis_server.start())
    assert [r.status_code for r in response.attempts] == [503, 200]
    record = svc.calls.get(sim.sid)  # the restarted Redis kept nothing: the callback starts the record
    assert record["status"] == "completed" and record["duration"] == "30"
    assert [e["call_sid"] for e in svc.evidence.chain.entries()] == [sim.sid]


def test_without_overrides_a_refused_status_callback_is_not_retried(restartable_redis):
    twilio, redis_server, svc = restartable_redis
    sim = twilio.call("+442079460123").sim
    redis_server.kill()
    response = twilio.callback("/voice/status", sim.status_form("completed"),
                               before_retry=lambda attempt: redis_server.start())
    assert [r.status_code for r in response.attempts] == [503]  # lost: only reconciliation can heal it
