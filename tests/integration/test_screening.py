"""The screening dialogue as Twilio drives it: signed requests step by step, each TwiML answer checked."""
from dataclasses import replace
from urllib.parse import quote
from xml.etree import ElementTree

import pytest

from screener.model import BlockMode, Line
from screener.dev.simulate import SimulatedCall
from screener.store.blocklist import EntryMeta
from tests.conftest import ACCOUNT_SID, ALERT_PHONE, DESTINATION, LINE, OVERRIDES
from tests.integration.web_support import as_role, make_user, web  # noqa: F401 - fixtures

NAME_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'1' * 32}"
NAME_SID = "RE" + "1" * 32
CURATOR = "+33612345678"


def twiml(response) -> ElementTree.Element:
    assert response.status_code == 200, response.data
    return ElementTree.fromstring(response.data)


@pytest.fixture
def screened(twilio, line):
    """An anonymous caller who has been asked for a name."""
    response = twilio.call("anonymous")
    return response.sim


def name_given(twilio, sim, **extra: str):
    """The <Record> action's request, with the parameters Twilio documents for it (no RecordingSid)."""
    form = {**sim.incoming_form(), "RecordingUrl": NAME_URL, "RecordingDuration": "3", **extra}
    return twiml(twilio.post("/voice/screen/name", form))


def secretary_call(outbox) -> dict[str, str]:
    """The call we asked Twilio to make to the press secretary (exactly one)."""
    [call] = outbox.calls
    return call


_STANDIN: list = []


@pytest.fixture(autouse=True)
def _standin(outbox):
    """Lets whisper_leg find the call the Twilio stand-in placed for a caller, as Twilio would post it."""
    _STANDIN[:] = [outbox]
    yield
    _STANDIN.clear()


def whisper_leg(sim, leg_sid: str | None = None, status: str = "in-progress") -> dict[str, str]:
    """What Twilio posts on the press secretary's call: our outbound call from the line to the destination
    (by default the one placed for this caller)."""
    if leg_sid is None:
        placed = [c["sid"] for c in _STANDIN[0].calls if f"call={sim.sid}" in c["Url"]]
        leg_sid = placed[-1] if placed else "CA" + "5" * 32
    leg = SimulatedCall(from_=LINE, to=DESTINATION, account_sid=ACCOUNT_SID, sid=leg_sid)
    return {**leg.incoming_form(), "Direction": "outbound-api", "CallStatus": status}


def press(twilio, sim, digits: str | None):
    if digits is None:
        return twiml(twilio.post(f"/voice/screen/choice?call={sim.sid}&nokey=1", whisper_leg(sim)))
    return twiml(twilio.post(f"/voice/screen/choice?call={sim.sid}", {**whisper_leg(sim), "Digits": digits}))


def dial_done(twilio, sim, then: str | None = None):
    """The caller's conference is over (then=None), or we moved the caller's call: Twilio fetches /screen/done."""
    path = "/voice/screen/done" + (f"?then={then}" if then else "")
    return twiml(twilio.post(path, sim.incoming_form()))


def moved_to_done(outbox, sim, then: str = "voicemail") -> bool:
    """We moved the waiting caller's call (REST update) to /screen/done, to be given `then`."""
    return (sim.sid, {"Url": f"http://localhost/voice/screen/done?then={then}" + OVERRIDES}) in outbox.call_updates


def secretary_left(twilio, sim, call_status="in-progress", dial_status="completed"):
    """The press secretary's <Dial><Conference> ended: * pressed (still on the line) or hung up."""
    form = {**whisper_leg(sim, status=call_status), "DialCallStatus": dial_status}
    return twiml(twilio.post(f"/voice/screen/ended?call={sim.sid}", form))


def test_screened_caller_is_asked_for_a_name_and_silence_is_logged(twilio, svc, line):
    response = twilio.call("anonymous")
    root = twiml(response)
    assert [el.tag for el in root] == ["Say", "Record", "Redirect"]
    assert root.find("Record").get("action") == "/voice/screen/name" + OVERRIDES
    assert root.find("Redirect").text == "/voice/screen/silent" + OVERRIDES
    goodbye = twiml(twilio.post("/voice/screen/silent", response.sim.incoming_form()))
    assert [el.tag for el in goodbye] == ["Say", "Hangup"]
    assert svc.calls.get(response.sim.sid)["screening"] == "no_name"


def test_prompts_are_spoken_in_each_of_the_lines_languages(twilio, svc, line):
    svc.lines.save(replace(line, languages=("ru-RU", "en-US")))
    says = twiml(twilio.call("anonymous")).findall("Say")
    assert [s.get("language") for s in says] == ["ru-RU", "en-US"]
    assert "назовите" in says[0].text


def test_belarusian_line_uses_the_russian_voice(twilio, svc, line):
    svc.lines.save(replace(line, languages=("be-BY",)))
    assert twiml(twilio.call("anonymous")).find("Say").get("language") == "ru-RU"


