"""Reports and the evidence they make: filing one (from the phone, the call log, the web page, the CLI or the
API), confirming, reporting a false positive, reverting everything one person or partner cast, and writing a
number's derived state into the blocklist, where the call path reads it as it reads any entry.

Evidence is keyed by organisation: `local` (this instance, by person) or `peer:NAME` (a partner's feed,
applied through apply_peer_vote(), by screener.federation). The state is derived by screener.evidence_rules;
the blocklist holds it as an entry with source `evidence` (action block, or screen for warn). An entry a
person put on the list (any other source) is theirs: evidence never changes or removes it.

Audit entries name a number as `masked linkhash` (its masked form and the first 12 characters of its keyed
hash): a report may be about a source's number until it is confirmed, and the audit log is append-only.
report.file (after the vote without its note), report.review (over quota: the report went
to the review queue), evidence.confirm, evidence.false_positive, evidence.state (before/after the derived
state), evidence.revert (target the person or partner), evidence.trust, blocklist.propose (a range).
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Callable

from screener.evidence_rules import CATEGORIES, LOCAL, Explanation, RangeProposal, State, Vote, explain, propose_ranges
from screener.model import Role
from screener.numbers import mask, parse_number
from screener.store.blocklist import EntryMeta

if TYPE_CHECKING:
    from screener.services import Services

Clock = Callable[[], float]
EVIDENCE_SOURCE = "evidence"
RANGE_SOURCE = "evidence-range"
REPORTS_PER_DAY = 20  # per volunteer; beyond, reports go to the review queue
NEW_NUMBERS_PER_WEEK = 100  # per partner; beyond, its new numbers go to the review queue
NOTE_LIMIT = 1000
# What a partner may send: sightings of calls are ours alone (a partner could otherwise keep stale evidence fresh).
PEER_KINDS = ("report", "confirm", "false_positive")


class ReportError(ValueError):
    """A report that cannot be filed, with the reason in plain words."""


class NeverBlocked(ReportError):
    """The number is on the never-block list: it takes no votes."""


@dataclass(frozen=True)
class Filed:
    """What became of a report: `counted` as evidence (with the number's new state) or sent to `review`."""

    number: str
    outcome: str
    state: State | None = None
    vote_id: str = ""
    review_id: str = ""


def check_category(category: str) -> str:
    """A report category, or ReportError naming the accepted ones."""
    category = (category or "").strip().lower().replace("-", "_").replace(" ", "_")
    if category not in CATEGORIES:
        raise ReportError(f"{category or '(none)'}: the category is one of {', '.join(CATEGORIES)}")
    return category


def file_report(svc: Services, person: str, text: str, category: str, note: str = "", *, line: str = "",
                call_sid: str = "", region: str | None = None, actor: str = "", quota: bool = True,
                clock: Clock = time.time) -> Filed:
    """Count a person's report on a number (as typed; national numbers in `region`), or send it to the
    review queue when the person is over REPORTS_PER_DAY today (`quota` False: a report a curator accepted
    from the review queue). InvalidNumber, ReportError, NeverBlocked."""
    number = parse_number(text, region)
    category = check_category(category)
    note = (note or "").strip()[:NOTE_LIMIT]
    if svc.never_block.get(number) is not None:
        raise NeverBlocked(f"{number}: on the never-block list, it takes no reports")
    now = int(clock())
    if quota and svc.votes.count_report(person, time.strftime("%Y-%m-%d", time.gmtime(now))) > REPORTS_PER_DAY:
        why = f"over the quota of {REPORTS_PER_DAY} reports a day by {person}"
        return _to_review(svc, actor or person, number, f"{category}: {note} ({why})", line, call_sid)
    vote = svc.votes.add(number, Vote("report", LOCAL, person, now, category, line, call_sid, note))
    svc.audit.append(actor or person, "report.file", audit_target(svc, number), None, _public(vote))
    return Filed(number, "counted", sync(svc, number, clock=clock).state, vote.id)


def apply_peer_vote(svc: Services, peer: str, number: str, kind: str, at: int, category: str = "",
                    note: str = "", clock: Clock = time.time, quota: bool = True) -> Filed:
    """A partner's evidence on a number (E.164), as organisation `peer:NAME`: a report, confirm (sighting)
    or false_positive. A partner's new numbers beyond NEW_NUMBERS_PER_WEEK go to the review queue (`quota`
    False: numbers a curator released from those a sync held, screener.peer_apply.release)."""
    org = f"peer:{peer}"
    if kind not in PEER_KINDS:
        raise ReportError(f"{kind}: a partner's evidence is one of {', '.join(PEER_KINDS)}")
    number = parse_number(number)
    category = category if category in CATEGORIES else ""
    if svc.never_block.get(number) is not None:
        raise NeverBlocked(f"{number}: on the never-block list, it takes no reports")
    now = int(clock())
    if quota and kind == "report" and not svc.votes.has_evidence(number):
        if svc.votes.count_new_number(org, time.strftime("%G-W%V", time.gmtime(now))) > NEW_NUMBERS_PER_WEEK:
            why = f"over the quota of {NEW_NUMBERS_PER_WEEK} new numbers a week from {org}"
            return _to_review(svc, org, number, f"{category}: {note} ({why})", "", "")
    vote = svc.votes.add(number, Vote(kind, org, "", min(at, now), category, note=note[:NOTE_LIMIT]))
    svc.audit.append(org, f"report.{kind}", audit_target(svc, number), None, _public(vote))
    return Filed(number, "counted", sync(svc, number, clock=clock).state, vote.id)


def confirm(svc: Services, who: str, number: str, note: str = "", clock: Clock = time.time) -> Filed:
    """A curator confirms the evidence on a number: one more unit from them (never more than one)."""
    return _local_vote(svc, who, number, "confirm", note, clock)


def false_positive(svc: Services, who: str, number: str, note: str = "", clock: Clock = time.time) -> Filed:
    """Our organisation says the number is not an intimidator: one such report from any organisation demotes
    a block to warn, two remove it."""
    return _local_vote(svc, who, number, "false_positive", note, clock)


def _local_vote(svc: Services, who: str, text: str, kind: str, note: str, clock: Clock) -> Filed:
    number = parse_number(text)
    now = int(clock())
    vote = svc.votes.add(number, Vote(kind, LOCAL, _person(who), now, note=(note or "").strip()[:NOTE_LIMIT]))
    svc.feed_sightings.record(number, false_positive=kind == "false_positive", at=now)  # a MISP sighting in our feed
    svc.audit.append(who, f"evidence.{kind}", audit_target(svc, number), None, _public(vote))
    return Filed(number, "counted", sync(svc, number, clock=clock).state, vote.id)


def audit_target(svc: Services, number: str) -> str:
    """How the audit log names a number with evidence: masked, with a keyed hash linking its entries."""
    return f"{mask(number)} {svc.vault.link_hash(number)[:12]}"


def _public(vote: Vote) -> dict:
    return {k: v for k, v in asdict(vote).items() if k != "note"}


def erase_call_reports(svc: Services, who: str, number: str, call_sid: str) -> int:
    """A curator rejected the review of a call: the reports made on that call are erased (not kept: the
    caller may be a source), and the number's state follows. Returns how many were erased."""
    ids = [v.id for v in svc.votes.votes(number) if v.call_sid == call_sid and call_sid]
    erased = svc.votes.erase(number, ids)
    if erased:
        svc.audit.append(who, "report.erase", audit_target(svc, number), None, {"call_sid": call_sid, "votes": erased})
        sync(svc, number, who)
    return erased


def note_sighting(svc: Services, call_sid: str, clock: Clock = time.time) -> bool:
    """A call that ended was from a number listed by evidence: record that it was seen calling again (once
    per call), which keeps its evidence fresh. False when the call was not one of those."""
    call = svc.calls.record(call_sid)
    if call is None or call.rule not in ("blocklist", "screenlist"):
        return False
    encrypted = svc.calls.encrypted_number(call_sid)
    number = call.caller or (svc.vault.decrypt(encrypted) if encrypted else None)
    entry = svc.blocklist.get(number) if number else None
    if entry is None or entry.meta.source != EVIDENCE_SOURCE:
        return False
    if any(v.kind == "seen" and v.call_sid == call_sid for v in svc.votes.votes(number)):
        return False
    svc.votes.add(number, Vote("seen", LOCAL, "calls", int(clock()), line=call.line, call_sid=call_sid))
    sync(svc, number, clock=clock)
    return True


def _person(actor: str) -> str:
    """`web:anna`, `cli:anna` and `api:anna` are the same volunteer: counted once."""
    return actor.partition(":")[2] or actor


def _to_review(svc: Services, who: str, number: str, note: str, line: str, call_sid: str) -> Filed:
    report = svc.reviews.open(number_encrypted=svc.vault.encrypt(number), number_masked=mask(number),
                              caller_hash=svc.vault.link_hash(number), call_sid=call_sid, line=line,
                              note=note, reported_by=who)
    svc.audit.append(who, "report.review", report.id, None, report.public())
    return Filed(number, "review", review_id=report.id)


def probation(svc: Services, votes: list[Vote]) -> frozenset[str]:
    """Who among the voters is on probation: partners and volunteers (viewers) nobody has trusted yet. The
    press secretaries (line:...), curators, admins and operators at the command line are trusted."""
    trusted = svc.votes.trusted()
    out = set()
    for vote in {v.principal: v for v in votes if v.kind in ("report", "confirm")}.values():
        principal = vote.principal
        if principal in trusted or (vote.org == LOCAL and vote.person.startswith("line:")):
            continue
        if vote.org == LOCAL:
            user = svc.users.get(vote.person)
            if user is None or user.role.allows(Role.CURATOR):
                continue
        out.add(principal)
    return frozenset(out)


def explanation(svc: Services, number: str, clock: Clock = time.time) -> Explanation:
    """Why the number is in its state now, from its votes."""
    votes = svc.votes.votes(number)
    return explain(votes, int(clock()), probation(svc, votes), svc.never_block.get(number) is not None)


def sync(svc: Services, number: str, who: str = EVIDENCE_SOURCE, clock: Clock = time.time) -> Explanation:
    """Write the number's derived state into the blocklist: an entry with source `evidence` that blocks,
    screens (warn) or is gone. An entry a person made is left alone; a partner's entry (source peer:NAME,
    from a warn or review partner) gives way only when the evidence blocks."""
    found = explanation(svc, number, clock)
    current = svc.blocklist.get(number)
    if current is not None and current.meta.source != EVIDENCE_SOURCE and not (
            found.state is State.BLOCK and current.meta.source.startswith("peer:")):
        return found  # a person's entry; or a partner's warning (or review) that the evidence does not outgrow
    before = _state_of(current.meta) if current else State.NONE
    if found.state is State.NONE:
        if current is not None:
            svc.blocklist.remove(number)
    else:
        meta = _meta(found)
        if current is None:
            svc.blocklist.add_many([number], meta)
        elif current.meta != meta:
            svc.blocklist.update(number, meta)
    if before is not found.state:
        svc.audit.append(who, "evidence.state", audit_target(svc, number), before.value,
                         {"state": found.state.value, "reasons": list(found.reasons)})
    return found


def _state_of(meta: EntryMeta) -> State:
    return State.WARN if meta.action == "screen" else State.BLOCK


def _meta(found: Explanation) -> EntryMeta:
    """Few distinct records (category x action), so the blocklist's interned metadata stays small."""
    category = Counter(found.categories).most_common(1)[0][0] if found.categories else "threat"
    return EntryMeta(category=category, reason=f"evidence: {found.state.value}", source=EVIDENCE_SOURCE,
                     added_by=EVIDENCE_SOURCE, action="block" if found.state is State.BLOCK else "screen")


def refresh(svc: Services, clock: Clock = time.time) -> Counter:
    """Bring every number's derived state up to date (evidence decays): run it daily. Counts by state."""
    return Counter(sync(svc, number, clock=clock).state.value for number in svc.votes.numbers())


def revert(svc: Services, who: str, principal: str, why: str = "", clock: Clock = time.time) -> list[str]:
    """Stop counting everything one volunteer (`NAME` or `line:+...`) or partner (`peer:NAME`) cast, in one
    step: their votes stay, flagged, and the audit log keeps one entry naming the numbers."""
    principal = principal if principal.startswith("peer:") else f"{LOCAL}:{principal}"
    numbers = svc.votes.revert(principal)
    svc.audit.append(who, "evidence.revert", principal, None, {"numbers": numbers, "why": why})
    for number in numbers:
        sync(svc, number, who, clock)
    return numbers


def trust(svc: Services, who: str, principal: str) -> bool:
    """Take a volunteer (`NAME`) or partner (`peer:NAME`) out of probation."""
    principal = principal if principal.startswith("peer:") else f"{LOCAL}:{principal}"
    changed = svc.votes.trust(principal)
    if changed:
        svc.audit.append(who, "evidence.trust", principal, None, {"trusted": True})
    return changed


def protected_numbers(svc: Services) -> set[str]:
    """Numbers no range may cover: every line's allowlist and the never-block list."""
    found = set(svc.never_block.all())
    for line in svc.lines.all():
        found |= svc.lines.allowlist(line)
    return found


def ranges(svc: Services, clock: Clock = time.time) -> list[RangeProposal]:
    """The ranges evidence supports now (vetoed ones included, saying why)."""
    numbers = [n for n in svc.votes.numbers() if explanation(svc, n, clock).state is not State.NONE]
    return propose_ranges(numbers, protected_numbers(svc))


def propose_evidence_ranges(svc: Services, clock: Clock = time.time) -> list[RangeProposal]:
    """Put each range evidence supports, unvetoed and not listed or proposed yet, before the curators as a
    proposal (a curator confirms it like any other). Returns the ones proposed now."""
    proposed = []
    for found in ranges(svc, clock):
        if found.vetoed or svc.blocklist.get(found.prefix) or svc.proposals.get(found.prefix):
            continue
        meta = EntryMeta(category="threat", reason=f"range from evidence: {len(found.numbers)} numbers",
                         evidence=", ".join(found.numbers), source=RANGE_SOURCE, added_by=EVIDENCE_SOURCE,
                         added_at=int(clock()))
        if svc.proposals.propose(found.prefix, meta, EVIDENCE_SOURCE):
            svc.audit.append(EVIDENCE_SOURCE, "blocklist.propose", found.prefix, None, asdict(meta))
            proposed.append(found)
    return proposed
