"""Pure call decision: (caller, line, list matches) -> Decision. No I/O here."""
from __future__ import annotations

from screener.model import Action, Decision, Line, ListMatches
from screener.numbers import Caller, CallerKind


def caller_class(caller: Caller) -> str:
    """The policy class of a caller that is on no list: `ordinary` or its non-number kind."""
    if caller.kind is CallerKind.NUMBER:
        return "ordinary"
    return caller.kind.value


def decide(caller: Caller, line: Line | None, matches: ListMatches | None) -> Decision:
    """Decide what to do with a call. Allowlist beats blocklist beats the caller-class defaults.

    `line` is None when the called number is not configured (or unknown while the store is down);
    `matches` is None when the lists could not be read: then nobody is forwarded unscreened.
    """
    if matches is None:
        return Decision(
            Action.SCREEN,
            rule="degraded",
            reason="lists unreachable: screening every caller",
            degraded=True,
        )
    if line is None:
        return Decision(Action.BLOCK, rule="unconfigured_line", reason="called number is not a configured line")
    if matches.allowlisted:
        return Decision(line.action_for("allowlisted"), rule="allowlist", reason="caller is on the line's allowlist")
    if matches.blocklist_entry is not None:
        return Decision(
            line.action_for("blocklisted"),
            rule="blocklist",
            reason=f"matches blocklist entry {matches.blocklist_entry}",
            entry=matches.blocklist_entry,
        )
    klass = caller_class(caller)
    action = line.action_for(klass)
    if klass == "ordinary":
        return Decision(action, rule="default", reason="caller is on no list")
    return Decision(action, rule=f"caller_id:{klass}", reason=f"caller ID is {klass}")
