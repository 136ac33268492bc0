"""The Twilio stand-in refuses what Twilio's own API description refuses, the way Twilio answers it."""
import pytest
import requests

from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE

CALLS = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
CALL = {"To": "+48601234567", "From": LINE, "Url": "https://screener.example.org/voice/screen/whisper"}


@pytest.fixture
def api(outbox_server):
    _, server = outbox_server
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def send(method: str, path: str, **kwargs):
        return requests.request(method, base + path, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5, **kwargs)

    return send


def refused(outbox) -> list[str]:
    """The violations the stand-in kept, taken so that the test's own teardown check passes."""
    found = list(outbox.violations)
    outbox.violations.clear()
    return found


def test_a_conforming_call_is_placed(api, outbox):
    response = api("POST", CALLS, data={**CALL, "StatusCallbackEvent": ["answered", "completed"], "Timeout": "25"})
    assert response.status_code == 201 and outbox.violations == []


def test_a_missing_required_parameter_is_a_twilio_400(api, outbox):
    response = api("POST", CALLS, data={"To": CALL["To"], "Url": CALL["Url"]})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"} and body["status"] == 400
    assert "'From' is a required property" in body["message"]
    assert len(refused(outbox)) == 1 and outbox.calls == []


@pytest.mark.parametrize("form, why", [
    ({**CALL, "Timeout": "soon"}, "integer"),
    ({**CALL, "Method": "PUT"}, "is not one of"),
    ({**CALL, "Url": "https://bad_host.example.org/x"}, "is not a 'uri'"),
    ({**CALL, "From": "0601234567"}, "is not a 'endpoint'"),
    ({**CALL, "Colour": "blue"}, "unknown parameter 'Colour'"),
])
def test_a_request_twilios_description_refuses_is_answered_400_and_kept(api, outbox, form, why):
    response = api("POST", CALLS, data=form)
    assert response.status_code == 400 and why in response.json()["message"]
    [violation] = refused(outbox)
    assert why in violation


def test_an_update_to_a_status_twilio_does_not_know_is_refused(api, outbox):
    response = api("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA{'3' * 32}.json", data={"Status": "ended"})
    assert response.status_code == 400 and "'ended' is not one of ['canceled', 'completed']" in refused(outbox)[0]


def test_a_path_twilio_does_not_have_is_404_and_a_method_it_does_not_allow_is_405(api, outbox):
    assert api("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Nothing.json").status_code == 404
    assert api("PUT", CALLS, data=CALL).status_code == 405
    assert len(refused(outbox)) == 2


def test_an_unknown_list_filter_is_refused(api, outbox):
    response = api("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json",
                   params={"Number": LINE})
    assert response.status_code == 400 and "unknown query parameter 'Number'" in refused(outbox)[0]


def test_the_account_number_list_filters_by_phone_number_as_twilio_does(api, outbox):
    outbox.add_number("+12025550188")
    listed = api("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json",
                 params={"PhoneNumber": "+1202555014*"}).json()
    assert [n["phone_number"] for n in listed["incoming_phone_numbers"]] == [LINE]
    assert listed["next_page_uri"] is None and outbox.violations == []


RECORDING = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA{'3' * 32}/Recordings/Twilio.CURRENT.json"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic x"}


def test_stopping_a_live_calls_current_recording_conforms():
    from screener.dev import twilio_contract

    assert twilio_contract.load().violations("POST", RECORDING, FORM, b"Status=stopped") == []


@pytest.mark.parametrize("form, why", [(b"Status=ended", "is not one of"),
                                       (b"PauseBehavior=skip", "'Status' is a required property")])
def test_a_recording_update_twilio_refuses_is_refused(form, why):
    from screener.dev import twilio_contract

    [violation] = twilio_contract.load().violations("POST", RECORDING, FORM, form)
    assert violation.status == 400 and why in violation.text
