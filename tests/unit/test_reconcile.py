"""What a call whose callbacks may have been lost still needs (screener/voice/reconcile.py)."""
from screener.model import CallRecord
from screener.voice.reconcile import (MAX_CALL_SECONDS, UNKNOWN, Healing, TwilioCall, ask_about_leg, heal,
                                      recordings_to_archive)

NOW = 1_700_000_000
CALLER = "CA" + "1" * 32
LEG = "CA" + "2" * 32


def open_call(**fields) -> CallRecord:
    return CallRecord(**{"sid": CALLER, "at": NOW - 600, "status": "ringing", **fields})


def on_hold(**fields) -> CallRecord:
    return open_call(**{"screening": "ringing", "secretary_sid": LEG, **fields})


def test_a_call_whose_end_never_reached_us_is_ended_with_twilios_status():
    healing = heal(open_call(), TwilioCall("completed", "42"), None, NOW)
    assert healing == Healing(end=True, status="completed", duration="42", list_recordings=True)


def test_a_call_still_going_at_twilio_is_left_alone():
    assert heal(open_call(), TwilioCall("in-progress"), None, NOW) == Healing()


def test_a_call_that_could_not_be_asked_about_is_left_for_the_next_run():
    assert heal(open_call(), None, None, NOW) == Healing()


def test_a_call_whose_status_arrived_still_has_its_recordings_listed():
    assert heal(open_call(status="completed"), None, None, NOW) == Healing(end=True, list_recordings=True)


def test_a_caller_on_hold_whose_press_secretary_call_ended_unheard_is_moved_to_voicemail():
    healing = heal(on_hold(), TwilioCall("in-progress"), TwilioCall("no-answer"), NOW)
    assert healing.move_caller_to == "voicemail"
    assert healing.note == {"secretary_status": "no-answer", "screening": "no_answer"}


def test_a_caller_who_talked_is_not_moved_when_the_press_secretary_hangs_up():
    healing = heal(on_hold(screening="accepted", joined=True), TwilioCall("in-progress"), TwilioCall("completed"), NOW)
    assert healing.move_caller_to is None


def test_a_choice_whose_move_was_lost_is_moved_again():
    healing = heal(on_hold(screening="reported"), TwilioCall("in-progress"), TwilioCall("completed"), NOW)
    assert healing.move_caller_to == "reported"


def test_a_press_secretary_call_still_ringing_moves_nobody():
    assert heal(on_hold(), TwilioCall("in-progress"), TwilioCall("ringing"), NOW).move_caller_to is None


def test_the_leg_is_asked_about_only_while_it_may_still_matter():
    assert ask_about_leg(on_hold())
    assert not ask_about_leg(on_hold(secretary_status="completed"))
    assert not ask_about_leg(open_call())
    assert not ask_about_leg(on_hold(caller_left=True))


def test_when_both_calls_ended_the_leg_is_noted_before_the_end_is_applied():
    healing = heal(on_hold(), TwilioCall("completed", "90"), TwilioCall("completed"), NOW)
    assert healing.end and healing.note == {"secretary_status": "completed"} and healing.move_caller_to is None


def test_a_call_twilio_does_not_know_is_forgotten_only_after_the_longest_call():
    assert heal(open_call(), UNKNOWN, None, NOW) == Healing()
    old = CallRecord(sid=CALLER, at=NOW - MAX_CALL_SECONDS - 1, status="ringing")
    assert heal(old, UNKNOWN, None, NOW) == Healing(forget=True)


def test_only_recordings_we_never_heard_of_are_archived():
    known = {"RE" + "1" * 32: "archived"}
    at_twilio = {"RE" + "1" * 32: "completed", "RE" + "3" * 32: "completed", "RE" + "2" * 32: "processing",
                 "RE" + "4" * 32: "absent"}
    assert recordings_to_archive(known, at_twilio) == ["RE" + "2" * 32, "RE" + "3" * 32]
