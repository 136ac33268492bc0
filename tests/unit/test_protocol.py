"""What every /voice/* step reads from Twilio's requests."""
from screener.dev import twilio_webhooks as webhooks
from screener.voice.protocol import CONNECTION_OVERRIDES, STEP_PATHS, recording_sid_of, step_url, without_fragment

SID = "RE" + "a" * 32
URL = f"https://api.twilio.com/2010-04-01/Accounts/AC{'1' * 32}/Recordings/{SID}"


def test_a_record_action_names_its_recording_by_url_only():
    assert recording_sid_of({"RecordingUrl": URL, "RecordingDuration": "3"}) == SID


def test_a_recording_sid_sent_is_taken_as_sent():
    assert recording_sid_of({"RecordingSid": SID, "RecordingUrl": "https://api.twilio.com/other"}) == SID


def test_a_malformed_recording_sid_is_not_replaced_by_the_url():
    assert recording_sid_of({"RecordingSid": "../../etc/passwd", "RecordingUrl": URL}) == ""


def test_a_url_that_names_no_recording_gives_nothing():
    assert recording_sid_of({"RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls/CA1"}) == ""
    assert recording_sid_of({}) == ""


def test_a_step_url_carries_the_connection_overrides_after_its_query():
    url = step_url("https://screener.example.org", "recording", kind="voicemail")
    assert url == "https://screener.example.org/voice/recording?kind=voicemail#" + CONNECTION_OVERRIDES
    assert without_fragment(url) == "https://screener.example.org/voice/recording?kind=voicemail"


def test_every_step_url_carries_the_overrides():
    assert all(step_url("", name).endswith("#" + CONNECTION_OVERRIDES) for name in STEP_PATHS)


def test_the_overrides_retry_a_5xx_and_timeouts_within_twilios_limits():
    rules = webhooks.overrides(step_url("", "recording"))  # raises for values Twilio documents as invalid
    assert rules.retries == webhooks.MAX_RETRIES
    assert rules.retries_on(503) and rules.retries_on(webhooks.CONNECT_FAILED) and rules.retries_on(webhooks.READ_TIMED_OUT)
    assert not rules.retries_on(403)  # a refused signature stays refused


def test_without_overrides_twilio_does_not_retry_a_5xx():
    answers = webhooks.deliver("https://screener.example.org/voice/status", lambda url: 503, lambda status: status)
    assert answers == [503]


def test_without_overrides_twilio_retries_a_failed_connect_once():
    answers = webhooks.deliver("https://screener.example.org/voice/status", lambda url: webhooks.CONNECT_FAILED,
                               lambda outcome: outcome)
    assert answers == [webhooks.CONNECT_FAILED] * 2


def test_with_overrides_a_5xx_is_retried_as_often_as_they_say():
    tried = []
    answers = webhooks.deliver("/voice/status?x=1#rc=2&rp=5xx", lambda url: tried.append(url) or 503, lambda s: s)
    assert answers == [503, 503, 503] and tried == ["/voice/status?x=1"] * 3  # never with the fragment


def test_a_retry_stops_at_the_first_success():
    statuses = iter([503, 200, 503])
    assert webhooks.deliver(step_url("", "status"), lambda url: next(statuses), lambda s: s) == [503, 200]


def test_an_invalid_retry_policy_is_refused_as_twilio_would():
    import pytest

    with pytest.raises(webhooks.InvalidOverrides):
        webhooks.overrides("/voice/status#rp=5xx,sometimes")
    with pytest.raises(webhooks.InvalidOverrides):
        webhooks.overrides("/voice/status#rc=6")
