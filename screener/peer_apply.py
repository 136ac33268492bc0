"""What a partner's feed does to our list: the one place that turns a partner's attributes into evidence,
proposals or warnings, and takes them back (interface: a partner, its trust, attributes with
first_seen/last_seen/category/sightings -> counts).

Trust decides what a partner's number becomes:
    auto    that organisation's evidence (screener.reporting.apply_peer_vote, organisation peer:NAME): a
            report per number, so the number blocks only when enough distinct organisations agree
            (screener.evidence_rules), else warns; one unit per organisation, probation until a curator
            trusts the partner, NEW_NUMBERS_PER_WEEK new numbers a week (beyond: held, all of a partner's
            together, until a curator releases them as its evidence or discards them).
            Its sightings are confirmations, its false-positive sightings false positives (once each).
    review  a proposal in the curators' queue on /blocklist/, proposed by peer:NAME
    warn    a screen entry (source peer:NAME, action screen), never evidence: a warn partner can only ever
            make us warn, however many others agree (README "Sharing the list with other organisations")
A partner's never-block numbers (an event tagged screener-call:never-block) are, at every trust, only
proposed (two-person change `neverblock.add`, proposed by peer:NAME): a never-block number vetoes evidence
and ranges, so one partner must not be able to whitelist a caller here on its own (SECURITY.md).
Per-entry provenance: the votes and entries name the partner and its event; store/federation.py records
every number of each of the partner's events. Nothing here audits per sync: apply_peer_vote audits each
vote, and the sync that calls this writes one audit entry.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from screener import reporting
from screener.evidence_rules import State, Vote
from screener.federation.misp import PeerAttribute
from screener.numbers import InvalidNumber
from screener.store.blocklist import EntryMeta
from screener.store.federation import HeldNumber

if TYPE_CHECKING:
    from screener.services import Services

CHUNK = 5000


@dataclass
class ApplyCounts:
    """What applying a partner's attributes did."""

    added: int = 0  # auto: reports counted as the partner's evidence (the number's state is the evidence's)
    warned: int = 0  # new screen entries (warn)
    proposed: int = 0  # new proposals in the review queue (review)
    held: int = 0  # auto: new numbers over the weekly quota, held for the curators (release, discard)
    already: int = 0  # on our list, proposed or reported by this partner already: left as they were
    withdrawn: int = 0  # entries, proposals or evidence taken back (the partner dropped them, or a revert)
    confirmations: int = 0  # sightings of type 0 the partner sent with them
    false_positives: int = 0  # sightings of type 1
    blocked: int = 0  # auto: numbers whose evidence now blocks (with other organisations' or ours)
    never_block: int = 0  # the partner's never-block numbers proposed to our curators (two-person change)
    vetoed: int = 0  # numbers on our never-block list: they take no votes
    invalid: int = 0  # auto: E.164-shaped but no valid number (phonenumbers): not counted

    def merge(self, other: "ApplyCounts") -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


def source_of(peer: str) -> str:
    """The source (and proposer) a partner's entries carry."""
    return f"peer:{peer}"


def meta_for(peer: str, event: str, category: str, action: str, at: int) -> EntryMeta:
    """The metadata of a partner's entries from one event and category: shared, so a million cost one record."""
    says = "warns about" if action == "screen" else "reports"
    return EntryMeta(category=category, reason=f"partner {peer} {says} this number ({category})",
                     evidence=f"MISP event {event}", source=source_of(peer), added_by=source_of(peer),
                     added_at=at, action=action)


def evidence_category(category: str) -> str:
    """Our report category for a taxonomy category (friendly-approach -> friendly_approach)."""
    return category.replace("-", "_")


