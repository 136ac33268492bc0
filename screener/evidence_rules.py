"""Pure rules that turn a number's reports, confirmations and false-positive reports into its state
(block / warn / none) with the reasons, and propose ranges from evidence. No I/O here.

Evidence is a list of Votes. Each names its organisation (`local` for this instance, `peer:NAME` for a
partner whose feed we apply) and, within it, the person who cast it (a volunteer's login; "" for a
partner's organisation-level evidence). The numbers (README "Reports, evidence and thresholds"):

- a vote counts in full for FRESH_DAYS (30 days: two people reporting a week apart still block), then
  halves every HALF_LIFE_DAYS (90 days: intimidators here change SIM cards within weeks, far faster than
  the call centres PhoneBlock's 125 days were tuned for); two half-lives later a single volunteer's report
  no longer warns;
- each person counts at most one unit (their strongest vote), each organisation at most one unit;
- a person or organisation on probation counts PROBATION_WEIGHT of a unit until confirmed;
- block: BLOCK_PEOPLE units from distinct local people, or BLOCK_ORGANISATIONS units from distinct
  organisations (ours among them); warn: at least WARN_UNITS of evidence from anyone;
- one organisation's false-positive report demotes to warn, two organisations' remove the number;
- a number seen calling again (a `seen` vote, recorded when a call it made ends) keeps its evidence fresh:
  weights decay from the later of the vote and the last sighting;
- a number not reported, confirmed or seen calling for STALE_DAYS drops to warn;
- a number on the never-block list takes no votes at all.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable

DAY = 86_400
FRESH_DAYS = 30
HALF_LIFE_DAYS = 90
STALE_DAYS = 180
PROBATION_WEIGHT = 0.5
BLOCK_PEOPLE = 2.0
BLOCK_ORGANISATIONS = 2.0
WARN_UNITS = 0.25
LOCAL = "local"

# What a report says the call was; the web page, the CLI and the API accept exactly these.
CATEGORIES = ("threat", "friendly_approach", "silent_call", "family_pressure", "impersonation")
VOTE_KINDS = ("report", "confirm", "false_positive", "seen")


class State(str, Enum):
    """What the call path does with a number because of its evidence."""

    BLOCK = "block"
    WARN = "warn"
    NONE = "none"

    @property
    def rank(self) -> int:
        return {"none": 0, "warn": 1, "block": 2}[self.value]


@dataclass(frozen=True)
class Vote:
    """One piece of evidence about one number: a report, a confirmation by a curator, a false-positive
    report, or a sighting (the number called again). Only `kind`, `org`, `person` and `at` count."""

    kind: str
    org: str
    person: str
    at: int
    category: str = ""
    line: str = ""
    call_sid: str = ""
    note: str = ""
    id: str = ""
    reverted: bool = False

    @property
    def principal(self) -> str:
        """Who cast it: `local:alice`, or `peer:NAME` for a partner (its people are not known to us)."""
        return f"{self.org}:{self.person}" if self.org == LOCAL else self.org


@dataclass(frozen=True)
class Explanation:
    """Why a number is in its state, and when it ages out (None: it would not change without new votes)."""

    state: State
    reasons: tuple[str, ...]
    people: float
    organisations: float
    reporters: tuple[str, ...]
    partners: tuple[str, ...]
    confirmations: int
    false_positives: tuple[str, ...]
    categories: dict[str, int] = field(default_factory=dict)
    last_seen: int = 0
    changes_at: int | None = None
    changes_to: State | None = None


def decay(age_seconds: float) -> float:
    """The weight left of a vote this old: 1 for FRESH_DAYS, then halving every HALF_LIFE_DAYS."""
    return 0.5 ** (max(age_seconds - FRESH_DAYS * DAY, 0) / (HALF_LIFE_DAYS * DAY))


def _counting(votes: Iterable[Vote], now: int) -> list[Vote]:
    return [v for v in votes if not v.reverted and v.at <= now]


def _units(votes: list[Vote], now: int, probation: frozenset[str]) -> tuple[float, float]:
    """(units from distinct local people, units from distinct organisations)."""
    per_person: dict[str, float] = {}
    sighted = max((v.at for v in votes if v.kind == "seen"), default=0)
    for vote in votes:
        if vote.kind not in ("report", "confirm"):
            continue
        weight = decay(now - max(vote.at, sighted))
        if vote.principal in probation:  # a partner's confirmation too: one unit per organisation, on probation
            weight *= PROBATION_WEIGHT
        per_person[vote.principal] = max(per_person.get(vote.principal, 0.0), weight)
    people = sum(w for p, w in per_person.items() if p.startswith(LOCAL + ":"))
    per_org: dict[str, float] = {}
    for principal, weight in per_person.items():
        org = LOCAL if principal.startswith(LOCAL + ":") else principal
        per_org[org] = per_org.get(org, 0.0) + weight
    organisations = sum(min(1.0, w) for w in per_org.values())
    return people, organisations


def _false_positive_orgs(votes: list[Vote]) -> tuple[str, ...]:
    return tuple(sorted({v.org for v in votes if v.kind == "false_positive"}))


def _last_seen(votes: list[Vote]) -> int:
    return max((v.at for v in votes if v.kind != "false_positive"), default=0)


def state_at(votes: Iterable[Vote], now: int, probation: frozenset[str] = frozenset(),
             never_block: bool = False) -> tuple[State, list[str]]:
    """The number's state at `now` and the reasons for it, in plain words."""
    if never_block:
        return State.NONE, ["on the never-block list: takes no votes"]
    counted = _counting(votes, now)
    people, organisations = _units(counted, now, probation)
    if people >= BLOCK_PEOPLE:
        state, reasons = State.BLOCK, [f"reports from {people:.2f} units of distinct people (block at {BLOCK_PEOPLE:g})"]
    elif organisations >= BLOCK_ORGANISATIONS:
        state, reasons = State.BLOCK, [f"evidence from {organisations:.2f} units of distinct organisations "
                                       f"(block at {BLOCK_ORGANISATIONS:g})"]
    elif max(people, organisations) >= WARN_UNITS:
        state, reasons = State.WARN, [f"evidence of {max(people, organisations):.2f} units: enough to warn "
                                      f"(from {WARN_UNITS:g}), not to block"]
    else:
        return State.NONE, [f"evidence of {max(people, organisations):.2f} units: below {WARN_UNITS:g}"]
    fps = _false_positive_orgs(counted)
    if len(fps) >= 2:
        return State.NONE, reasons + [f"false-positive reports from {len(fps)} organisations: removed"]
    if fps and state is State.BLOCK:
        state, reasons = State.WARN, reasons + [f"a false-positive report from {fps[0]}: demoted to warn"]
    if state is State.BLOCK and now - _last_seen(counted) > STALE_DAYS * DAY:
        state, reasons = State.WARN, reasons + [f"not seen for more than {STALE_DAYS} days: dropped to warn"]
    return state, reasons