def test_stated_name_holds_the_caller_and_rings_the_press_secretary(twilio, svc, outbox, screened):
    root = name_given(twilio, screened)
    assert [el.tag for el in root] == ["Say", "Dial"]
    assert "hold" in root.find("Say").text
    dial = root.find("Dial")
    assert dial.get("action") == "/voice/screen/done" + OVERRIDES
    conference = dial.find("Conference")
    assert conference.text == f"screen-{screened.sid}"
    assert conference.get("startConferenceOnEnter") == "false" and conference.get("endConferenceOnExit") == "false"
    assert conference.get("waitUrl") is None  # Twilio's own hold music plays meanwhile
    call = secretary_call(outbox)
    assert call["To"] == DESTINATION and call["From"] == LINE and call["Timeout"] == "25"
    assert call["Url"] == (f"http://localhost/voice/screen/whisper?call={screened.sid}&line=%2B12025550143"
                           f"&rec={quote(NAME_URL, safe='')}" + OVERRIDES)
    assert call["StatusCallback"] == f"http://localhost/voice/screen/leg?call={screened.sid}" + OVERRIDES
    record = svc.calls.get(screened.sid)
    assert record["screening"] == "ringing" and record["secretary_sid"] == call["sid"]
    assert svc.recordings.get(NAME_SID)["state"] == "notified"  # kept at Twilio until the call ends


def test_caller_who_hangs_up_while_stating_a_name_rings_nobody(twilio, svc, outbox, screened):
    root = name_given(twilio, screened, Digits="hangup")
    assert [el.tag for el in root] == ["Hangup"]
    assert outbox.calls == []
    assert svc.calls.get(screened.sid)["screening"] == "caller_hung_up"
    assert svc.recordings.get(NAME_SID)["state"] == "notified"  # the name is still archived when the call ends


def test_caller_leaves_a_message_when_the_press_secretary_cannot_be_rung(twilio, svc, outbox, screened):
    outbox.fail_calls_next = 1
    root = name_given(twilio, screened)
    assert root.find("Record").get("action") == "/voice/voicemail/done" + OVERRIDES
    assert root.find("Dial") is None
    assert svc.calls.get(screened.sid)["screening"] == "unreachable"


def test_whisper_plays_the_name_and_offers_the_choices(twilio, screened):
    name_given(twilio, screened)
    root = twiml(twilio.post(f"/voice/screen/whisper?call={screened.sid}&rec={NAME_URL}", whisper_leg(screened)))
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1" and gather.get("action") == f"/voice/screen/choice?call={screened.sid}" + OVERRIDES
    assert gather.find("Play").text == NAME_URL
    assert "Press 1 to accept" in gather.find("Say").text
    assert root.find("Redirect").text == f"/voice/screen/choice?call={screened.sid}&nokey=1" + OVERRIDES


def test_whisper_speaks_the_lines_language(twilio, svc, line, screened):
    name_given(twilio, screened)
    svc.lines.save(replace(line, languages=("uk-UA",)))
    root = twiml(twilio.post(f"/voice/screen/whisper?call={screened.sid}&line=%2B12025550143&rec={NAME_URL}",
                             whisper_leg(screened)))
    assert root.find("Gather/Say").get("language") == "uk-UA"


@pytest.mark.parametrize("media", ["http://evil.example/x.mp3", "https://evil.example/x.mp3"])
def test_whisper_refuses_media_not_from_twilio(twilio, screened, media):
    name_given(twilio, screened)
    root = twiml(twilio.post(f"/voice/screen/whisper?call={screened.sid}&rec={quote(media, safe='')}",
                             whisper_leg(screened)))
    assert root.find("Gather/Play") is None and root.find("Gather/Say") is not None


