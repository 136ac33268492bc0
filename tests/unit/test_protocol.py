"""What every /voice/* step reads from Twilio's requests."""
from screener.voice.protocol import recording_sid_of

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
