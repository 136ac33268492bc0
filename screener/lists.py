"""Changes to the blocklist and the lines' allowlists: each with its rules (the two-person rule, only valid
numbers and prefixes) and its one audit entry. The CLI, the pages and the import jobs call these.

Audit entries, one per change, the same whoever makes it (actor `cli:<login>` or `web:<name>`):

    action                       target            before                          after
    blocklist.add                entry             None                            the entry's metadata
    blocklist.propose            entry             None                            the proposed metadata
    blocklist.confirm            entry             {proposed_by, proposed_at}      the entry's metadata
    blocklist.discard_proposal   entry             the proposed metadata           None
    blocklist.edit               entry             the old metadata                the new metadata
    blocklist.remove             entry             the removed metadata            {removed: true, why}
    blocklist.import             file name         None                            {sha256, rows, valid, added,
                                                                                    rejected, uploaded_by}
    allowlist.add                line:caller       None                            caller
    allowlist.remove             line:caller       caller                          None

Under the two-person rule a removal, an edit that turns block into screen or back, and an allowlist addition
are only proposed (screener.changes confirms or discards them): `<kind>.propose` by the proposer (before and
after as the change would make them), then `<kind>.confirm` by a second person (before {proposed_by,
proposed_at}, after what landed) or `<kind>.discard`, kind being blocklist.remove, blocklist.edit or
allowlist.add.

Metadata is EntryMeta as a JSON object (category, reason, evidence, source, added_by, added_at, action).
A number that cannot be read raises screener.numbers.InvalidNumber; every other refusal is a ListError.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Callable

from screener import reporting
from screener.listfile import ParsedFile
from screener.numbers import PrefixPlan, is_prefix, needs_second_admin, parse_entry, parse_number, prefix_plan
from screener.store.blocklist import BlocklistEntry, EntryMeta
from screener.store.pending import PendingChange
from screener.store.proposals import Proposal

if TYPE_CHECKING:
    from screener.services import Services

Clock = Callable[[], float]
IMPORT_CHUNK = 5000  # entries added between two progress reports of an import


class ListError(Exception):
    """A list change that was refused; `subject` is the entry, caller, line or file it was about."""

    says = "refused"

    def __init__(self, subject: str) -> None:
        super().__init__(f"{subject}: {self.says}")
        self.subject = subject


class AlreadyListed(ListError):
    """The entry is on the blocklist already (its metadata is left as it is)."""

    says = "on the blocklist already"


class NotListed(ListError):
    """The entry is not on the blocklist."""

    says = "not on the blocklist"


class AlreadyProposed(ListError):
    """The entry waits for a second curator already."""

    says = "waits for a second curator already"


class NoProposal(ListError):
    """No proposal waits for the entry (another curator may have decided it first)."""

    says = "no proposal waits for it"


class OwnProposal(ListError):
    """The two-person rule: the proposer cannot confirm their own proposal."""

    says = "another curator must confirm it"


class OwnImport(ListError):
    """The two-person rule: the uploader cannot commit their own import."""

    says = "another person must commit it"


class WidePrefix(ListError):
    """A prefix covering more than 10,000 numbers is only proposed: a second admin confirms it."""

    says = "covers more than 10,000 numbers: a second admin must confirm it"


class AdminMustConfirm(ListError):
    """A wide prefix is confirmed by an admin (other than the proposer), whatever the role of the proposer."""

    says = "an admin must confirm a prefix this wide"


class AlreadyPending(ListError):
    """A change of this kind to this entry or caller waits for a second person already."""

    says = "a change to it waits for a second person already"


class StaleChange(ListError):
    """The entry or line changed since the change was proposed: a second person would confirm something
    they did not see. Discard it and propose it again."""

    says = "changed since it was proposed: discard the proposal and propose it again"


class VetoedRange(ListError):
    """A range proposed from evidence now covers an allowlisted or never-block number."""

    says = "covers an allowlisted or never-block number now: discard it"


class UnknownLine(ListError):
    """No line has this number."""

    says = "no such line"


class AlreadyAllowed(ListError):
    """The caller is on the line's allowlist already."""

    says = "on the allowlist already"