def test_1_joins_the_callers_conference_with_star_to_report(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    root = press(twilio, screened, "1")
    assert [el.tag for el in root] == ["Say", "Dial"]
    assert "press star" in root.find("Say").text
    dial = root.find("Dial")
    assert dial.get("hangupOnStar") == "true" and dial.get("action") == f"/voice/screen/ended?call={screened.sid}" + OVERRIDES
    conference = dial.find("Conference")
    assert conference.text == f"screen-{screened.sid}"
    assert conference.get("startConferenceOnEnter") == "true" and conference.get("endConferenceOnExit") == "true"
    assert conference.get("record") is None  # the line does not record
    assert svc.calls.get(screened.sid)["screening"] == "accepted"
    assert outbox.call_updates == []  # the caller stays where they are: in the conference


def test_press_secretary_hanging_up_ends_the_call_without_a_report(twilio, svc, run_worker, screened):
    name_given(twilio, screened)
    press(twilio, screened, "1")
    assert len(secretary_left(twilio, screened, call_status="completed")) == 0
    assert [el.tag for el in dial_done(twilio, screened)] == ["Say", "Hangup"]
    run_worker()
    assert svc_reviews(svc).open_reports() == []
    assert svc.calls.get(screened.sid)["screening"] == "accepted"


def test_star_ends_the_call_and_reports_the_caller(twilio, svc, cli, outbox, run_worker, screened):
    cli("curators", "set", "--sms", CURATOR)
    name_given(twilio, screened)
    press(twilio, screened, "1")
    root = secretary_left(twilio, screened)  # still on the line after leaving the conference: * was pressed
    assert [el.tag for el in root] == ["Say", "Hangup"] and "reported" in root.find("Say").text
    assert [el.tag for el in dial_done(twilio, screened)] == ["Say", "Hangup"]  # the caller is cut off
    record = svc.calls.get(screened.sid)
    assert record["screening"] == "reported" and record["ended_by"] == "star"
    run_worker()
    [report] = svc_reviews(svc).open_reports()
    assert report.call_sid == screened.sid and "key *" in report.note and NAME_SID in report.note
    [sms] = [m for m in outbox.messages if m["to"] == CURATOR]
    assert f"Review #{report.id}" in sms["body"]


def test_failed_join_sends_the_caller_to_voicemail(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    press(twilio, screened, "1")
    assert [el.tag for el in secretary_left(twilio, screened, dial_status="failed")] == ["Say", "Hangup"]
    assert moved_to_done(outbox, screened)
    assert dial_done(twilio, screened).find("Record") is not None


def test_2_sends_the_caller_to_voicemail(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    assert press(twilio, screened, "2")[0].tag == "Hangup"
    assert moved_to_done(outbox, screened)
    root = dial_done(twilio, screened)
    record = root.find("Record")
    assert record.get("action") == "/voice/voicemail/done" + OVERRIDES
    assert record.get("recordingStatusCallback") == "/voice/recording?kind=voicemail" + OVERRIDES
    assert int(record.get("maxLength")) <= 300


def test_no_key_counts_as_voicemail(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    assert press(twilio, screened, None)[0].tag == "Hangup"
    assert svc.calls.get(screened.sid)["screening"] == "voicemail"
    assert moved_to_done(outbox, screened)
    assert dial_done(twilio, screened).find("Record") is not None


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "completed"])
def test_press_secretary_not_answering_sends_the_caller_to_voicemail(twilio, svc, outbox, screened, status):
    name_given(twilio, screened)
    leg = secretary_call(outbox)["sid"]
    response = twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, leg, status))
    assert response.status_code == 200
    assert moved_to_done(outbox, screened)
    assert svc.calls.get(screened.sid)["screening"] in ("no_answer", "voicemail")
    assert dial_done(twilio, screened).find("Record") is not None


def test_press_secretary_call_ending_after_a_choice_changes_nothing(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    press(twilio, screened, "2")
    outbox.call_updates.clear()
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, status="completed"))
    assert outbox.call_updates == [] and svc.calls.get(screened.sid)["screening"] == "voicemail"


def test_9_ends_the_call_opens_a_review_with_evidence_and_alerts_curators(twilio, svc, cli, outbox, run_worker,
                                                                          screened):
    cli("curators", "set", "--sms", CURATOR)
    name_given(twilio, screened)
    root = press(twilio, screened, "9")
    assert [el.tag for el in root] == ["Say", "Hangup"] and "reported" in root.find("Say").text
    assert moved_to_done(outbox, screened, then="reported")
    assert [el.tag for el in dial_done(twilio, screened, then="reported")] == ["Say", "Hangup"]
    run_worker()
    [report] = svc_reviews(svc).open_reports()
    assert report.call_sid == screened.sid and report.reported_by == "phone"
    assert NAME_SID in report.note  # the recorded name is the evidence
    [sms] = outbox.messages
    assert sms["to"] == CURATOR and f"Review #{report.id}" in sms["body"]


def test_caller_hanging_up_while_the_phone_rings_stops_it(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    leg = secretary_call(outbox)["sid"]
    assert twilio.post("/voice/status", screened.status_form("completed")).status_code == 200
    assert outbox.call_updates == [(leg, {"Status": "completed"})]
    assert svc.calls.get(screened.sid)["screening"] == "caller_hung_up"
    # The press secretary answered anyway, in the instant before: 1 cannot connect to nobody.
    root = press(twilio, screened, "1")
    assert "no longer waiting" in root.find("Say").text and root.find("Dial") is None


@pytest.mark.parametrize("answered_callback", ["before", "after", "never"])
def test_caller_hanging_up_during_the_whisper_lets_the_press_secretary_report_them(twilio, outbox, screened,
                                                                                  answered_callback):
    """Twilio's callbacks come in any order: serving the whisper proves the press secretary answered."""
    name_given(twilio, screened)
    leg = secretary_call(outbox)["sid"]
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, leg, "ringing"))
    if answered_callback == "before":
        twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, leg, "in-progress"))
    twilio.post(f"/voice/screen/whisper?call={screened.sid}&rec={NAME_URL}", whisper_leg(screened, leg))
    late = twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, leg, "ringing"))
    assert late.status_code == 200  # a late ringing changes nothing
    twilio.post("/voice/status", screened.status_form("completed"))
    if answered_callback == "after":
        twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, leg, "in-progress"))
    assert outbox.call_updates == [(leg, {"Url": f"http://localhost/voice/screen/left?call={screened.sid}{OVERRIDES}"})]