def apply(svc: Services, peer: str, trust: str, attributes: list[PeerAttribute],
          clock: Callable[[], float] = time.time) -> ApplyCounts:
    """Apply a partner's attributes at its trust level; return the counts."""
    counts = ApplyCounts()
    at = int(clock())
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    marks: dict[str, tuple[int, int]] = {}
    listed: list[PeerAttribute] = []
    for attribute in attributes:
        if attribute.never_block:
            _propose_never_block(svc, peer, attribute, counts)
            continue
        listed.append(attribute)
        if attribute.seen or attribute.false_positive:
            marks[attribute.number] = (attribute.seen, attribute.false_positive)
    counts.confirmations = sum(seen for seen, _ in marks.values())
    counts.false_positives = sum(fp for _, fp in marks.values())
    if trust == "auto":
        _vote(svc, peer, listed, counts, clock)
    else:
        for attribute in listed:
            groups[(attribute.event, attribute.category)].append(attribute.number)
    for (event, category), numbers in groups.items():
        if trust == "review":
            _propose(svc, peer, numbers, meta_for(peer, event, category, "block", at), counts)
            continue
        meta = meta_for(peer, event, category, "screen", at)
        for start in range(0, len(numbers), CHUNK):
            chunk = numbers[start:start + CHUNK]
            new = svc.blocklist.add_many(chunk, meta)
            counts.already += len(chunk) - new
            counts.warned += new
    if marks:
        svc.peers.set_sightings(peer, marks)
    return counts


def _vote(svc: Services, peer: str, attributes: list[PeerAttribute], counts: ApplyCounts,
          clock: Callable[[], float]) -> None:
    """An auto partner's numbers as its organisation's evidence: one report per number (a fresher one when
    its last_seen moved on), one confirmation when it saw the number call, one false positive when it says
    so. New numbers (no evidence here yet) beyond the weekly quota are held for the curators, all of one
    sync together (release, discard), not filed one by one: a partner's flood costs a hash field a number.
    The checks are read in pipelined chunks; only numbers that become evidence take the report rules' path."""
    org = source_of(peer)
    vetoed = set(svc.never_block.all())  # a short list (lawyers, embassies...): read once
    now = int(clock())
    room = max(0, reporting.NEW_NUMBERS_PER_WEEK - svc.votes.new_numbers(org, time.strftime("%G-W%V", time.gmtime(now))))
    held: dict[str, HeldNumber] = {}
    done: set[str] = set()
    held_events = svc.peers.held_counts(peer)
    already_held = {number for event in {a.event for a in attributes} if event in held_events
                    for number in svc.peers.held_in(peer, event)}
    for start in range(0, len(attributes), CHUNK):
        chunk = attributes[start:start + CHUNK]
        votes = svc.votes.votes_many([a.number for a in chunk])
        for attribute in chunk:
            number = attribute.number
            if number in vetoed:
                counts.vetoed += 1
            elif number in already_held or number in held or number in done:
                counts.already += 1  # (in two of the partner's events: its votes were read before the first)
            elif not votes[number] and room <= 0:
                held[number] = HeldNumber(attribute.event, attribute.category, attribute.last_seen, attribute.seen,
                                          attribute.false_positive)
            else:
                room -= not votes[number]  # apply_peer_vote counts it against the quota
                done.add(number)
                _vote_guarded(svc, peer, org, attribute, votes[number], counts, clock)
    if held:
        svc.peers.hold(peer, held, now)
        counts.held += len(held)


def _vote_guarded(svc: Services, peer: str, org: str, attribute: PeerAttribute, votes: list[Vote],
                  counts: ApplyCounts, clock: Callable[[], float], quota: bool = True) -> None:
    try:
        _vote_one(svc, peer, org, attribute, votes, counts, clock, quota)
    except InvalidNumber:
        counts.invalid += 1
    except reporting.NeverBlocked:  # put on the never-block list meanwhile
        counts.vetoed += 1


