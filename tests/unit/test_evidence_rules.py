"""Thresholds, decay, probation, false positives, staleness and ranges: the pure evidence rules."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from screener.evidence_rules import (
    BLOCK_PEOPLE, DAY, FRESH_DAYS, HALF_LIFE_DAYS, STALE_DAYS, State, Vote, decay, explain, propose_ranges, state_at,
)

NOW = 1_800_000_000


def report(person: str, at: int = NOW, org: str = "local", category: str = "threat") -> Vote:
    return Vote("report", org, person, at, category=category)


def test_one_volunteers_report_warns():
    assert state_at([report("alice")], NOW)[0] is State.WARN


def test_two_distinct_volunteers_block():
    assert state_at([report("alice"), report("bob")], NOW)[0] is State.BLOCK


def test_one_volunteer_reporting_many_times_counts_once():
    votes = [report("alice", NOW - i) for i in range(50)]
    assert state_at(votes, NOW)[0] is State.WARN
    assert explain(votes, NOW).people == 1.0


def test_many_volunteers_of_one_partner_count_as_one_organisation():
    votes = [Vote("report", "peer:ngo", "", NOW)] * 30
    assert explain(votes, NOW).organisations == 1.0
    assert state_at(votes, NOW)[0] is State.WARN


def test_two_organisations_block():
    votes = [report("alice"), Vote("report", "peer:ngo", "", NOW)]
    assert state_at(votes, NOW)[0] is State.BLOCK


def test_probation_volunteers_count_half_until_confirmed():
    votes = [report("alice"), report("bob")]
    probation = frozenset({"local:alice", "local:bob"})
    assert state_at(votes, NOW, probation)[0] is State.WARN
    four = votes + [report("carol"), report("dave")]
    assert state_at(four, NOW, probation | {"local:carol", "local:dave"})[0] is State.BLOCK


def test_partner_on_probation_counts_half():
    votes = [report("alice"), Vote("report", "peer:new", "", NOW)]
    assert state_at(votes, NOW, frozenset({"peer:new"}))[0] is State.WARN


def test_a_partner_on_probation_cannot_reach_a_full_unit_by_sending_sightings_with_its_reports():
    votes = [Vote("report", "peer:ngo", "", NOW), Vote("confirm", "peer:ngo", "", NOW)]
    assert explain(votes, NOW, frozenset({"peer:ngo"})).organisations == 0.5
    assert explain(votes, NOW).organisations == 1.0  # trusted: its one unit, never more


def test_one_false_positive_from_any_organisation_demotes_to_warn():
    votes = [report("alice"), report("bob"), Vote("false_positive", "peer:ngo", "", NOW)]
    state, reasons = state_at(votes, NOW)
    assert state is State.WARN
    assert any("false-positive" in r for r in reasons)


def test_two_organisations_false_positives_remove():
    votes = [report("alice"), report("bob"), Vote("false_positive", "peer:ngo", "", NOW),
             Vote("false_positive", "local", "carol", NOW)]
    assert state_at(votes, NOW)[0] is State.NONE


def test_two_false_positives_from_one_organisation_only_demote():
    votes = [report("alice"), report("bob"), Vote("false_positive", "peer:ngo", "", NOW),
             Vote("false_positive", "peer:ngo", "", NOW - 5)]
    assert state_at(votes, NOW)[0] is State.WARN


def test_a_block_not_seen_again_drops_to_warn():
    votes = [report(f"volunteer{i}", NOW - (STALE_DAYS + 1) * DAY) for i in range(10)]
    state, reasons = state_at(votes, NOW)
    assert state is State.WARN
    assert any("not seen" in r for r in reasons)
    assert state_at(votes + [Vote("seen", "local", "", NOW)], NOW)[0] is State.BLOCK


def test_a_number_seen_calling_again_keeps_its_evidence_fresh():
    votes = [report("alice", NOW - 100 * DAY), report("bob", NOW - 100 * DAY)]
    assert state_at(votes, NOW)[0] is State.WARN
    assert state_at(votes + [Vote("seen", "local", "calls", NOW - DAY)], NOW)[0] is State.BLOCK


def test_never_block_takes_no_votes():
    votes = [report(p) for p in ("alice", "bob", "carol")]
    assert state_at(votes, NOW, never_block=True)[0] is State.NONE


def test_reverted_votes_do_not_count():
    votes = [report("alice"), Vote("report", "local", "bob", NOW, reverted=True)]
    assert state_at(votes, NOW)[0] is State.WARN


def test_evidence_counts_in_full_while_fresh_then_halves_every_half_life():
    assert decay(0) == decay(FRESH_DAYS * DAY) == 1.0
    assert abs(decay((FRESH_DAYS + HALF_LIFE_DAYS) * DAY) - 0.5) < 1e-9


def test_two_people_reporting_weeks_apart_block():
    assert state_at([report("alice", NOW - 20 * DAY), report("bob")], NOW)[0] is State.BLOCK


def test_a_block_ages_out_to_warn_when_evidence_decays():
    votes = [report("alice"), report("bob")]
    explanation = explain(votes, NOW)
    assert explanation.state is State.BLOCK
    assert explanation.changes_to is State.WARN
    assert abs(explanation.changes_at - (NOW + FRESH_DAYS * DAY)) <= 61
    assert state_at(votes, explanation.changes_at)[0] is State.WARN


def test_explanation_names_reporters_partners_and_false_positives():
    votes = [report("alice", category="impersonation"), Vote("report", "peer:ngo", "", NOW),
             Vote("confirm", "local", "curator", NOW), Vote("false_positive", "peer:other", "", NOW)]
    explanation = explain(votes, NOW)
    assert explanation.reporters == ("alice",)
    assert explanation.partners == ("peer:ngo", "peer:other")
    assert explanation.confirmations == 1
    assert explanation.false_positives == ("peer:other",)
    assert explanation.categories == {"impersonation": 1}


def test_a_warn_ages_out_to_none_at_a_stated_time():
    explanation = explain([report("alice")], NOW)
    assert explanation.changes_to is State.NONE
    assert abs(explanation.changes_at - (NOW + (FRESH_DAYS + 2 * HALF_LIFE_DAYS) * DAY)) <= 61


principals = st.sampled_from(["alice", "bob", "carol", "dave", "erin"])
votes_strategy = st.lists(st.builds(report, principals, st.integers(NOW - 400 * DAY, NOW)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(votes_strategy, st.integers(0, 800 * DAY))
def test_without_new_votes_a_state_never_rises(votes, later):
    assert state_at(votes, NOW + later)[0].rank <= state_at(votes, NOW)[0].rank


@settings(max_examples=60, deadline=None)
@given(votes_strategy, st.integers(1, 20))
def test_repeating_a_persons_reports_never_adds_evidence(votes, times):
    repeated = votes + [report(v.person, v.at) for v in votes for _ in range(times)]
    assert explain(repeated, NOW).people == explain(votes, NOW).people
    assert explain(votes, NOW).people <= len({v.person for v in votes}) <= BLOCK_PEOPLE * 3


def test_four_numbers_in_a_block_of_ten_propose_it():
    numbers = [f"+37529123456{d}" for d in "0358"]
    [proposal] = propose_ranges(numbers, [])
    assert proposal.prefix == "+37529123456*"
    assert not proposal.vetoed


def test_three_numbers_in_a_block_of_ten_propose_nothing():
    assert propose_ranges([f"+37529123456{d}" for d in "035"], []) == []


def test_eight_numbers_over_four_tens_propose_the_hundred():
    numbers = [f"+3752912345{t}{d}" for t in "1357" for d in "05"]
    [proposal] = propose_ranges(numbers, [])
    assert proposal.prefix == "+3752912345*"


def test_eight_numbers_in_three_tens_propose_only_the_tens():
    numbers = [f"+3752912345{t}{d}" for t in "13" for d in "0123"] + ["+37529123457"]
    assert [p.prefix for p in propose_ranges(numbers, [])] == ["+37529123451*", "+37529123453*"]


def test_an_allowlisted_number_inside_vetoes_the_range():
    numbers = [f"+37529123456{d}" for d in "0358"]
    [proposal] = propose_ranges(numbers, ["+375291234567"])
    assert proposal.vetoed_by == ("+375291234567",)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, 999), max_size=40), st.sets(st.integers(0, 999), max_size=5))
def test_every_proposed_range_is_backed_and_every_veto_is_inside(tails, guarded):
    numbers = [f"+37529123{t:03d}" for t in tails]
    protected = [f"+37529123{t:03d}" for t in guarded]
    for proposal in propose_ranges(numbers, protected):
        stem = proposal.prefix[:-1]
        inside = [n for n in numbers if n.startswith(stem)]
        assert len(inside) >= 4
        assert set(proposal.vetoed_by) == {p for p in protected if p.startswith(stem)}