def test_caller_hanging_up_mid_call_lets_the_press_secretary_report_them(twilio, svc, outbox, run_worker,
                                                                         screened):
    name_given(twilio, screened)
    leg = secretary_call(outbox)["sid"]
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, leg, "in-progress"))
    press(twilio, screened, "1")
    twilio.post("/voice/status", screened.status_form("completed"))
    left_url = f"http://localhost/voice/screen/left?call={screened.sid}" + OVERRIDES
    assert outbox.call_updates == [(leg, {"Url": left_url})]
    prompt = twiml(twilio.post(f"/voice/screen/left?call={screened.sid}", whisper_leg(screened, leg)))
    gather = prompt.find("Gather")
    assert "Press 9" in gather.find("Say").text and gather.get("action") == f"/voice/screen/left?call={screened.sid}" + OVERRIDES
    # Moving the call out of the conference may also fire the Dial's action: that is not a *.
    assert secretary_left(twilio, screened).find("Gather") is not None
    run_worker()
    assert svc_reviews(svc).open_reports() == []
    root = twiml(twilio.post(f"/voice/screen/left?call={screened.sid}", {**whisper_leg(screened, leg), "Digits": "9"}))
    assert "reported" in root.find("Say").text
    run_worker()
    [report] = svc_reviews(svc).open_reports()
    assert report.call_sid == screened.sid and "hung up" in report.note


def test_recorded_lines_record_the_connected_call_in_two_channels_after_a_notice(twilio, svc, line, outbox,
                                                                                 screened):
    svc.lines.save(replace(line, recording=True))
    says = [el.text for el in name_given(twilio, screened).findall("Say")]
    assert any("recorded" in text for text in says)  # before anything is recorded
    assert outbox.call_recordings == []
    assert press(twilio, screened, "1").find("Dial/Conference") is not None
    callback = f"http://localhost/voice/recording?kind=forward&call={screened.sid}" + OVERRIDES
    [(recorded_sid, form)] = outbox.call_recordings
    assert recorded_sid == screened.sid and form["RecordingChannels"] == "dual"
    assert form["RecordingStatusCallback"] == callback
    # Twilio's callback for it: filed under the caller's call, archived like every recording.
    done = {**screened.incoming_form(), "RecordingSid": "RE" + "3" * 32, "RecordingUrl": NAME_URL,
            "RecordingStatus": "completed", "RecordingDuration": "61", "RecordingChannels": "2"}
    assert twilio.callback(callback, done).status_code == 200
    assert svc.recordings.get("RE" + "3" * 32)["call_sid"] == screened.sid


def test_accepting_then_hanging_up_before_joining_stops_the_recording(twilio, svc, line, outbox, screened):
    svc.lines.save(replace(line, recording=True))
    name_given(twilio, screened)
    leg = secretary_call(outbox)["sid"]
    press(twilio, screened, "1")
    [(recorded_sid, _)] = outbox.call_recordings
    recording = svc.calls.get(screened.sid)["bridge_recording_sid"]
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, leg, "completed"))
    assert outbox.recording_updates == [(screened.sid, recording, {"Status": "stopped"})]
    assert [update for _, update in outbox.call_updates] == [
        {"Url": f"http://localhost/voice/screen/done?then=voicemail{OVERRIDES}"}]


def test_a_conversation_that_happened_keeps_its_recording_running_to_the_end(twilio, svc, line, outbox, screened):
    svc.lines.save(replace(line, recording=True))
    name_given(twilio, screened)
    leg = secretary_call(outbox)["sid"]
    press(twilio, screened, "1")
    joined = {"ConferenceSid": "CF" + "1" * 32, "StatusCallbackEvent": "participant-join", "CallSid": leg,
              "AccountSid": ACCOUNT_SID, "FriendlyName": f"screen-{screened.sid}"}
    twilio.post(f"/voice/screen/conference?call={screened.sid}", joined)
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, leg, "completed"))
    assert outbox.recording_updates == []


def test_lines_that_do_not_record_start_no_recording(twilio, outbox, screened):
    name_given(twilio, screened)
    press(twilio, screened, "1")
    assert outbox.call_recordings == []


def svc_reviews(svc):
    from screener.store.reviews import Reviews

    return Reviews(svc.client, svc.keys)