def explain(votes: Iterable[Vote], now: int, probation: frozenset[str] = frozenset(),
            never_block: bool = False) -> Explanation:
    """The number's state, its reasons and its evidence, and when (without new votes) it changes next."""
    votes = list(votes)
    counted = _counting(votes, now)
    state, reasons = state_at(votes, now, probation, never_block)
    people, organisations = _units(counted, now, probation)
    categories: dict[str, int] = {}
    for vote in counted:
        if vote.kind == "report" and vote.category:
            categories[vote.category] = categories.get(vote.category, 0) + 1
    changes_at = None if never_block else _next_change(votes, now, probation, state)
    return Explanation(
        state=state, reasons=tuple(reasons), people=round(people, 3), organisations=round(organisations, 3),
        reporters=tuple(sorted({v.person for v in counted if v.kind == "report" and v.org == LOCAL})),
        partners=tuple(sorted({v.org for v in counted if v.org != LOCAL})),
        confirmations=sum(1 for v in counted if v.kind == "confirm"),
        false_positives=_false_positive_orgs(counted), categories=categories, last_seen=_last_seen(counted),
        changes_at=changes_at,
        changes_to=None if changes_at is None else state_at(votes, changes_at, probation)[0],
    )


def _next_change(votes: list[Vote], now: int, probation: frozenset[str], state: State) -> int | None:
    """The first second at which the state drops, found by bisection: without new votes it only ever drops
    (weights decay and the stale rule only demotes), so the state is monotone in time."""
    if state is State.NONE:
        return None
    horizon = now + FRESH_DAYS * DAY + int(HALF_LIFE_DAYS * DAY * (math.log2(max(len(votes), 1) / WARN_UNITS) + 2)) + STALE_DAYS * DAY
    if state_at(votes, horizon, probation)[0] is state:
        return None
    low, high = now, horizon
    while high - low > 60:
        middle = (low + high) // 2
        if state_at(votes, middle, probation)[0] is state:
            low = middle
        else:
            high = middle
    return high


# --- ranges ----------------------------------------------------------------------------------------

TEN_BLOCK_NUMBERS = 4
HUNDRED_BLOCK_NUMBERS = 8
HUNDRED_BLOCK_TENS = 4


@dataclass(frozen=True)
class RangeProposal:
    """A prefix that enough numbers with evidence share, the numbers, and what vetoes it (if anything)."""

    prefix: str  # "+3752912345*"
    numbers: tuple[str, ...]
    vetoed_by: tuple[str, ...] = ()

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoed_by)


def propose_ranges(with_evidence: Iterable[str], protected: Iterable[str]) -> list[RangeProposal]:
    """Ranges that evidence supports: a block of 10 (all but the last digit) with at least 4 distinct
    numbers carrying evidence; a block of 100 with at least 8 of them spread over at least 4 of its tens.
    A number on any allowlist or the never-block list inside a range vetoes it (the proposal says which).
    Blocks of 10 inside a proposed block of 100 are left out; the list is sorted by prefix."""
    numbers = sorted({n for n in with_evidence if n.startswith("+") and n[1:].isdigit() and len(n) > 4})
    guarded = sorted(set(protected))
    tens: dict[str, list[str]] = {}
    for number in numbers:
        tens.setdefault(number[:-1], []).append(number)
    hundreds: dict[str, list[str]] = {}
    for number in numbers:
        hundreds.setdefault(number[:-2], []).append(number)
    proposals: dict[str, RangeProposal] = {}
    for stem, members in hundreds.items():
        if len(members) >= HUNDRED_BLOCK_NUMBERS and len({m[:-1] for m in members}) >= HUNDRED_BLOCK_TENS:
            proposals[stem] = _proposal(stem, members, guarded)
    for stem, members in tens.items():
        covering = proposals.get(stem[:-1])
        if len(members) >= TEN_BLOCK_NUMBERS and (covering is None or covering.vetoed):
            proposals[stem] = _proposal(stem, members, guarded)
    return [proposals[stem] for stem in sorted(proposals)]


def _proposal(stem: str, members: list[str], guarded: list[str]) -> RangeProposal:
    vetoes = tuple(g for g in guarded if g.startswith(stem) and len(g) >= len(stem))
    return RangeProposal(stem + "*", tuple(members), vetoes)
