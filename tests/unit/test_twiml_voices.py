"""Every prompt is spoken with an explicit Twilio voice that Twilio lists for the prompt's language."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from screener.model import Action, BlockMode, Decision, Line
from screener.numbers import normalise
from screener.voice import twiml
from screener.voice.incoming import step_urls
from screener.voice.prompts import PROMPTS, SUPPORTED, VOICES

STEP = step_urls(None)
CALLER = "CA" + "1" * 32


def documents(line: Line) -> list[str]:
    """Every TwiML document a call on this line can meet."""
    caller = normalise("+375291234567", "BY")
    docs = [twiml.answer(Decision(action, rule="test", reason=""), line, caller, STEP)
            for action in (Action.SCREEN, Action.VOICEMAIL, Action.FORWARD, Action.BLOCK)]
    docs += [twiml.answer(Decision(Action.BLOCK, rule="test", reason=""), line_with_mode, caller, STEP)
             for line_with_mode in (replace(line, block_mode=mode) for mode in BlockMode)]
    docs += [twiml.wait_for_press_secretary(line, CALLER, "/done", "/events"),
             twiml.join_caller(line, CALLER, "/ended", "375291234567"),
             twiml.caller_left(twiml.line_speech(line), "/report"),
             twiml.whisper("", twiml.line_speech(line), "/choice", "/none"),
             *(twiml.after_screening(outcome, line, STEP) for outcome in ("voicemail", "declined", "reported")),
             twiml.goodbye("ended", twiml.line_speech(line))]
    return docs


@pytest.mark.parametrize("language", SUPPORTED)
def test_every_say_names_a_voice_twilio_lists_for_its_language(language):
    line = Line("+12025550143", "+48601234567", "US", languages=(language,), recording=True,
                block_message="Do not call again.")
    says = [say for doc in documents(line) for say in ET.fromstring(doc).iter("Say")]
    assert says
    for say in says:
        assert say.get("language") in PROMPTS, say.attrib
        assert say.get("voice") in VOICES[say.get("language")], say.attrib


def test_belarusian_is_spoken_with_the_russian_voice_also_in_the_block_message():
    line = Line("+12025550143", "+48601234567", "BY", languages=("be-BY",), block_mode=BlockMode.MESSAGE,
                block_message="Не званіце сюды.")
    [say] = ET.fromstring(twiml.answer(Decision(Action.BLOCK, rule="blocklist", reason=""), line,
                                       normalise("+375291234567", "BY"), STEP)).iter("Say")
    assert (say.get("language"), say.get("voice"), say.text) == ("ru-RU", "Polly.Tatyana", "Не званіце сюды.")


def test_each_language_of_a_line_gets_its_own_voice():
    line = Line("+12025550143", "+48601234567", "US", languages=("ru-RU", "pl-PL", "en-US"))
    says = ET.fromstring(twiml.answer(Decision(Action.SCREEN, rule="anonymous", reason=""), line,
                                      normalise("anonymous", "US"), STEP)).iter("Say")
    assert [(s.get("language"), s.get("voice")) for s in says] == [
        ("ru-RU", "Polly.Tatyana"), ("pl-PL", "Polly.Ewa"), ("en-US", "Polly.Joanna")]


def test_a_line_speaks_each_language_in_the_voice_it_chose():
    line = Line("+12025550143", "+48601234567", "BY", languages=("be-BY", "pl-PL"),
                voices=(("ru-RU", "Polly.Maxim"), ("pl-PL", "Polly.Jacek")), block_mode=BlockMode.MESSAGE)
    docs = documents(line)
    voices = {(say.get("language"), say.get("voice")) for doc in docs for say in ET.fromstring(doc).iter("Say")}
    assert voices == {("ru-RU", "Polly.Maxim"), ("pl-PL", "Polly.Jacek")}
