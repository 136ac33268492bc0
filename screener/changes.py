"""The second person of the two-person rule for every pending change (store/pending.py): confirm it (a
person other than the proposer; an admin for lines and accounts) or discard it, each with one audit entry
that names the proposer and the person who decided. The pages call these; lists.py, lines.py and accounts.py
propose."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from screener import accounts, lines, lists, never_block
from screener.store.pending import PendingChange

if TYPE_CHECKING:
    from screener.services import Services


class ChangeError(Exception):
    """A pending change that cannot be decided; `change_id` names it."""

    says = "refused"

    def __init__(self, change_id: str) -> None:
        super().__init__(f"{change_id}: {self.says}")
        self.change_id = change_id


class NoChange(ChangeError):
    """No such change waits (another person may have decided it first)."""

    says = "no such change waits"


class OwnChange(ChangeError):
    """The proposer cannot confirm their own change."""

    says = "another person must confirm it"


class AdminMustDecide(ChangeError):
    """Changes to lines and admin accounts are confirmed by an admin."""

    says = "an admin must confirm it"


@dataclass(frozen=True)
class Kind:
    """How a kind of change lands once confirmed (returning what the audit records and what the confirming
    person is shown), and whether only an admin may confirm it."""

    apply: Callable[[Services, PendingChange], tuple[Any, Any]]
    admin_only: bool = False


@dataclass(frozen=True)
class Confirmed:
    """A change that landed, and what landing it gave (a new admin's one-time password, for one)."""

    change: PendingChange
    result: Any = None


def _removal(svc: Services, change: PendingChange) -> tuple[Any, Any]:
    lists.apply_removal(svc, change.target, change.before)
    return change.after, None


def _edit(svc: Services, change: PendingChange) -> tuple[Any, Any]:
    lists.apply_edit(svc, change.target, change.before, change.after)
    return change.after, None


def _allow(svc: Services, change: PendingChange) -> tuple[Any, Any]:
    return lists.apply_allow(svc, change.target), None


def _admin(svc: Services, change: PendingChange) -> tuple[Any, Any]:
    user, password = accounts.apply_add_admin(svc, change)
    return user.public(), (user, password)


def _promote(svc: Services, change: PendingChange) -> tuple[Any, Any]:
    user = accounts.apply_promote(svc, change)
    return user.public(), None


def _line(svc: Services, change: PendingChange) -> tuple[Any, Any]:
    lines.apply_save(svc, change)
    return change.after, None


def _never_block(svc: Services, change: PendingChange) -> tuple[Any, Any]:
    return never_block.apply_add(svc, change), None


KINDS: dict[str, Kind] = {
    "blocklist.remove": Kind(_removal),
    "blocklist.edit": Kind(_edit),
    "allowlist.add": Kind(_allow),
    "neverblock.add": Kind(_never_block),
    "line.save": Kind(_line, admin_only=True),
    "user.add": Kind(_admin, admin_only=True),
    "user.promote": Kind(_promote, admin_only=True),
}


def confirm(svc: Services, who: str, change_id: str, *, admin: bool = False) -> Confirmed:
    """Land a change someone else proposed; `admin` says the confirming person is an admin. A change whose
    target changed meanwhile raises lists.StaleChange (and stays waiting, to be discarded)."""
    change = svc.pending.get(change_id)
    if change is None:
        raise NoChange(change_id)
    _check(change, who, admin)
    taken = svc.pending.take(change_id)
    if taken is None:
        raise NoChange(change_id)
    try:
        _check(taken, who, admin)  # withdrawn and proposed again by `who` meanwhile: still theirs
        after, result = KINDS[taken.kind].apply(svc, taken)
    except (ChangeError, lists.StaleChange, lines.StaleLine, accounts.AccountError, never_block.NeverBlockError):
        svc.pending.put_back(taken)
        raise
    svc.audit.append(who, f"{taken.kind}.confirm", taken.target,
                     {"proposed_by": taken.proposed_by, "proposed_at": taken.proposed_at}, after)
    return Confirmed(taken, result)


def discard(svc: Services, who: str, change_id: str) -> PendingChange:
    """Drop a change (the proposer may withdraw it; a second person may turn it down)."""
    change = svc.pending.take(change_id)
    if change is None:
        raise NoChange(change_id)
    svc.audit.append(who, f"{change.kind}.discard", change.target,
                     {"proposed_by": change.proposed_by, "proposed_at": change.proposed_at}, change.after)
    return change


def _check(change: PendingChange, who: str, admin: bool) -> None:
    if change.proposed_by == who or _login(change.proposed_by) == _login(who):
        raise OwnChange(change.id)
    if KINDS[change.kind].admin_only and not admin:
        raise AdminMustDecide(change.id)


def _login(actor: str) -> str:
    """`cli:anna` and `web:anna` are the same person when the CLI login and the account share a name."""
    return actor.partition(":")[2] or actor
