"""The never-block list (lawyers, embassies, helplines, newsrooms, the principals' relatives): its numbers
take no reports and veto ranges. Adding one can let a caller through, so under the two-person rule it is
only proposed (kind `neverblock.add`, confirmed in screener.changes), like an allowlist addition.

Audit entries: neverblock.add / neverblock.propose / neverblock.confirm (target the number, after
{why}), neverblock.remove (before the record).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from screener import reporting
from screener.numbers import parse_number
from screener.store.pending import PendingChange

if TYPE_CHECKING:
    from screener.services import Services

Clock = Callable[[], float]


class NeverBlockError(Exception):
    """A never-block change that was refused, in plain words."""


def add(svc: Services, who: str, text: str, why: str, *, region: str | None = None,
        clock: Clock = time.time) -> str:
    """Put a number on the never-block list at once; its evidence-made entry goes. Returns the number."""
    number = parse_number(text, region)
    _land(svc, number, {"why": why.strip(), "added_by": who, "added_at": int(clock())})
    svc.audit.append(who, "neverblock.add", number, None, {"why": why.strip()})
    return number


def add_or_propose(svc: Services, who: str, text: str, why: str, *, region: str | None = None,
                   clock: Clock = time.time) -> str | PendingChange:
    """An addition under the two-person rule is only proposed; otherwise it lands at once."""
    if not svc.web.two_person_rule:
        return add(svc, who, text, why, region=region, clock=clock)
    number = parse_number(text, region)
    if svc.never_block.get(number) is not None:
        raise NeverBlockError(f"{number}: on the never-block list already")
    change = svc.pending.propose("neverblock.add", number, None, {"why": why.strip()}, who)
    if change is None:
        raise NeverBlockError(f"{number}: an addition waits for a second person already")
    svc.audit.append(who, "neverblock.propose", number, None, {"why": why.strip()})
    return change


def apply_add(svc: Services, change: PendingChange) -> dict:
    """A confirmed addition (screener.changes)."""
    record = {"why": change.after.get("why", ""), "added_by": f"{change.proposed_by}", "added_at": int(time.time())}
    _land(svc, change.target, record)
    return change.after


def _land(svc: Services, number: str, record: dict) -> None:
    if not svc.never_block.add(number, record):
        raise NeverBlockError(f"{number}: on the never-block list already")
    reporting.sync(svc, number)


def remove(svc: Services, who: str, text: str) -> str:
    """Take a number off the never-block list (its evidence counts again)."""
    number = parse_number(text)
    removed = svc.never_block.remove(number)
    if removed is None:
        raise NeverBlockError(f"{number}: not on the never-block list")
    svc.audit.append(who, "neverblock.remove", number, removed, None)
    reporting.sync(svc, number)
    return number
