"""Decision -> TwiML, built with the twilio VoiceResponse builders (never by pasting strings)."""
from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from screener.model import Action, BlockMode, Decision, Line
from screener.numbers import Caller

RECORDING_NOTICE = "This call is recorded."
SCREEN_PROMPT = "The person you are calling screens calls. After the tone, please say your name and why you are calling."
NO_NAME = "We did not hear a name. Goodbye."
HOLD = "Please hold while we try to connect you."
NOT_AVAILABLE = "The person you are calling is not available. Goodbye."
WHISPER_PROMPT = "Press 1 to accept, 2 to send to voicemail, 9 to block and report."
VOICEMAIL_PROMPT = "Please leave a message after the tone."
UNAVAILABLE = "This line cannot take your call right now. Please try again later. Goodbye."

NAME_MAX_SECONDS = 6
VOICEMAIL_MAX_SECONDS = 120
WHISPER_TIMEOUT_SECONDS = 8


def answer(decision: Decision, line: Line | None, caller: Caller, url_for_step) -> str:
    """The TwiML document for a decision. `url_for_step(name)` gives the absolute or relative step URL."""
    response = VoiceResponse()
    language = line.language if line else "en-US"
    if decision.action is Action.BLOCK:
        _block(response, line)
    elif decision.action is Action.FORWARD and line is not None:
        _forward(response, line, caller, url_for_step)
    elif decision.action is Action.VOICEMAIL:
        _voicemail(response, language, url_for_step)
    else:
        _screen(response, language, url_for_step)
    return str(response)


def _block(response: VoiceResponse, line: Line | None) -> None:
    if line is not None and line.block_mode is BlockMode.MESSAGE:
        response.say(line.block_message, language=line.language)
        response.hangup()
    else:
        response.reject(reason="busy")


def _forward(response: VoiceResponse, line: Line, caller: Caller, url_for_step) -> None:
    options: dict[str, object] = {"answer_on_bridge": True}
    if caller.e164:
        options["caller_id"] = caller.e164
    if line.recording:
        response.say(RECORDING_NOTICE, language=line.language)
        options["record"] = "record-from-answer-dual"
        options["recording_status_callback"] = url_for_step("recording")
    dial = Dial(**options)
    dial.number(line.forward_to)
    response.append(dial)


def _screen(response: VoiceResponse, language: str, url_for_step) -> None:
    response.say(SCREEN_PROMPT, language=language)
    response.record(
        max_length=NAME_MAX_SECONDS,
        timeout=3,
        play_beep=True,
        trim="trim-silence",
        action=url_for_step("screen_name"),
    )
    # Reached only when nothing was recorded: Twilio skips the action URL on silence.
    response.say(NO_NAME, language=language)
    response.hangup()


def _voicemail(response: VoiceResponse, language: str, url_for_step) -> None:
    response.say(VOICEMAIL_PROMPT, language=language)
    response.record(max_length=VOICEMAIL_MAX_SECONDS, play_beep=True, action=url_for_step("voicemail_done"))
    response.hangup()


def dial_with_whisper(line: Line | None, whisper_url: str, done_url: str) -> str:
    """After the caller stated a name: ring the press secretary, who hears the name first."""
    response = VoiceResponse()
    language = line.language if line else "en-US"
    if line is None:
        response.say(UNAVAILABLE, language=language)
        response.hangup()
        return str(response)
    response.say(HOLD, language=language)
    dial = Dial(action=done_url, timeout=25)
    dial.number(line.forward_to, url=whisper_url)
    response.append(dial)
    return str(response)


def whisper(recording_url: str, language: str, choice_url: str) -> str:
    """What the press secretary hears before the caller is connected: the name, then the choices."""
    response = VoiceResponse()
    gather = Gather(num_digits=1, timeout=WHISPER_TIMEOUT_SECONDS, action=choice_url)
    if recording_url:
        gather.play(recording_url)
    gather.say(WHISPER_PROMPT, language=language)
    response.append(gather)
    # No key pressed: do not connect.
    response.hangup()
    return str(response)


def whisper_choice(accepted: bool) -> str:
    """An empty answer bridges the two legs; a hang-up on the whisper leg keeps the caller out."""
    response = VoiceResponse()
    if not accepted:
        response.hangup()
    return str(response)


def goodbye(text: str, language: str = "en-US") -> str:
    """A polite message and a hang-up."""
    response = VoiceResponse()
    response.say(text, language=language)
    response.hangup()
    return str(response)


def empty() -> str:
    """An empty TwiML document (Twilio takes it as 'nothing more to do')."""
    return str(VoiceResponse())
