"""Decision -> TwiML, built with the twilio VoiceResponse builders (never by pasting strings).

`step(name, **query)` gives the URL of a dialogue step (protocol.STEP_PATHS names them).
"""
from __future__ import annotations

from typing import Callable

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from screener.model import Action, BlockMode, Decision, Line
from screener.numbers import Caller
from screener.voice.prompts import DEFAULT_SPEECH, Speech, speech, spoken

StepUrl = Callable[..., str]

NAME_MAX_SECONDS = 6
VOICEMAIL_MAX_SECONDS = 120
EVIDENCE_MAX_SECONDS = 300
WHISPER_TIMEOUT_SECONDS = 8
DIAL_TIMEOUT_SECONDS = 25


def conference_name(caller_sid: str) -> str:
    """The conference a screened caller waits in: one per call, named after the caller's CallSid."""
    return f"screen-{caller_sid}"


def line_speech(line: Line | None) -> Speech:
    """How a line speaks (its languages, each with its voice); English for no line."""
    return speech(line.languages, dict(line.voices)) if line else DEFAULT_SPEECH


def say(response: VoiceResponse | Gather, key: str, how: Speech, **values: str) -> None:
    """Speak a prompt in each of a line's languages, each with an explicit voice."""
    for language, chosen_voice, text in spoken(key, how, **values):
        response.say(text, language=language, voice=chosen_voice)


def answer(decision: Decision, line: Line | None, caller: Caller, step: StepUrl) -> str:
    """The TwiML document for a call's first request."""
    response = VoiceResponse()
    if decision.action is Action.BLOCK:
        _block(response, line, step)
    elif decision.action is Action.FORWARD and line is not None:
        _forward(response, line, caller, step)
    elif decision.action is Action.VOICEMAIL:
        voicemail(response, line, step)
    else:
        _screen(response, line_speech(line), step)
    return str(response)


def _block(response: VoiceResponse, line: Line | None, step: StepUrl) -> None:
    if line is not None and line.block_mode is BlockMode.MESSAGE:
        language, chosen_voice = line_speech(line)[0]
        response.say(line.block_message, language=language, voice=chosen_voice)
        response.hangup()
    elif line is not None and line.block_mode is BlockMode.RECORD:
        # Evidence: the caller is told, recorded, and never connected.
        say(response, "recorded", line_speech(line))
        response.record(max_length=EVIDENCE_MAX_SECONDS, play_beep=False, timeout=10,
                        action=step("blocked_recorded"), recording_status_callback=step("recording", kind="evidence"))
        response.hangup()
    else:
        response.reject(reason="busy")


def _forward(response: VoiceResponse, line: Line, caller: Caller, step: StepUrl) -> None:
    if line.star_on_forward:  # through the conference bridge, so that * can end and report the call
        if line.recording:
            say(response, "recorded", line_speech(line))
        response.redirect(step("forward"))
        return
    dial_directly(response, line, caller.e164, step)


def forward_directly(line: Line, caller_e164: str | None, step: StepUrl) -> str:
    """A plain <Dial> when the conference bridge cannot be set up (the notice was already spoken)."""
    response = VoiceResponse()
    dial_directly(response, line, caller_e164, step, announce=False)
    return str(response)


def dial_directly(response: VoiceResponse, line: Line, caller_e164: str | None, step: StepUrl,
                  announce: bool = True) -> None:
    """Connect the caller to the press secretary with a plain <Dial>: their phone shows the caller's number."""
    options: dict[str, object] = {"answer_on_bridge": True, "timeout": DIAL_TIMEOUT_SECONDS}
    if caller_e164:
        options["caller_id"] = caller_e164
    if line.recording:
        if announce:
            say(response, "recorded", line_speech(line))
        options["record"] = "record-from-answer-dual"
        options["recording_status_callback"] = step("recording", kind="forward")
    dial = Dial(**options)
    dial.number(line.forward_to)
    response.append(dial)


def _screen(response: VoiceResponse, how: Speech, step: StepUrl) -> None:
    say(response, "screen", how)
    response.record(max_length=NAME_MAX_SECONDS, timeout=3, play_beep=True, trim="trim-silence",
                    action=step("screen_name"))
    # Reached only when nothing was recorded (Twilio skips the action URL on silence): log it there.
    response.redirect(step("screen_silent"))