class NotAllowed(ListError):
    """The caller is not on the line's allowlist."""

    says = "not on the allowlist"


@dataclass(frozen=True)
class Details:
    """What a person says about an entry; who added it and when is added by the operation."""

    reason: str
    category: str = "intimidation"
    evidence: str = ""
    source: str = "manual"
    action: str = "block"  # or "screen": the caller is screened, not blocked

    def meta(self, who: str, at: int) -> EntryMeta:
        return EntryMeta(category=self.category, reason=self.reason, evidence=self.evidence, source=self.source,
                         added_by=who, added_at=at, action=self.action)


# --- the blocklist ---------------------------------------------------------------------------------


def add(svc: Services, who: str, text: str, details: Details, *, region: str | None = None,
        clock: Clock = time.time) -> BlocklistEntry:
    """Put a number or prefix (as typed; national numbers in `region`) on the list at once. A prefix
    covering more than 10,000 numbers never lands at once (WidePrefix): propose() it."""
    entry = parse_entry(text, region)
    if needs_second_admin(entry):
        raise WidePrefix(entry)
    return _add(svc, who, entry, details.meta(who, int(clock())), "blocklist.add", None)


def propose(svc: Services, who: str, text: str, details: Details, *, region: str | None = None,
            clock: Clock = time.time) -> Proposal:
    """Propose an entry; it blocks nobody until another curator confirms it."""
    entry = parse_entry(text, region)
    if svc.blocklist.get(entry) is not None:
        raise AlreadyListed(entry)
    meta = details.meta(who, int(clock()))
    if not svc.proposals.propose(entry, meta, who):
        raise AlreadyProposed(entry)
    svc.audit.append(who, "blocklist.propose", entry, None, asdict(meta))
    # As stored, with the time the store gave it (unless a second curator decided it in the meantime).
    return svc.proposals.get(entry) or Proposal(entry, meta, who, meta.added_at)


def add_or_propose(svc: Services, who: str, text: str, details: Details, *, region: str | None = None,
                   clock: Clock = time.time) -> BlocklistEntry | Proposal:
    """An addition by a curator: under the two-person rule a new entry is only proposed (see confirm());
    otherwise it is added at once. A prefix covering more than 10,000 numbers is always only proposed."""
    entry = parse_entry(text, region)
    if (svc.web.two_person_rule or needs_second_admin(entry)) and svc.blocklist.get(entry) is None:
        return propose(svc, who, entry, details, clock=clock)
    return add(svc, who, entry, details, clock=clock)


def confirm(svc: Services, who: str, entry: str, *, admin: bool = False,
            clock: Clock = time.time) -> BlocklistEntry:
    """The second person of the two-person rule: a proposal by someone else becomes an entry. A prefix
    covering more than 10,000 numbers needs `admin` (the confirming person is an admin)."""
    proposal = svc.proposals.get(entry)
    if proposal is None:
        raise NoProposal(entry)
    if proposal.proposed_by == who:
        raise OwnProposal(entry)
    if needs_second_admin(entry) and not admin:
        raise AdminMustConfirm(entry)
    if proposal.meta.source == reporting.RANGE_SOURCE and any(
            n.startswith(entry.rstrip("*")) for n in reporting.protected_numbers(svc)):
        raise VetoedRange(entry)
    taken = svc.proposals.take(entry)
    if taken is None:
        raise NoProposal(entry)
    if taken.proposed_by == who:  # withdrawn and proposed again by `who` meanwhile: still theirs
        svc.proposals.propose(entry, taken.meta, taken.proposed_by)
        raise OwnProposal(entry)
    meta = replace(taken.meta, added_by=f"{taken.proposed_by}, confirmed by {who}", added_at=int(clock()))
    return _add(svc, who, entry, meta, "blocklist.confirm",
                {"proposed_by": taken.proposed_by, "proposed_at": taken.proposed_at})


def discard(svc: Services, who: str, entry: str) -> Proposal:
    """Drop a proposal (the proposer may withdraw it, another curator may turn it down)."""
    proposal = svc.proposals.take(entry)
    if proposal is None:
        raise NoProposal(entry)
    svc.audit.append(who, "blocklist.discard_proposal", entry, asdict(proposal.meta), None)
    return proposal