def test_voicemail_alerts_the_line_without_the_callers_number(twilio, svc, outbox, run_worker, line):
    svc.lines.save(line.with_policy(ordinary="voicemail"))
    sim = SimulatedCall("+442079460123", LINE, ACCOUNT_SID)  # an ordinary caller: personal data
    assert twiml(twilio.post("/voice/incoming", sim.incoming_form())).find("Record") is not None
    done = twiml(twilio.post("/voice/voicemail/done", {**sim.incoming_form(), "RecordingDuration": "31",
                                                        "RecordingUrl": NAME_URL}))
    assert [el.tag for el in done] == ["Say", "Hangup"]
    run_worker()
    [sms] = outbox.messages
    assert sms["to"] == ALERT_PHONE and "voicemail (31 s)" in sms["body"]
    assert "+442079460123" not in sms["body"] and "442079460123" not in sms["body"]
    assert NAME_URL not in sms["body"]


def test_voicemail_transcription_is_kept_encrypted(twilio, svc, line):
    sim = twilio.call("+442079460123").sim
    form = {**sim.incoming_form(), "TranscriptionText": "I know where your mother lives", "TranscriptionStatus": "completed"}
    assert twilio.post("/voice/voicemail/transcription", form).status_code == 200
    record = svc.calls.get(sim.sid)
    assert "mother" not in str(record)
    assert svc.vault.decrypt(record["transcription_encrypted"]) == "I know where your mother lives"


def test_transcription_is_asked_for_when_the_line_wants_it(twilio, svc, line):
    svc.lines.save(replace(line.with_policy(ordinary="voicemail"), transcribe=True))
    record = twiml(twilio.call("+442079460123")).find("Record")
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback") == "/voice/voicemail/transcription" + OVERRIDES


def test_name_recording_is_archived_once_the_call_ends(twilio, svc, outbox, run_worker, screened):
    outbox.recordings[NAME_SID] = b"RIFF-name"
    name_given(twilio, screened)
    run_worker()
    assert outbox.deleted == []  # still needed for the whisper
    twilio.post("/voice/status", screened.status_form("completed"))
    run_worker()
    assert outbox.deleted == [NAME_SID] and svc.recordings.get(NAME_SID)["state"] == "archived"


def test_screen_list_entry_is_screened_not_blocked(twilio, svc, line):
    svc.blocklist.add_many(["+44207*"], EntryMeta(reason="unclear", action="screen"))
    response = twilio.call("+442079460123")
    root = twiml(response)
    assert root.find("Record") is not None and root.find("Reject") is None
    assert svc.calls.get(response.sim.sid)["rule"] == "screenlist"


def test_failed_stir_check_is_screened_on_lines_that_ask(twilio, svc, line):
    svc.lines.allow(LINE, "+442079460123")
    sim = SimulatedCall("+442079460123", LINE, ACCOUNT_SID)
    spoofed = {**sim.incoming_form(), "StirVerstat": "TN-Validation-Failed-A"}
    assert twiml(twilio.post("/voice/incoming", spoofed)).find("Dial") is not None  # line does not ask
    svc.lines.save(replace(line, screen_unverified=True))
    spoofed["CallSid"] = "CA" + "e" * 32
    response = twilio.post("/voice/incoming", spoofed)
    assert twiml(response).find("Record") is not None
    assert svc.calls.get("CA" + "e" * 32)["rule"] == "stir"
    verified = {**spoofed, "CallSid": "CA" + "f" * 32, "StirVerstat": "TN-Validation-Passed-A"}
    assert twiml(twilio.post("/voice/incoming", verified)).find("Dial") is not None


def test_blocked_caller_can_be_recorded_as_evidence_never_connected(twilio, svc, line):
    svc.lines.save(replace(line, block_mode=BlockMode.RECORD, languages=("en-US",)))
    svc.blocklist.add_many(["+375291234567"], EntryMeta(reason="threats"))
    root = twiml(twilio.call("+375291234567"))
    assert [el.tag for el in root] == ["Say", "Record", "Hangup"]
    assert "recorded" in root.find("Say").text
    assert root.find("Record").get("recordingStatusCallback") == "/voice/recording?kind=evidence" + OVERRIDES
    assert root.find("Dial") is None


def test_forwarded_recording_is_announced_first(twilio, svc, line):
    svc.lines.save(Line(LINE, DESTINATION, "US", recording=True, languages=("en-US", "ru-RU")))
    root = twiml(twilio.call("+442079460123"))
    assert [el.tag for el in root][:3] == ["Say", "Say", "Dial"]
    assert root.find("Dial").get("recordingStatusCallback") == "/voice/recording?kind=forward" + OVERRIDES


def test_whisper_url_signed_as_twilio_sends_it_is_accepted_without_a_public_url(twilio, screened):
    from urllib.parse import urlencode

    name_given(twilio, screened)
    path = "/voice/screen/whisper?" + urlencode({"call": screened.sid, "line": LINE, "rec": NAME_URL})
    response = twilio.post(path, whisper_leg(screened))  # signed over the percent-encoded URL, as Twilio does
    assert response.status_code == 200 and twiml(response).find("Gather/Play").text == NAME_URL


