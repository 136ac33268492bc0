"""What a partner's feed does to our list: the one place that turns a partner's attributes into entries,
proposals or warnings, and takes them back. The evidence model may later replace the body of apply(); its
interface (a partner, its trust, attributes with first_seen/last_seen/category/sightings -> counts) stays.

Trust decides what a partner's number becomes:
    auto    a blocklist entry of that organisation's (source peer:NAME, action block)
    review  a proposal in the curators' queue on /blocklist/, proposed by peer:NAME
    warn    a screen entry (source peer:NAME, action screen): the call is screened, and the entry's reason
            (which partner, which category) is what the call log shows as why
Per-entry provenance: the entry's metadata names the partner (source, added_by) and its event (evidence);
store/federation.py records every number of each of the partner's events. A number already on our list, or
already proposed, is left as it is. Nothing here audits: the sync that calls it writes one audit entry.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from screener.federation.misp import PeerAttribute
from screener.store.blocklist import EntryMeta

if TYPE_CHECKING:
    from screener.services import Services

CHUNK = 5000


@dataclass
class ApplyCounts:
    """What applying a partner's attributes did."""

    added: int = 0  # new blocklist entries (auto)
    warned: int = 0  # new screen entries (warn)
    proposed: int = 0  # new proposals in the review queue (review)
    already: int = 0  # on our list or proposed already: left as they were
    withdrawn: int = 0  # entries or proposals taken back (the partner dropped them, or a revert)
    confirmations: int = 0  # sightings of type 0 the partner sent with them
    false_positives: int = 0  # sightings of type 1

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


def apply(svc: Services, peer: str, trust: str, attributes: list[PeerAttribute],
          clock: Callable[[], float] = time.time) -> ApplyCounts:
    """Apply a partner's attributes at its trust level; return the counts."""
    counts = ApplyCounts()
    at = int(clock())
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    marks: dict[str, tuple[int, int]] = {}
    for number, event, category, _first, _last, seen, false_positive in attributes:
        groups[(event, category)].append(number)
        if seen or false_positive:
            marks[number] = (seen, false_positive)
    counts.confirmations = sum(seen for seen, _ in marks.values())
    counts.false_positives = sum(fp for _, fp in marks.values())
    for (event, category), numbers in groups.items():
        if trust == "review":
            _propose(svc, peer, numbers, meta_for(peer, event, category, "block", at), counts)
            continue
        action = "screen" if trust == "warn" else "block"
        meta = meta_for(peer, event, category, action, at)
        for start in range(0, len(numbers), CHUNK):
            chunk = numbers[start:start + CHUNK]
            new = svc.blocklist.add_many(chunk, meta)
            counts.already += len(chunk) - new
            if action == "screen":
                counts.warned += new
            else:
                counts.added += new
    if marks:
        svc.peers.set_sightings(peer, marks)
    return counts


def _propose(svc: Services, peer: str, numbers: list[str], meta: EntryMeta, counts: ApplyCounts) -> None:
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start:start + CHUNK]
        listed = {entry.entry for entry in svc.blocklist.get_many(chunk)}
        for number in chunk:
            if number in listed or not svc.proposals.propose(number, meta, source_of(peer)):
                counts.already += 1
            else:
                counts.proposed += 1


def withdraw(svc: Services, peer: str, numbers: Iterable[str]) -> int:
    """Take back what a partner brought among `numbers`: its entries (whatever the trust) and its proposals.
    Entries someone here added, or another partner brought, stay."""
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
    return taken
