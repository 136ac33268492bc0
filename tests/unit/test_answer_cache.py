"""Kept answers are the documents twiml.answer builds, for every action and every kind of line."""
from dataclasses import replace

import pytest

from screener.voice import twiml
from screener.voice.answer_cache import AnswerCache
from screener.voice.incoming import step_urls
from screener.model import Action, BlockMode, Decision, Line
from screener.numbers import Caller, CallerKind

BASE = Line("+12025550143", "+48601234567", "US")
LINES = {
    "no line": None,
    "plain": BASE,
    "block message": replace(BASE, block_mode=BlockMode.MESSAGE, block_message='Go away & "stay" <away>.'),
    "block record": replace(BASE, block_mode=BlockMode.RECORD, languages=("en-US", "de-DE")),
    "recorded": replace(BASE, recording=True),
    "transcribed, two languages": replace(BASE, recording=True, transcribe=True, languages=("pl-PL", "en-US")),
}
CALLERS = [Caller(CallerKind.NUMBER, "+442079460123"), Caller(CallerKind.ANONYMOUS), Caller(CallerKind.INVALID)]


@pytest.mark.parametrize("public_url", [None, "https://screener.example.org"])
@pytest.mark.parametrize("line_name", LINES)
@pytest.mark.parametrize("action", list(Action))
def test_kept_answer_is_what_twiml_builds(public_url, line_name, action):
    step = step_urls(public_url)
    cache = AnswerCache(step)
    line = LINES[line_name]
    decisions = [Decision(action, rule="default", reason="test"),
                 Decision(action, rule="degraded", reason="lists unreachable", degraded=True)]
    for _ in range(2):  # rendered, then kept
        for decision in decisions:
            for caller in CALLERS:
                assert cache.answer(decision, line, caller) == twiml.answer(decision, line, caller, step)


def test_forwarded_callers_each_get_their_own_caller_id():
    step = step_urls(None)
    cache = AnswerCache(step)
    decision = Decision(Action.FORWARD, rule="default", reason="test")
    first = cache.answer(decision, BASE, Caller(CallerKind.NUMBER, "+442079460123"))
    second = cache.answer(decision, BASE, Caller(CallerKind.NUMBER, "+33612345678"))
    assert 'callerId="+442079460123"' in first and 'callerId="+33612345678"' in second


def test_changed_line_settings_give_a_new_answer():
    cache = AnswerCache(step_urls(None))
    decision = Decision(Action.BLOCK, rule="blocklist", reason="test")
    caller = Caller(CallerKind.NUMBER, "+442079460123")
    assert "<Reject" in cache.answer(decision, BASE, caller)
    changed = replace(BASE, block_mode=BlockMode.MESSAGE, block_message="Goodbye.")
    assert "<Say" in cache.answer(decision, changed, caller)
