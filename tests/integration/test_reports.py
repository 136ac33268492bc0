"""Reports from every channel become evidence, and every poisoning rule holds against a real Redis."""
from __future__ import annotations

from dataclasses import replace
from xml.etree import ElementTree

import pytest

from screener import changes, lists, never_block, reporting
from screener.evidence_rules import DAY, STALE_DAYS, State
from screener.store.users import Role
from tests.conftest import LINE
from tests.integration.test_screening import _standin, dial_done, name_given, press, whisper_leg  # noqa: F401
from tests.integration.web_support import make_user, web  # noqa: F401 - fixtures

NUMBER = "+375291234567"
NOW = 1_800_000_000


def clock():
    return NOW


def test_cli_report_warns_then_a_second_person_blocks(svc, cli, line, twilio):
    out = cli("report", "+375 29 123 45 67", "--category", "threat", "--note", "threatened the press secretary")
    assert out.exit_code == 0, out.output
    assert "now warn" in out.output
    entry = svc.blocklist.get(NUMBER)
    assert entry.meta.action == "screen" and entry.meta.source == "evidence"
    assert twilio.call(NUMBER).sim and svc.calls.recent(1)[0]["rule"] == "screenlist"
    reporting.file_report(svc, "boris", NUMBER, "threat")
    assert svc.blocklist.get(NUMBER).meta.action == "block"
    twilio.call(NUMBER)
    assert svc.calls.recent(1)[0]["action"] == "block"


def test_report_with_an_unknown_category_is_refused_and_nothing_stored(svc, cli):
    out = cli("report", NUMBER, "--category", "spam")
    assert out.exit_code != 0 and "spam" in out.output
    with pytest.raises(reporting.ReportError, match="one of threat"):
        reporting.file_report(svc, "anna", NUMBER, "spam")
    assert svc.votes.votes(NUMBER) == [] and svc.blocklist.get(NUMBER) is None


def test_one_volunteer_reporting_a_number_again_and_again_only_warns(svc):
    for _ in range(10):
        reporting.file_report(svc, "anna", NUMBER, "threat")
    assert svc.blocklist.get(NUMBER).meta.action == "screen"
    assert reporting.explanation(svc, NUMBER).people == 1.0


def test_twenty_first_report_of_the_day_goes_to_review(svc):
    for i in range(reporting.REPORTS_PER_DAY):
        assert reporting.file_report(svc, "anna", f"+3752912345{i:02d}", "silent_call").outcome == "counted"
    over = reporting.file_report(svc, "anna", NUMBER, "threat", "late report")
    assert over.outcome == "review" and svc.blocklist.get(NUMBER) is None
    [review] = svc.reviews.open_reports()
    assert review.id == over.review_id and "late report" in review.note and "quota" in review.note
    assert svc.vault.decrypt(review.number_encrypted) == NUMBER  # nothing the volunteer typed is lost


def test_a_partners_101st_new_number_of_the_week_goes_to_review(svc):
    for i in range(reporting.NEW_NUMBERS_PER_WEEK):
        reporting.apply_peer_vote(svc, "ngo", f"+375291{i:06d}", "report", NOW, "threat", clock=clock)
    over = reporting.apply_peer_vote(svc, "ngo", NUMBER, "report", NOW, "threat", clock=clock)
    assert over.outcome == "review" and not svc.votes.has_evidence(NUMBER)
    again = reporting.apply_peer_vote(svc, "ngo", "+375291000001", "report", NOW, "threat", clock=clock)
    assert again.outcome == "counted"  # evidence on a number it already reported is not new


def test_a_partner_cannot_send_sightings_or_unknown_kinds(svc):
    for kind in ("seen", "delete"):
        with pytest.raises(reporting.ReportError):
            reporting.apply_peer_vote(svc, "ngo", NUMBER, kind, NOW)
    assert svc.votes.votes(NUMBER) == []


def test_new_volunteers_count_half_until_trusted(svc, make_user):
    make_user("vera", Role.VIEWER)
    make_user("vlad", Role.VIEWER)
    reporting.file_report(svc, "vera", NUMBER, "threat")
    assert reporting.file_report(svc, "vlad", NUMBER, "threat").state is State.WARN
    assert reporting.explanation(svc, NUMBER).people == 1.0
    reporting.trust(svc, "cli:admin", "vera")
    reporting.trust(svc, "cli:admin", "vlad")
    assert reporting.sync(svc, NUMBER).state is State.BLOCK