def edit(svc: Services, who: str, entry: str, *, category: str, reason: str, evidence: str,
         source: str, action: str | None = None) -> bool | PendingChange:
    """Change why an entry is listed, and (`action`) whether it blocks or screens; who added it when stays.
    False when nothing changed. Under the two-person rule an edit that changes the action is only proposed:
    the PendingChange is returned, and nothing changes until a second person confirms it."""
    current = svc.blocklist.get(entry)
    if current is None:
        raise NotListed(entry)
    changed = replace(current.meta, category=category, reason=reason, evidence=evidence, source=source,
                      action=action or current.meta.action)
    if changed == current.meta:
        return False
    if svc.web.two_person_rule and changed.action != current.meta.action:
        return _propose(svc, who, "blocklist.edit", entry, asdict(current.meta), asdict(changed))
    before = svc.blocklist.update(entry, changed)
    if before is None:
        raise NotListed(entry)
    svc.audit.append(who, "blocklist.edit", entry, asdict(before.meta), asdict(changed))
    return True


def apply_edit(svc: Services, entry: str, before: dict, after: dict) -> EntryMeta:
    """A confirmed edit: the entry's metadata becomes `after`, if it is still `before` (StaleChange if not)."""
    current = svc.blocklist.get(entry)
    if current is None:
        raise NotListed(entry)
    if asdict(current.meta) != before:
        raise StaleChange(entry)
    meta = EntryMeta(**after)
    if svc.blocklist.update(entry, meta) is None:
        raise NotListed(entry)
    return meta


def remove(svc: Services, who: str, entry: str, why: str = "") -> BlocklistEntry:
    """Take an entry (as stored: E.164 or +digits*) off the list; its last state stays in the audit log."""
    removed = svc.blocklist.remove(entry)
    if removed is None:
        raise NotListed(entry)
    svc.audit.append(who, "blocklist.remove", entry, asdict(removed.meta), {"removed": True, "why": why})
    return removed


def remove_or_propose(svc: Services, who: str, entry: str, why: str = "") -> BlocklistEntry | PendingChange:
    """A removal by a curator: under the two-person rule it is only proposed (the caller stays blocked until
    a second person confirms it); otherwise the entry is removed at once."""
    if not svc.web.two_person_rule:
        return remove(svc, who, entry, why)
    current = svc.blocklist.get(entry)
    if current is None:
        raise NotListed(entry)
    return _propose(svc, who, "blocklist.remove", entry, asdict(current.meta), {"removed": True, "why": why})


def apply_removal(svc: Services, entry: str, before: dict) -> None:
    """A confirmed removal: the entry goes, if it is still as proposed (StaleChange if it was edited since)."""
    current = svc.blocklist.get(entry)
    if current is None:
        raise NotListed(entry)
    if asdict(current.meta) != before:
        raise StaleChange(entry)
    if svc.blocklist.remove(entry) is None:
        raise NotListed(entry)


def _propose(svc: Services, who: str, kind: str, target: str, before: object, after: object) -> PendingChange:
    change = svc.pending.propose(kind, target, before, after, who)
    if change is None:
        raise AlreadyPending(target)
    svc.audit.append(who, f"{kind}.propose", target, before, after)
    return change


def _add(svc: Services, who: str, entry: str, meta: EntryMeta, action: str, before: object) -> BlocklistEntry:
    if not svc.blocklist.add_many([entry], meta):
        raise AlreadyListed(entry)
    svc.audit.append(who, action, entry, before, asdict(meta))
    return BlocklistEntry(entry, meta)


@dataclass(frozen=True)
class Coverage:
    """How wide a prefix is, for the page that asks a second admin to confirm it: the numbering plan's
    count, and the calls in the log it would have blocked among those whose numbers we can read."""

    plan: PrefixPlan
    blocked_calls: int
    calls_looked_at: int


def coverage(svc: Services, entry: str) -> Coverage | None:
    """The coverage of a prefix entry; None for a single number."""
    if not is_prefix(entry):
        return None
    blocked, looked_at = svc.call_browser.under_prefix(entry)
    return Coverage(prefix_plan(entry), blocked, looked_at)


