"""The pure call decision: every path, and the order allowlist > blocklist > defaults."""
import pytest

from screener.model import Action, Line, ListMatches, PolicyError
from screener.numbers import Caller, CallerKind, normalise
from screener.policy import decide

LINE = Line("+12025550143", "+48601234567", "US")
ORDINARY = normalise("+442079460123")


def test_ordinary_caller_is_forwarded():
    decision = decide(ORDINARY, LINE, ListMatches())
    assert decision.action is Action.FORWARD and decision.rule == "default"


def test_blocklisted_caller_is_blocked_naming_the_entry():
    decision = decide(ORDINARY, LINE, ListMatches(blocklist_entry="+44207*"))
    assert decision.action is Action.BLOCK
    assert decision.entry == "+44207*" and "+44207*" in decision.reason


def test_allowlist_beats_blocklist():
    decision = decide(ORDINARY, LINE, ListMatches(allowlisted=True, blocklist_entry="+44207*"))
    assert decision.action is Action.FORWARD and decision.rule == "allowlist"


@pytest.mark.parametrize("kind", [k for k in CallerKind if k is not CallerKind.NUMBER])
def test_unidentified_callers_are_screened_by_default(kind):
    decision = decide(Caller(kind), LINE, ListMatches())
    assert decision.action is Action.SCREEN
    assert decision.rule == f"caller_id:{kind.value}"


def test_line_policy_overrides_a_class():
    strict = LINE.with_policy(ordinary="screen", anonymous="block")
    assert decide(ORDINARY, strict, ListMatches()).action is Action.SCREEN
    assert decide(Caller(CallerKind.ANONYMOUS), strict, ListMatches()).action is Action.BLOCK


def test_line_policy_cannot_forward_withheld_callers_unscreened():
    with pytest.raises(PolicyError):
        LINE.with_policy(anonymous="forward")


def test_unknown_policy_class_or_action_is_refused():
    with pytest.raises(PolicyError):
        LINE.with_policy(friends="forward")
    with pytest.raises(PolicyError):
        LINE.with_policy(ordinary="teleport")


def test_lists_unreachable_screens_even_known_good_callers():
    decision = decide(ORDINARY, LINE, None)
    assert decision.action is Action.SCREEN and decision.degraded


def test_call_to_an_unconfigured_number_is_blocked():
    decision = decide(ORDINARY, None, ListMatches())
    assert decision.action is Action.BLOCK and decision.rule == "unconfigured_line"


def test_line_round_trips_through_json():
    line = LINE.with_policy(ordinary="screen")
    assert Line.from_json(line.to_json()) == line


def test_candidates_cover_every_list_outcome_with_the_same_rules_as_decide():
    from screener.model import ENTRY_PLACEHOLDER, LIST_OUTCOMES
    from screener.policy import candidates

    made = candidates(ORDINARY, LINE)
    assert set(made) == set(LIST_OUTCOMES)
    assert made["allowlisted"].action is Action.FORWARD
    assert made["blocklisted"].action is Action.BLOCK and made["blocklisted"].entry == ENTRY_PLACEHOLDER
    assert made["screenlisted"].action is Action.SCREEN and made["screenlisted"].rule == "screenlist"
    assert made["unlisted"] == decide(ORDINARY, LINE, ListMatches())


def test_candidates_for_a_spoofed_allowlisted_caller_screen_on_strict_lines():
    from dataclasses import replace

    from screener.policy import candidates

    strict = replace(LINE, screen_unverified=True)
    assert candidates(ORDINARY, strict, "TN-Validation-Failed-B")["allowlisted"].action is Action.SCREEN
    assert candidates(ORDINARY, strict, "TN-Validation-Passed-A")["allowlisted"].action is Action.FORWARD


def test_quiet_hours_send_ordinary_callers_to_voicemail_but_let_trusted_ones_ring():
    from dataclasses import replace
    from datetime import datetime, timezone

    night_line = replace(LINE, quiet_hours="22:00-07:00", timezone="Europe/Vilnius")
    at_night = datetime(2026, 11, 25, 22, 30, tzinfo=timezone.utc)  # 00:30 in Vilnius
    by_day = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
    night = decide(ORDINARY, night_line, ListMatches(), now=at_night)
    assert night.action is Action.VOICEMAIL and night.rule == "quiet_hours"
    assert decide(ORDINARY, night_line, ListMatches(allowlisted=True), now=at_night).action is Action.FORWARD
    assert decide(ORDINARY, night_line, ListMatches(), now=by_day).action is Action.FORWARD
    assert decide(ORDINARY, night_line, ListMatches(blocklist_entry="+44*"), now=at_night).action is Action.BLOCK


def test_quiet_hours_within_one_day_and_bad_windows():
    from dataclasses import replace
    from datetime import datetime, timezone

    from screener.model import quiet_window
    from screener.policy import in_quiet_hours

    lunch = replace(LINE, quiet_hours="12:00-13:30")
    assert in_quiet_hours(lunch, datetime(2026, 1, 1, 12, 45, tzinfo=timezone.utc))
    assert not in_quiet_hours(lunch, datetime(2026, 1, 1, 13, 30, tzinfo=timezone.utc))
    for bad in ("25:00-07:00", "22:00", "07:00-07:00", "late"):
        with pytest.raises(ValueError):
            quiet_window(bad)


US_CALLER = normalise("+12025550199")


@pytest.mark.parametrize("verstat, caller, levels, missing_counts, screened", [
    ("TN-Validation-Passed-A", US_CALLER, "AB", True, False),
    ("TN-Validation-Passed-B", US_CALLER, "AB", True, False),
    ("TN-Validation-Passed-C", US_CALLER, "AB", True, True),  # the carrier vouches for neither caller nor number
    ("TN-Validation-Passed-C", US_CALLER, "ABC", True, False),
    ("TN-Validation-Passed-B", US_CALLER, "A", True, True),
    ("TN-Validation-Passed-A-Diverted", US_CALLER, "AB", True, False),
    ("TN-Validation-Failed-A", US_CALLER, "ABC", True, True),
    ("TN-Validation-Failed", US_CALLER, "ABC", True, True),
    ("No-TN-Validation", US_CALLER, "ABC", True, True),
    ("Something-New", US_CALLER, "ABC", True, True),  # a verdict we cannot read is no proof
    (None, US_CALLER, "AB", True, True),  # Twilio verifies +1 calls: no verdict there is suspicious
    ("NULL", US_CALLER, "AB", True, True),
    (None, US_CALLER, "AB", False, False),
    (None, ORDINARY, "AB", True, False),  # calls from outside North America never carry a verdict
])
def test_what_counts_as_an_unverified_caller_id_on_a_strict_line(verstat, caller, levels, missing_counts, screened):
    from dataclasses import replace

    strict = replace(LINE, screen_unverified=True, stir_verified=levels, stir_missing_unverified=missing_counts)
    decision = decide(caller, strict, ListMatches(allowlisted=True), verstat)
    assert (decision.action is Action.SCREEN) is screened
    assert (decision.rule == "stir") is screened


def test_a_line_that_does_not_ask_forwards_whatever_the_verdict():
    assert decide(US_CALLER, LINE, ListMatches(), "TN-Validation-Failed-A").action is Action.FORWARD
