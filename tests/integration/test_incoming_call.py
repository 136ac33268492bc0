"""/voice/incoming as Twilio and others see it: answered in front of Flask, with the same checks and answers."""
import logging
import threading
import time
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from screener import create_app
from screener.config import load_settings
from screener.model import BlockMode, Line
from screener.dev.simulate import SimulatedCall, signature
from screener.store.blocklist import EntryMeta
from screener.store import scripts
from screener.store.redis_process import RedisProcess
import redis

from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, DESTINATION, LINE, OVERRIDES, Twilio

BLOCKED = "+375291234567"
ORDINARY = "+442079460123"
URL = "http://localhost/voice/incoming"


@pytest.fixture
def form():
    return SimulatedCall(from_=ORDINARY, to=LINE, account_sid=ACCOUNT_SID).incoming_form()


@pytest.fixture
def blocklisted(svc, line):
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats", added_by="test"))


def test_forged_signature_is_403_and_nothing_is_stored(client, svc, redis_client, form):
    redis_client.flushall()
    response = client.post("/voice/incoming", data=form, headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert response.status_code == 403
    assert redis_client.dbsize() == 0


def test_signature_over_the_body_and_the_url_is_what_lets_a_call_in(twilio, svc, line, form):
    assert twilio.post("/voice/incoming", form).status_code == 200
    assert len(svc.calls.recent()) == 1


def test_an_added_value_under_a_signed_name_is_403(client, line, form):
    body = urlencode(form) + "&From=%2B33612345678"
    response = client.post("/voice/incoming", data=body, content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": signature(AUTH_TOKEN, URL, form)})
    assert response.status_code == 403


def test_repeated_fields_signed_by_twilio_are_accepted(client, line, form):
    pairs = [*form.items(), ("Extra", "b"), ("Extra", "a")]
    # Signed as the validator signs a form with a repeated name (Flask's MultiDict): every value counts.
    sig = RequestValidator(AUTH_TOKEN).compute_signature(URL, MultiDict(pairs))
    response = client.post("/voice/incoming", data=urlencode(pairs), content_type="application/x-www-form-urlencoded",
                           headers={"X-Twilio-Signature": sig})
    assert response.status_code == 200


def test_the_query_string_is_signed_as_sent(twilio, svc, line, form):
    response = twilio.post("/voice/incoming?line=press%20office", form,
                           signed_url="http://localhost/voice/incoming?line=press%20office")
    assert response.status_code == 200
    decoded = twilio.post("/voice/incoming?line=press%20office", {**form, "CallSid": "CA" + "7" * 32},
                          signed_url="http://localhost/voice/incoming?line=press office")
    assert decoded.status_code == 403


def test_malformed_call_sid_is_400_and_nothing_is_stored(twilio, svc, redis_client, line, form):
    keys_before = set(redis_client.keys())
    response = twilio.post("/voice/incoming", {**form, "CallSid": "CA-not-a-sid"})
    assert response.status_code == 400
    assert b"CallSid missing or malformed" in response.data
    assert set(redis_client.keys()) == keys_before


def test_wrong_content_type_is_415(client, line, form):
    response = client.post("/voice/incoming", data=urlencode(form), content_type="text/plain",
                           headers={"X-Twilio-Signature": signature(AUTH_TOKEN, URL, form)})
    assert response.status_code == 415


def test_form_type_with_a_charset_is_accepted(client, line, form):
    response = client.post("/voice/incoming", data=urlencode(form),
                           content_type="application/x-www-form-urlencoded; charset=utf-8",
                           headers={"X-Twilio-Signature": signature(AUTH_TOKEN, URL, form)})
    assert response.status_code == 200


def test_get_is_405_and_names_post(client):
    response = client.get("/voice/incoming")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_answer_is_xml_with_its_length(twilio, line):
    response = twilio.call(ORDINARY)
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert int(response.headers["Content-Length"]) == len(response.data)


def test_every_call_writes_one_log_line_at_debug_level(twilio, line, caplog):
    with caplog.at_level(logging.DEBUG, logger="screener.voice"):
        response = twilio.call(ORDINARY)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("call ")]
    assert lines == [f"call sid={response.sim.sid} line={LINE} caller=+4420••••••23 action=forward rule=default entry=-"]


def test_calls_stay_out_of_the_service_log_by_default(twilio, svc, line, caplog):
    with caplog.at_level(logging.INFO, logger="screener.voice"):
        response = twilio.call(ORDINARY)
    assert not [r for r in caplog.records if response.sim.sid in r.getMessage()]
    assert svc.calls.get(response.sim.sid)["action"] == "forward"  # the call log has it


def test_blocked_call_is_logged_and_alerts_once(twilio, svc, blocklisted):
    response = twilio.call(BLOCKED)
    assert ElementTree.fromstring(response.data)[0].tag == "Reject"
    assert svc.calls.get(response.sim.sid)["action"] == "block"
    assert svc.alerts.count == 1


def test_a_line_change_changes_the_next_answer(twilio, svc, blocklisted):
    assert ElementTree.fromstring(twilio.call(BLOCKED).data)[0].tag == "Reject"
    svc.lines.save(Line(LINE, DESTINATION, "US", block_mode=BlockMode.MESSAGE, block_message="Goodbye."))
    root = ElementTree.fromstring(twilio.call(BLOCKED).data)
    assert [el.tag for el in root] == ["Say", "Hangup"]


def test_a_bug_still_answers_with_screening(twilio, svc, line, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(svc.call_path, "decide_and_log", broken)
    with caplog.at_level(logging.ERROR, logger="screener.voice"):
        response = twilio.call(ORDINARY)
    assert response.status_code == 200
    assert ElementTree.fromstring(response.data).find("Record").get("action") == "/voice/screen/name" + OVERRIDES
    assert any(r.getMessage().startswith("webhook_error") for r in caplog.records)


def test_behind_a_trusted_proxy_the_forwarded_url_is_what_must_be_signed(env, monkeypatch, redis_client, form):
    monkeypatch.setenv("SCREENER_TRUST_PROXY", "1")
    app = create_app({"TESTING": True}, settings=load_settings())
    app.extensions["screener"].lines.save(Line(LINE, DESTINATION, "US"))
    twilio = Twilio(app.test_client())
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "calls.example.org"}
    good = twilio.post("/voice/incoming", form, signed_url="https://calls.example.org/voice/incoming", headers=proxied)
    assert good.status_code == 200
    internal = twilio.post("/voice/incoming", {**form, "CallSid": "CA" + "8" * 32}, headers=proxied)
    assert internal.status_code == 403


def test_calls_are_logged_after_redis_forgets_its_scripts(twilio, svc, redis_client, line):
    twilio.call(ORDINARY)
    redis_client.script_flush()  # as after a restart or a failover to a replica that never ran the script
    response = twilio.call("+33612345678")
    assert ElementTree.fromstring(response.data).find("Dial") is not None
    assert svc.calls.get(response.sim.sid)["action"] == "forward"


def test_calls_are_logged_again_once_redis_is_back(env, monkeypatch, tmp_path):
    server = RedisProcess(tmp_path).start()
    monkeypatch.setenv("REDIS_URL", server.url)
    app = create_app({"TESTING": True}, settings=load_settings())
    svc = app.extensions["screener"]
    svc.lines.save(Line(LINE, DESTINATION, "US"))
    twilio = Twilio(app.test_client())
    assert b"<Dial" in twilio.call(ORDINARY).data
    server.kill()
    assert b"<Record" in twilio.call(ORDINARY).data  # screened while Redis is away
    with RedisProcess(tmp_path, port=server.port):
        svc.lines.save(Line(LINE, DESTINATION, "US"))  # a Redis without persistence came back empty
        response = twilio.call(ORDINARY)
        assert b"<Dial" in response.data
        assert svc.calls.get(response.sim.sid)["action"] == "forward"


def test_a_call_after_redis_was_too_slow_gets_its_own_answer(twilio, svc, redis_server, line):
    twilio.call(ORDINARY)  # this thread now has its connection
    busy = "local t = redis.call('TIME'); local stop = t[1] * 1e6 + t[2] + ARGV[1] * 1000; " \
           "repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] >= stop; return 1"
    blocker = threading.Thread(target=redis.Redis(port=redis_server.port).eval, args=(busy, 0, 700))
    blocker.start()
    time.sleep(0.1)
    slow = twilio.call("+33612345678")  # Redis answers nothing within the timeout: screened
    blocker.join()
    assert b"<Record" in slow.data
    after = twilio.call("+4915112345678")
    assert b"<Dial" in after.data
    assert svc.calls.get(after.sim.sid)["sid"] == after.sim.sid


@pytest.mark.parametrize("path", ["/voice/incoming", "/voice/status"])
def test_a_signature_that_is_not_base64_is_refused_and_counted(client, svc, line, path):
    form = SimulatedCall(ORDINARY, LINE, ACCOUNT_SID).incoming_form()
    before = _signature_failures(client)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": "ééé" * 9})
    assert response.status_code == 403
    assert _signature_failures(client) == before + 1
    assert svc.calls.get(form["CallSid"]) is None


def _signature_failures(client) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    return float([l for l in text.splitlines() if l.startswith("screener_signature_failures_total ")][0].split()[1])


def test_a_timed_out_call_is_not_sent_again(twilio, svc, redis_server, line):
    """Redis busy past the call's timeout (0.25 s) but free before a second try would time out: a second
    try would find the late first run's log entry ("dup") and skip the call's alert. Counted through
    MONITOR: only the call path script's runs for this call, not the spool's replay of its record."""
    twilio.call(ORDINARY)
    seen = _CallPathRuns(redis_server.port)
    busy = "local t = redis.call('TIME'); local stop = t[1] * 1e6 + t[2] + ARGV[1] * 1000; " \
           "repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] >= stop; return 1"
    blocker = threading.Thread(target=redis.Redis(port=redis_server.port).eval, args=(busy, 0, 450))
    blocker.start()
    time.sleep(0.1)
    slow = twilio.call("+33612345678")
    blocker.join()
    time.sleep(0.05)
    assert b"<Record" in slow.data  # the fallback answer, not a late second try's
    assert [slow.sim.sid in command for command in seen.stop()].count(True) == 1


class _CallPathRuns:
    """Every EVALSHA of the call path script Redis receives until stop(), as the command lines MONITOR shows."""

    _END = "end-of-watch"

    def __init__(self, port: int) -> None:
        self._port, self._lines, self._ready = port, [], threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        assert self._ready.wait(5)

    def _watch(self) -> None:
        sha = scripts.sha("call_path")
        with redis.Redis(port=self._port).monitor() as monitor:
            self._ready.set()
            while (command := monitor.next_command()["command"]) != f"ECHO {self._END}":
                if command.startswith(f"EVALSHA {sha}"):
                    self._lines.append(command)

    def stop(self) -> list[str]:
        """What was seen: everything Redis ran before the ECHO that ends the watch."""
        redis.Redis(port=self._port).echo(self._END)
        self._thread.join(10)
        assert not self._thread.is_alive()
        return self._lines