def test_evidence_recording_ends_the_call_instead_of_starting_over(twilio, svc, line):
    svc.lines.save(replace(line, block_mode=BlockMode.RECORD))
    svc.blocklist.add_many(["+375291234567"], EntryMeta(reason="threats"))
    response = twilio.call("+375291234567")
    action = twiml(response).find("Record").get("action")
    assert action == "/voice/blocked/recorded" + OVERRIDES
    done = twiml(twilio.callback(action, {**response.sim.incoming_form(), "RecordingSid": "RE" + "7" * 32}))
    assert [el.tag for el in done] == ["Hangup"]


def test_screen_listed_callers_number_is_not_stored_or_logged_in_full(twilio, svc, line, redis_client, caplog):
    import logging

    svc.blocklist.add_many(["+442079460123"], EntryMeta(reason="unclear", action="screen"))
    with caplog.at_level(logging.DEBUG, logger="screener.voice"):
        response = twilio.call("+442079460123")
    call = svc.calls.get(response.sim.sid)
    assert call["rule"] == "screenlist" and call["entry"].endswith("23") and "442079460123" not in call["entry"]
    assert "442079460123" not in call["reason"]
    assert not any("442079460123" in r.getMessage() for r in caplog.records)


ORDINARY = "+442079460123"


@pytest.fixture
def bridged_line(svc, line):
    """A line whose forwarded calls go through the conference bridge too."""
    svc.lines.save(replace(line, star_on_forward=True))


def test_forwarded_call_goes_through_the_bridge_when_the_line_wants_star(twilio, svc, outbox, bridged_line):
    response = twilio.call(ORDINARY)
    assert [el.tag for el in twiml(response)] == ["Redirect"]
    assert twiml(response).find("Redirect").text == "/voice/forward" + OVERRIDES
    sim = response.sim
    held = twiml(twilio.post("/voice/forward", sim.incoming_form()))
    assert [el.tag for el in held] == ["Say", "Dial"] and held.find("Dial/Conference").text == f"screen-{sim.sid}"
    call = secretary_call(outbox)
    assert call["To"] == DESTINATION and call["Url"] == f"http://localhost/voice/screen/announce?call={sim.sid}" + OVERRIDES
    answered = twiml(twilio.post(f"/voice/screen/announce?call={sim.sid}", whisper_leg(sim, call["sid"])))
    says = [el.text for el in answered.findall("Say")]
    assert says[0] == "A call from 4 4 2 0 7 9 4 6 0 1 2 3."  # the phone shows the line's number: hear the caller's
    assert answered.find("Dial").get("hangupOnStar") == "true"
    assert svc.calls.get(sim.sid)["screening"] == "bridged"
    assert "442079460123" not in str(outbox.calls)  # the caller's number never travels in a URL


def test_star_on_a_forwarded_call_ends_and_reports_it(twilio, svc, outbox, run_worker, bridged_line):
    sim = twilio.call(ORDINARY).sim
    twilio.post("/voice/forward", sim.incoming_form())
    twilio.post(f"/voice/screen/announce?call={sim.sid}", whisper_leg(sim))
    assert "reported" in secretary_left(twilio, sim).find("Say").text
    assert [el.tag for el in dial_done(twilio, sim)] == ["Say", "Hangup"]
    run_worker()
    [report] = svc_reviews(svc).open_reports()
    assert report.call_sid == sim.sid and "key *" in report.note


def test_forwarded_call_is_dialled_directly_when_the_bridge_cannot_be_set_up(twilio, outbox, bridged_line):
    sim = twilio.call(ORDINARY).sim
    outbox.fail_calls_next = 1
    root = twiml(twilio.post("/voice/forward", sim.incoming_form()))
    dial = root.find("Dial")
    assert dial.find("Number").text == DESTINATION and dial.get("callerId") == ORDINARY


def test_unanswered_forwarded_call_reaches_voicemail(twilio, svc, outbox, bridged_line):
    sim = twilio.call(ORDINARY).sim
    twilio.post("/voice/forward", sim.incoming_form())
    twilio.post(f"/voice/screen/leg?call={sim.sid}", whisper_leg(sim, secretary_call(outbox)["sid"], "no-answer"))
    assert moved_to_done(outbox, sim)
    assert dial_done(twilio, sim).find("Record") is not None


def test_hold_music_and_rest_urls_follow_the_configuration(env, monkeypatch, svc, line, outbox, screened):
    from screener import create_app
    from screener.config import load_settings
    from tests.conftest import Twilio

    monkeypatch.setenv("SCREENER_HOLD_MUSIC_URL", "https://media.example.org/hold.mp3")
    monkeypatch.setenv("SCREENER_PUBLIC_URL", "https://screener.example.org")
    app = create_app({"TESTING": True}, settings=load_settings())
    public = Twilio(app.test_client(), base="https://screener.example.org")
    root = name_given(public, screened)
    conference = root.find("Dial/Conference")
    assert conference.get("waitUrl") == "https://media.example.org/hold.mp3" and conference.get("waitMethod") == "GET"
    assert secretary_call(outbox)["Url"].startswith("https://screener.example.org/voice/screen/whisper?")