def test_new_partners_count_half_until_trusted(svc):
    reporting.file_report(svc, "anna", NUMBER, "threat")
    assert reporting.apply_peer_vote(svc, "new-ngo", NUMBER, "report", NOW).state is State.WARN
    reporting.trust(svc, "cli:admin", "peer:new-ngo")
    assert reporting.sync(svc, NUMBER).state is State.BLOCK


def test_one_false_positive_demotes_and_a_second_organisation_removes(svc):
    reporting.file_report(svc, "anna", NUMBER, "threat")
    reporting.file_report(svc, "boris", NUMBER, "threat")
    assert svc.blocklist.get(NUMBER).meta.action == "block"
    assert reporting.apply_peer_vote(svc, "ngo", NUMBER, "false_positive", NOW).state is State.WARN
    assert svc.blocklist.get(NUMBER).meta.action == "screen"
    assert reporting.false_positive(svc, "cli:carol", NUMBER, "our lawyer").state is State.NONE
    assert svc.blocklist.get(NUMBER) is None


def test_a_block_not_seen_for_the_stale_period_drops_to_warn(svc):
    then = NOW - (STALE_DAYS + 1) * DAY
    for i in range(10):
        reporting.file_report(svc, f"volunteer{i}", NUMBER, "threat", clock=lambda: then)
    assert svc.blocklist.get(NUMBER).meta.action == "block"
    assert reporting.refresh(svc, clock=clock) == {"warn": 1}
    assert svc.blocklist.get(NUMBER).meta.action == "screen"


def test_a_call_from_an_evidence_number_is_recorded_as_a_sighting_once(svc, twilio, line):
    reporting.file_report(svc, "anna", NUMBER, "threat")
    reporting.file_report(svc, "boris", NUMBER, "threat")
    sim = twilio.call(NUMBER).sim
    twilio.post("/voice/status", sim.status_form("completed"))
    twilio.post("/voice/status", sim.status_form("completed"))  # Twilio may post it twice
    seen = [v for v in svc.votes.votes(NUMBER) if v.kind == "seen"]
    assert [(v.call_sid, v.line) for v in seen] == [(sim.sid, LINE)]


def test_evidence_never_touches_an_entry_a_curator_made(svc, cli):
    cli("blocklist", "add", NUMBER, "--reason", "known officer")
    reporting.file_report(svc, "anna", NUMBER, "threat")
    reporting.apply_peer_vote(svc, "a", NUMBER, "false_positive", NOW)
    reporting.apply_peer_vote(svc, "b", NUMBER, "false_positive", NOW)
    assert svc.blocklist.get(NUMBER).meta.reason == "known officer"


def test_reverting_a_volunteer_undoes_all_their_evidence_and_keeps_history(svc, cli):
    others = ["+375291111111", "+375292222222"]
    for number in [NUMBER, *others]:
        reporting.file_report(svc, "mole", number, "threat")
    reporting.file_report(svc, "anna", NUMBER, "threat")
    assert svc.blocklist.get(NUMBER).meta.action == "block"
    out = cli("reports", "revert", "mole", "--why", "planted volunteer")
    assert "reverted 3 numbers" in out.output
    assert svc.blocklist.get(NUMBER).meta.action == "screen"  # anna's report still warns
    assert all(svc.blocklist.get(n) is None for n in others)
    assert all(v.reverted for v in svc.votes.votes(others[0]))  # kept, flagged
    [entry] = [e for e in svc.audit.entries() if e["action"] == "evidence.revert"]
    assert entry["target"] == "local:mole" and sorted(entry["after"]["numbers"]) == sorted([NUMBER, *others])


def test_reverting_a_partner_undoes_its_evidence(svc):
    reporting.trust(svc, "cli:admin", "peer:rogue")  # a partner that was trusted, then turned
    reporting.file_report(svc, "anna", NUMBER, "threat")
    reporting.apply_peer_vote(svc, "rogue", NUMBER, "report", NOW)
    assert svc.blocklist.get(NUMBER).meta.action == "block"
    assert reporting.revert(svc, "cli:admin", "peer:rogue") == [NUMBER]
    assert svc.blocklist.get(NUMBER).meta.action == "screen"