# --- imports ---------------------------------------------------------------------------------------


def check_commit(svc: Services, who: str, uploaded_by: str, filename: str) -> None:
    """The two-person rule for an uploaded file: someone other than the uploader commits it."""
    if svc.web.two_person_rule and uploaded_by == who:
        raise OwnImport(filename)


def import_groups(parsed: ParsedFile, who: str, owner: str, filename: str, source: str,
                  stamp: int) -> tuple[list[tuple[EntryMeta, list[str]]], int]:
    """The entries of a parsed file to add, with the metadata each group shares, in file order; and how many
    rows were left out as too wide a prefix for one person."""
    added_by = owner if owner == who else f"{owner}, confirmed by {who}"
    groups, wide = [], 0
    for (reason, category), listed in parsed.groups.items():
        # read_rows() rejects wide prefixes already; a file parsed by anything else still cannot land one.
        entries = [e for e in listed if not needs_second_admin(e)]
        wide += len(listed) - len(entries)
        groups.append((EntryMeta(category=category, reason=reason, source=source or f"import:{filename}",
                                 added_by=added_by, added_at=stamp), entries))
    return groups, wide


def import_rows(svc: Services, who: str, parsed: ParsedFile, *, filename: str, sha256: str, source: str = "",
                uploaded_by: str = "", clock: Clock = time.time,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Add every valid row of a parsed file (listed entries stay as they are); return how many were new.
    `progress(done, added)` is called after each chunk, for a page that shows how far it got."""
    owner = uploaded_by or who
    added, done = 0, 0
    groups, wide = import_groups(parsed, who, owner, filename, source, int(clock()))
    for meta, entries in groups:
        for start in range(0, len(entries), IMPORT_CHUNK):
            chunk = entries[start:start + IMPORT_CHUNK]
            added += svc.blocklist.add_many(chunk, meta)
            done += len(chunk)
            if progress is not None:
                progress(done, added)
    svc.audit.append(who, "blocklist.import", filename, None,
                     {"sha256": sha256, "rows": parsed.rows, "valid": parsed.valid, "added": added,
                      "rejected": len(parsed.rejected) + wide, "uploaded_by": owner})
    return added


# --- allowlists ------------------------------------------------------------------------------------


def allow(svc: Services, who: str, line_number: str, text: str) -> str:
    """Trust a caller (as typed; national numbers in the line's country) on a line; return the number."""
    line, caller = _line_and_caller(svc, line_number, text)
    if not svc.lines.allow(line.number, caller):
        raise AlreadyAllowed(caller)
    svc.audit.append(who, "allowlist.add", f"{line.number}:{caller}", None, caller)
    return caller


def allow_or_propose(svc: Services, who: str, line_number: str, text: str) -> str | PendingChange:
    """Trusting a caller by a curator: under the two-person rule it is only proposed (the caller is not
    trusted until a second person confirms it); otherwise at once."""
    if not svc.web.two_person_rule:
        return allow(svc, who, line_number, text)
    line, caller = _line_and_caller(svc, line_number, text)
    if caller in svc.lines.allowlist(line.number):
        raise AlreadyAllowed(caller)
    return _propose(svc, who, "allowlist.add", f"{line.number}:{caller}", None, caller)


def apply_allow(svc: Services, target: str) -> str:
    """A confirmed allowlist addition (`target` is line:caller)."""
    line_number, _, caller = target.partition(":")
    if svc.lines.get(line_number) is None:
        raise UnknownLine(line_number)
    if not svc.lines.allow(line_number, caller):
        raise AlreadyAllowed(caller)
    return caller


def _line_and_caller(svc: Services, line_number: str, text: str):
    line = svc.lines.get(line_number)
    if line is None:
        raise UnknownLine(line_number)
    return line, parse_number(text, line.country)


def disallow(svc: Services, who: str, line_number: str, caller: str) -> None:
    """Stop trusting a caller on a line."""
    if not svc.lines.disallow(line_number, caller):
        raise NotAllowed(caller)
    svc.audit.append(who, "allowlist.remove", f"{line_number}:{caller}", caller, None)
