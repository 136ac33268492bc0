"""Where a bridged call stands: the pure decisions behind the conference bridge."""
from dataclasses import replace

import pytest

from screener.model import CallRecord

from screener.voice.bridge_state import (OnCallerHangup, caller_gone, caller_outcome, is_our_call, may_choose,
                                   move_after_leg_ended, on_caller_hangup, status_to_keep)

LEG = "CA" + "5" * 32


CALLER = "CA" + "4" * 32
UNREADABLE = CallRecord()  # the store could not be read


def record(**fields: str) -> CallRecord:
    """A caller's record as the store holds it (a hash of strings)."""
    return CallRecord.from_hash({"sid": CALLER, **fields})


def rung(**fields: str) -> CallRecord:
    return record(**{"screening": "ringing", "secretary_sid": LEG, **fields})


def test_only_the_call_we_placed_may_choose():
    assert may_choose(rung(), LEG)
    assert not may_choose(rung(), "CA" + "7" * 32)
    assert not may_choose(record(screening="unreachable"), LEG)  # our ring failed: the caller left a message
    assert not may_choose(rung(screening="voicemail"), LEG)  # a choice was made already
    assert may_choose(UNREADABLE, LEG)  # the store is down: keep the call going


def test_caller_is_gone_after_a_final_status_or_a_seen_hangup():
    assert caller_gone(record(status="completed")) and caller_gone(record(caller_left="1"))
    assert not caller_gone(record(status="in-progress")) and not caller_gone(UNREADABLE)


@pytest.mark.parametrize("record, expected", [
    (rung(), "voicemail"),  # no answer, busy, hung up during the whisper
    (rung(screening="accepted"), "voicemail"),  # accepted, hung up before joining
    (rung(screening="accepted", joined="1"), None),  # talked: the conference ended with them
    (rung(screening="bridged", joined="1"), None),
    (rung(screening="reported"), "reported"),  # the move after 9 has not gone through yet
    (rung(screening="voicemail", caller_moved="1"), None),
    (rung(status="completed"), None),
    (rung(screening="unreachable"), None),
    (UNREADABLE, "voicemail"),
])
def test_what_the_waiting_caller_needs_when_the_press_secretarys_call_ends(record, expected):
    assert move_after_leg_ended(record) == expected


@pytest.mark.parametrize("record, expected", [
    (rung(), OnCallerHangup.CANCEL),
    (rung(secretary_status="in-progress"), OnCallerHangup.TELL),
    (rung(screening="accepted", secretary_status="in-progress"), OnCallerHangup.TELL),
    (rung(screening="bridged"), OnCallerHangup.TELL),
    (rung(screening="voicemail"), OnCallerHangup.NOTHING),
    (rung(secretary_status="completed"), OnCallerHangup.NOTHING),
    (rung(caller_left="1"), OnCallerHangup.NOTHING),
    (record(screening="ringing"), OnCallerHangup.NOTHING),
])
def test_what_the_press_secretarys_call_needs_when_the_caller_hangs_up(record, expected):
    assert on_caller_hangup(record) is expected


def test_a_late_ringing_never_undoes_an_answer():
    assert status_to_keep(rung(secretary_status="in-progress"), "ringing") is None
    assert status_to_keep(rung(secretary_status="ringing"), "in-progress") == "in-progress"
    assert status_to_keep(rung(secretary_status="in-progress"), "completed") == "completed"


def test_a_final_status_is_never_undone():
    assert status_to_keep(rung(), "in-progress") == "in-progress"
    assert status_to_keep(rung(secretary_status="completed"), "in-progress") is None


def test_the_move_names_the_outcome_otherwise_the_record_decides():
    assert caller_outcome(rung(screening="accepted"), "voicemail") == "voicemail"
    assert caller_outcome(rung(screening="accepted"), "") == "accepted"
    assert caller_outcome(rung(), "") == "voicemail"
    assert caller_outcome(rung(), "connect-me") == "voicemail"  # only known outcomes are taken from the URL
    assert is_our_call(rung(), LEG) and not is_our_call(rung(), "CA" + "6" * 32)


def test_the_hold_limit_covers_the_ring_and_a_whisper_in_each_language():
    from screener.voice.bridge_state import hold_limit_seconds

    assert hold_limit_seconds(1) == 86 and hold_limit_seconds(5) == 134
    assert hold_limit_seconds(0) == hold_limit_seconds(1)


def test_only_a_caller_nobody_talks_to_is_still_on_hold():
    from screener.voice.bridge_state import still_on_hold

    held = CallRecord(sid="CA" + "1" * 32, status="in-progress", screening="ringing", secretary_sid="CA" + "2" * 32)
    assert still_on_hold(held)
    assert still_on_hold(replace(held, screening="accepted"))  # accepted, never joined
    assert not still_on_hold(replace(held, screening="accepted", joined=True))
    assert not still_on_hold(replace(held, caller_moved=True))
    assert not still_on_hold(replace(held, status="completed"))
    assert not still_on_hold(replace(held, secretary_sid=""))