def test_every_entry_traces_to_its_reporters_and_partners(svc, cli):
    reporting.file_report(svc, "anna", NUMBER, "impersonation", "said he was a lawyer", line=LINE)
    reporting.apply_peer_vote(svc, "ngo", NUMBER, "report", NOW, "threat")
    out = cli("reports", "show", NUMBER)
    assert "reporters: anna; partners: peer:ngo" in out.output
    assert "said he was a lawyer" in out.output and "changes:" in out.output


def test_a_never_block_number_takes_no_reports(svc, cli):
    assert cli("neverblock", "add", NUMBER, "--why", "embassy").exit_code == 0
    out = cli("report", NUMBER, "--category", "threat")
    assert out.exit_code != 0 and "never-block" in out.output
    with pytest.raises(reporting.NeverBlocked):
        reporting.apply_peer_vote(svc, "ngo", NUMBER, "report", NOW)
    assert svc.blocklist.get(NUMBER) is None


def test_putting_a_number_on_the_never_block_list_lifts_its_evidence_entry(svc):
    reporting.file_report(svc, "anna", NUMBER, "threat")
    never_block.add(svc, "cli:admin", NUMBER, "our lawyer")
    assert svc.blocklist.get(NUMBER) is None


def test_never_block_addition_waits_for_a_second_person_under_the_rule(svc):
    svc = replace(svc, web=replace(svc.web, two_person_rule=True))
    change = never_block.add_or_propose(svc, "cli:anna", NUMBER, "helpline")
    assert svc.never_block.get(NUMBER) is None
    with pytest.raises(changes.OwnChange):
        changes.confirm(svc, "web:anna", change.id)
    changes.confirm(svc, "cli:boris", change.id)
    assert svc.never_block.get(NUMBER)["why"] == "helpline"


def test_ranges_are_proposed_from_evidence_and_vetoed_by_protected_numbers(svc, cli, line):
    for digit in "0358":
        reporting.file_report(svc, "anna", f"+37529123450{digit}", "silent_call")
    for digit in "1247":
        reporting.file_report(svc, "anna", f"+37529123460{digit}", "silent_call")
    svc.lines.allow(LINE, "+375291234609")
    out = cli("reports", "ranges", "--propose")
    assert "+3752912345*" not in out.output
    assert "+37529123450*: 4 numbers" in out.output and "+37529123460*: 4 numbers vetoed by +375291234609" in out.output
    assert [p.entry for p in svc.proposals.all()] == ["+37529123450*"]
    assert svc.blocklist.get("+37529123450*") is None  # only a curator's confirmation lists it


def test_a_range_proposal_is_vetoed_when_a_protected_number_appears_before_it_is_confirmed(svc, cli):
    for digit in "0358":
        reporting.file_report(svc, "anna", f"+37529123450{digit}", "silent_call")
    reporting.propose_evidence_ranges(svc)
    never_block.add(svc, "cli:admin", "+375291234509", "a newsroom")
    with pytest.raises(lists.VetoedRange):
        lists.confirm(svc, "cli:cora", "+37529123450*")
    assert svc.blocklist.get("+37529123450*") is None


def test_pressing_9_counts_as_evidence_and_the_next_call_warns_the_press_secretary(twilio, svc, line, run_worker,
                                                                                   outbox):
    svc.lines.save(replace(line, policy=(("ordinary", "screen"),)))
    sim = twilio.call(NUMBER).sim
    name_given(twilio, sim)
    press(twilio, sim, "9")
    dial_done(twilio, sim, then="reported")
    run_worker()
    [vote] = svc.votes.votes(NUMBER)
    assert vote.person == f"line:{LINE}" and vote.call_sid == sim.sid and vote.line == LINE
    assert svc.blocklist.get(NUMBER).meta.action == "screen"
    assert svc.reviews.open_reports()[0].call_sid == sim.sid  # the curators still review it
    # The next call from the number is screened, and the whisper says why.
    svc.lines.save(line)
    again = twilio.call(NUMBER).sim
    assert svc.calls.get(again.sid)["rule"] == "screenlist"
    name_given(twilio, again)
    whisper = twilio.post(f"/voice/screen/whisper?call={again.sid}&line=%2B12025550143", whisper_leg(again))
    says = [s.text for s in ElementTree.fromstring(whisper.data).iter("Say")]
    assert "Warning: this number was reported for threats." in says