def voicemail(response: VoiceResponse, line: Line | None, step: StepUrl) -> None:
    """Take a message: the recording is archived like any other; the line is told by alert."""
    how = line_speech(line)
    if line is not None and line.recording:
        say(response, "recorded", how)
    say(response, "voicemail", how)
    options: dict[str, object] = {
        "max_length": VOICEMAIL_MAX_SECONDS, "play_beep": True, "timeout": 5,
        "action": step("voicemail_done"), "recording_status_callback": step("recording", kind="voicemail"),
    }
    if line is not None and line.transcribe:
        options.update(transcribe=True, transcribe_callback=step("voicemail_transcription"))
    response.record(**options)
    say(response, "thanks", how)
    response.hangup()


def wait_for_press_secretary(line: Line, caller_sid: str, done_url: str, events_url: str, hold_music_url: str = "",
                             screened: bool = True) -> str:
    """The caller's side while the press secretary is rung (and, for a screened caller, hears the
    whisper): hold music in a conference of the caller's own, which the press secretary joins."""
    response = VoiceResponse()
    say(response, "hold", line_speech(line))
    if line.recording and screened:
        say(response, "recorded", line_speech(line))  # the conversation is recorded if it happens
    options: dict[str, object] = {"start_conference_on_enter": False, "end_conference_on_exit": False,
                                  "beep": False, "status_callback": events_url,
                                  "status_callback_event": "join"}  # tells us the press secretary joined
    if hold_music_url:
        options.update(wait_url=hold_music_url, wait_method="GET")
    dial = Dial(action=done_url)
    dial.conference(conference_name(caller_sid), **options)
    response.append(dial)
    return str(response)


def join_caller(line: Line | None, caller_sid: str, ended_url: str, caller_digits: str = "") -> str:
    """The press secretary accepted (or answered a forwarded call, whose caller_digits are read out
    first): join the caller's conference, with * to end it and report."""
    response = VoiceResponse()
    if caller_digits:
        say(response, "forwarded", line_speech(line), number=" ".join(caller_digits))
    say(response, "connecting", line_speech(line))
    options: dict[str, object] = {"start_conference_on_enter": True, "end_conference_on_exit": True,
                                  "beep": False}
    dial = Dial(hangup_on_star=True, action=ended_url)
    dial.conference(conference_name(caller_sid), **options)
    response.append(dial)
    return str(response)


def caller_left(how: Speech, report_url: str) -> str:
    """The caller hung up first: the press secretary may still report them with 9."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, timeout=WHISPER_TIMEOUT_SECONDS, action=report_url, action_on_empty_result=False)
    say(gather, "caller_left", how)
    response.append(gather)
    response.hangup()
    return str(response)


def whisper(recording_url: str, how: Speech, choice_url: str, no_key_url: str, warned_for: str = "") -> str:
    """What the press secretary hears before the caller is connected: why the number is screened when
    reports put it on warn (`warned_for`: the report category), the name, then the choices."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, timeout=WHISPER_TIMEOUT_SECONDS, action=choice_url, action_on_empty_result=False)
    if warned_for:
        say(gather, f"warned_{warned_for}", how)
    if recording_url:
        gather.play(recording_url)
    say(gather, "whisper", how)
    response.append(gather)
    response.redirect(no_key_url)  # no key in time: treated as "send to voicemail"
    return str(response)


def after_screening(outcome: str, line: Line | None, step: StepUrl) -> str:
    """The caller's side once the bridge is over: goodbye after a conversation or a report, otherwise
    (voicemail, declined, no answer, busy, the press secretary unreachable) a voicemail."""
    response = VoiceResponse()
    how = line_speech(line)
    if outcome in ("accepted", "bridged", "reported"):
        say(response, "ended", how)
        response.hangup()
    else:  # voicemail, declined, no answer, busy
        voicemail(response, line, step)
    return str(response)


def goodbye(key: str, how: Speech = DEFAULT_SPEECH) -> str:
    """A polite message and a hang-up."""
    response = VoiceResponse()
    say(response, key, how)
    response.hangup()
    return str(response)


def hangup() -> str:
    """End the call."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


def empty() -> str:
    """An empty TwiML document (Twilio takes it as 'nothing more to do')."""
    return str(VoiceResponse())