def _vote_one(svc: Services, peer: str, org: str, attribute: PeerAttribute, votes: list[Vote], counts: ApplyCounts,
              clock: Callable[[], float], quota: bool) -> None:
    """One number of an auto partner's feed (see _vote), with the votes it has here."""
    number, event, category, _first, last, seen, false_positive = attribute[:7]
    mine = [v for v in votes if v.org == org and not v.reverted]
    kinds = {v.kind for v in mine}
    newest = max((v.at for v in mine if v.kind == "report"), default=None)
    filed = None
    if newest is not None and newest >= min(last, int(clock())):
        counts.already += 1
    else:
        filed = reporting.apply_peer_vote(svc, peer, number, "report", last, evidence_category(category),
                                          f"MISP event {event}", clock, quota)
        if filed.outcome == "review":  # another sync of this partner took the week's last room meanwhile
            counts.proposed += 1
            return
        counts.added += 1
    if seen and "confirm" not in kinds:
        filed = reporting.apply_peer_vote(svc, peer, number, "confirm", last, clock=clock)
    if false_positive and "false_positive" not in kinds:
        filed = reporting.apply_peer_vote(svc, peer, number, "false_positive", last, clock=clock)
    if filed is not None and filed.state is State.BLOCK:
        counts.blocked += 1


def release(svc: Services, peer: str, limit: int, clock: Callable[[], float] = time.time,
            progress: Callable[[int], None] = lambda n: None) -> ApplyCounts:
    """Count up to `limit` of the numbers a sync held for an auto partner as its evidence, beyond the weekly
    quota (a curator decided so), each through the report rules, an event's at a time; they are held no
    more. `progress` hears how many were done after each chunk. The caller audits."""
    org, counts = source_of(peer), ApplyCounts()
    for event in svc.peers.held_counts(peer):
        while limit > 0:
            batch = list(svc.peers.held_in(peer, event).items())[:min(limit, CHUNK)]
            if not batch:
                break
            votes = svc.votes.votes_many([number for number, _ in batch])
            for number, h in batch:
                attribute = PeerAttribute(number, event, h.category, h.last_seen, h.last_seen, h.seen, h.false_positive)
                _vote_guarded(svc, peer, org, attribute, votes[number], counts, clock, quota=False)
            svc.peers.unhold(peer, event, {number for number, _ in batch})
            limit -= len(batch)
            progress(len(batch))
    return counts


def _propose_never_block(svc: Services, peer: str, attribute: PeerAttribute, counts: ApplyCounts) -> None:
    """A partner's never-block number: proposed to our curators, whatever the partner's trust."""
    if svc.never_block.get(attribute.number) is not None:
        counts.already += 1
        return
    why = f"partner {peer} never blocks this number (MISP event {attribute.event})"
    change = svc.pending.propose("neverblock.add", attribute.number, None, {"why": why}, source_of(peer))
    if change is None:
        counts.already += 1
        return
    svc.audit.append(source_of(peer), "neverblock.propose", attribute.number, None, {"why": why})
    counts.never_block += 1


def _propose(svc: Services, peer: str, numbers: list[str], meta: EntryMeta, counts: ApplyCounts) -> None:
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        listed = {entry.entry for entry in svc.blocklist.get_many(chunk)}
        for number in chunk:
            if number in listed or not svc.proposals.propose(number, meta, source_of(peer)):
                counts.already += 1
            else:
                counts.proposed += 1


def withdraw(svc: Services, peer: str, event: str, numbers: Iterable[str], who: str = "") -> int:
    """Take back what a partner brought among `numbers` of its `event`: its entries (whatever the trust), its proposals, the
    numbers held over its quota and its evidence (votes flagged reverted, kept; the numbers' states follow). Entries someone here added, or
    another partner brought, stay; so does everyone else's evidence."""
    source, taken = source_of(peer), 0
    numbers = list(numbers)
    if not numbers:
        return 0
    # The review queue is small (curators work through it): read it once rather than once per number.
    proposed = {p.entry for p in svc.proposals.all() if p.proposed_by == source}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        for entry in svc.blocklist.get_many(chunk):
            if entry.meta.source == source and svc.blocklist.remove(entry.entry) is not None:
                taken += 1
        for number in proposed.intersection(chunk):
            taken += svc.proposals.take(number) is not None
    taken += len(svc.peers.unhold(peer, event, set(numbers)))
    reverted = svc.votes.revert(source, set(numbers))
    for number in reverted:
        reporting.sync(svc, number, who or source)
    return taken + len(reverted)