def test_hold_music_must_be_https(env, monkeypatch):
    from screener.config import ConfigError, load_settings

    monkeypatch.setenv("SCREENER_HOLD_MUSIC_URL", "http://media.example.org/hold.mp3")
    with pytest.raises(ConfigError, match="SCREENER_HOLD_MUSIC_URL"):
        load_settings()


def test_a_failed_move_of_the_caller_is_retried_by_a_worker(twilio, svc, outbox, run_worker, screened):
    name_given(twilio, screened)
    outbox.fail_calls_next = 1  # Twilio refuses the webhook's own try
    assert press(twilio, screened, "2")[0].tag == "Hangup"
    assert not moved_to_done(outbox, screened) and "caller_moved" not in svc.calls.get(screened.sid)
    run_worker()
    assert moved_to_done(outbox, screened)
    assert svc.calls.get(screened.sid)["caller_moved"] == "1"


def test_press_secretary_call_ending_retries_a_move_that_has_not_gone_through(twilio, svc, outbox, run_worker,
                                                                               screened):
    name_given(twilio, screened)
    outbox.fail_calls_next = 1
    press(twilio, screened, "2")
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, status="completed"))
    assert moved_to_done(outbox, screened)  # without waiting for the worker's retry
    assert svc.calls.get(screened.sid)["caller_moved"] == "1"


def test_a_call_we_did_not_place_for_the_caller_cannot_act_on_them(twilio, svc, outbox, run_worker, screened):
    # Our ring timed out, so the caller left a voicemail; Twilio placed the call all the same.
    outbox.fail_calls_next = 1
    assert name_given(twilio, screened).find("Record") is not None
    stray = whisper_leg(screened, leg_sid="CA" + "7" * 32)
    heard = twiml(twilio.post(f"/voice/screen/whisper?call={screened.sid}&rec={NAME_URL}", stray))
    assert "no longer waiting" in heard.find("Say").text and heard.find("Gather") is None
    assert press(twilio, screened, "1").find("Dial") is None
    form = {**stray, "DialCallStatus": "completed"}
    assert [el.tag for el in twiml(twilio.post(f"/voice/screen/ended?call={screened.sid}", form))] == ["Hangup"]
    run_worker()
    assert svc_reviews(svc).open_reports() == []
    assert svc.calls.get(screened.sid)["screening"] == "unreachable"


def test_press_secretary_hanging_up_before_joining_sends_the_caller_to_voicemail(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    press(twilio, screened, "1")  # ...and hangs up during "Connecting you now"
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, status="completed"))
    assert moved_to_done(outbox, screened)
    assert dial_done(twilio, screened, then="voicemail").find("Record") is not None


def test_after_a_conversation_the_press_secretary_hanging_up_moves_nobody(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    leg = secretary_call(outbox)["sid"]
    press(twilio, screened, "1")
    joined = {"ConferenceSid": "CF" + "1" * 32, "StatusCallbackEvent": "participant-join", "CallSid": leg,
              "AccountSid": ACCOUNT_SID, "FriendlyName": f"screen-{screened.sid}"}
    assert twilio.post(f"/voice/screen/conference?call={screened.sid}", joined).status_code == 200
    assert svc.calls.get(screened.sid)["joined"] == "1"
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, status="completed"))
    assert outbox.call_updates == [] and svc.calls.get(screened.sid)["screening"] == "accepted"


def test_the_callers_own_join_does_not_count_as_the_press_secretarys(twilio, svc, screened):
    name_given(twilio, screened)
    own = {"ConferenceSid": "CF" + "1" * 32, "StatusCallbackEvent": "participant-join", "CallSid": screened.sid,
           "AccountSid": ACCOUNT_SID}
    twilio.post(f"/voice/screen/conference?call={screened.sid}", own)
    assert "joined" not in svc.calls.get(screened.sid)


def test_a_late_status_callback_does_not_undo_the_end_of_the_press_secretarys_call(twilio, svc, outbox, screened):
    name_given(twilio, screened)
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, status="completed"))
    twilio.post(f"/voice/screen/leg?call={screened.sid}", whisper_leg(screened, status="in-progress"))
    assert svc.calls.get(screened.sid)["secretary_status"] == "completed"


def test_other_keys_after_the_caller_hung_up_end_the_call_without_a_report(twilio, svc, outbox, run_worker,
                                                                          screened):
    name_given(twilio, screened)
    press(twilio, screened, "1")
    twilio.post("/voice/status", screened.status_form("completed"))
    root = twiml(twilio.post(f"/voice/screen/left?call={screened.sid}", {**whisper_leg(screened), "Digits": "1"}))
    assert [el.tag for el in root] == ["Hangup"]
    run_worker()
    assert svc_reviews(svc).open_reports() == []


def test_recording_callback_files_a_conference_recording_under_the_caller(twilio, svc, screened):
    name_given(twilio, screened)
    form = {**whisper_leg(screened), "RecordingSid": "RE" + "4" * 32, "RecordingUrl": NAME_URL,
            "RecordingStatus": "completed", "RecordingDuration": "12"}  # carries the press secretary's CallSid
    assert twilio.post(f"/voice/recording?kind=forward&call={screened.sid}", form).status_code == 200
    assert svc.recordings.get("RE" + "4" * 32)["call_sid"] == screened.sid


def test_press_secretary_is_told_when_a_report_could_not_be_saved(doomed_redis, outbox):
    twilio, kill_redis = doomed_redis
    sim = twilio.call("anonymous").sim
    name_given(twilio, sim)
    kill_redis()
    root = press(twilio, sim, "9")  # Redis died meanwhile: the report cannot be queued
    assert "could not be saved" in root.find("Say").text and "call log" in root.find("Say").text
    assert moved_to_done(outbox, sim, then="reported")  # the caller is still cut off


def test_the_review_shows_a_recording_archived_after_the_report(twilio, svc, line, run_worker, as_role, screened):
    svc.lines.save(replace(line, recording=True))
    name_given(twilio, screened)
    press(twilio, screened, "1")
    secretary_left(twilio, screened)  # * : reported while the conversation's recording is still being made
    run_worker()
    page = as_role("viewer").get("/reviews/").get_data(as_text=True)
    assert "1 recording of the reported call" in page  # the recorded name
    form = {"AccountSid": ACCOUNT_SID, "RecordingSid": "RE" + "3" * 32, "RecordingUrl": NAME_URL,
            "RecordingStatus": "completed", "RecordingDuration": "61"}
    twilio.post(f"/voice/recording?kind=forward&call={screened.sid}", form)
    page = as_role("viewer", "viewer2").get("/reviews/").get_data(as_text=True)
    assert "2 recordings of the reported call" in page


def test_a_report_of_a_withheld_caller_offers_what_can_be_done_instead_of_a_block(twilio, svc, run_worker,
                                                                                 as_role, screened):
    name_given(twilio, screened)
    press(twilio, screened, "1")
    secretary_left(twilio, screened)  # * : the anonymous caller is reported
    run_worker()
    [report] = svc_reviews(svc).open_reports()
    curator = as_role("curator")
    page = curator.get("/reviews/").get_data(as_text=True)
    assert "This caller withheld their number, so there is no number to block." in page
    assert "recordings as evidence: close it below" in page and "Watch for a campaign" in page
    assert "Accept: block this number" not in page and "Close and keep as evidence" in page

    response = curator.post(f"/reviews/{report.id}/accept", {"note": "same voice as last week"},
                            token_from="/reviews/")
    page = curator.get(response.headers["Location"]).get_data(as_text=True)
    assert "The report is closed and kept as evidence." in page and "cannot be read any more" not in page
    closed = svc_reviews(svc).get(report.id)
    assert closed.status == "accepted" and closed.decision_note == "same voice as last week"
    assert svc.blocklist.count() == 0 and svc.audit.entries(-1)[0]["action"] == "review.accept"


def test_the_alerts_page_says_when_no_curator_receives_a_report_and_how_to_fix_it(twilio, run_worker, as_role,
                                                                                   screened):
    name_given(twilio, screened)
    press(twilio, screened, "1")
    secretary_left(twilio, screened)  # * : reported; no curator contacts are set
    run_worker()
    page = as_role("curator").get("/alerts/").get_data(as_text=True)
    assert "Nobody is set up to receive reports and campaign alerts" in page
    assert "screener curators set --sms +NUMBER --email ADDRESS" in page
    assert "Sent to nobody: no curator is set up to receive it." in page


def test_moving_a_caller_who_has_already_hung_up_is_logged_and_not_retried(twilio, svc, outbox, run_worker,
                                                                         screened, caplog):
    name_given(twilio, screened)
    outbox.end_call(screened.sid)  # the caller hung up; their status callback has not arrived yet
    with caplog.at_level("INFO", logger="screener.bridge"):
        assert press(twilio, screened, "2")[0].tag == "Hangup"
    assert f"bridge_redirect_call_ended sid={screened.sid} code=21220" in caplog.text
    assert not moved_to_done(outbox, screened) and "caller_moved" not in svc.calls.get(screened.sid)
    assert svc.alerts.count == 0  # no worker retry of a move that can never happen


def test_the_stand_in_refuses_to_move_an_ended_call_as_twilio_does(outbox, settings):
    from twilio.base.exceptions import TwilioRestException
    from screener.twilio_rest import twilio_client

    sid = "CA" + "4" * 32
    outbox.end_call(sid, "canceled")
    with pytest.raises(TwilioRestException) as refused:
        twilio_client(settings).calls(sid).update(url="https://screener.example.org/voice/screen/done")
    assert (refused.value.status, refused.value.code) == (400, 21220)
    assert "Call is not in-progress. Cannot redirect." in refused.value.msg
