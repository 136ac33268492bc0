"""Pure call decision: (caller, line, list matches, STIR verdict, time) -> Decision. No I/O here."""
from __future__ import annotations

import re

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from screener.model import ENTRY_PLACEHOLDER, SCREEN_META_PREFIX, Action, Decision, Line, ListMatches, quiet_window
from screener.numbers import Caller, CallerKind


def caller_class(caller: Caller) -> str:
    """The policy class of a caller that is on no list: `ordinary` or its non-number kind."""
    if caller.kind is CallerKind.NUMBER:
        return "ordinary"
    return caller.kind.value


_VERSTAT = re.compile(r"TN-Validation-(Passed|Failed)(?:-([ABC]))?(?:-(?:Diverted|Passthrough))?")


def stir_unverified(verstat: str | None, caller: Caller, line: Line) -> bool:
    """True when the caller ID may be spoofed by the line's standard: Twilio's StirVerstat failed, passed at
    an attestation level the line does not trust (C: the carrier vouches for neither caller nor number),
    or is missing on a North American call (+1), where Twilio verifies (an unknown value counts as
    unverified). Calls from elsewhere carry no verdict at all, so a missing one says nothing there."""
    if not verstat or verstat == "NULL":
        return line.stir_missing_unverified and (caller.e164 or "").startswith("+1")
    match = _VERSTAT.fullmatch(verstat)
    if match is None or match.group(1) == "Failed":
        return True
    return (match.group(2) or "") not in line.stir_verified


def in_quiet_hours(line: Line, now: datetime) -> bool:
    """True when `now` falls in the line's quiet hours, read in the line's time zone."""
    window = quiet_window(line.quiet_hours)
    if window is None:
        return False
    try:
        local = now.astimezone(ZoneInfo(line.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        local = now.astimezone(timezone.utc)
    minute = local.hour * 60 + local.minute
    start, end = window
    return start <= minute < end if start < end else (minute >= start or minute < end)


def decide(caller: Caller, line: Line | None, matches: ListMatches | None, verstat: str | None = None,
           now: datetime | None = None) -> Decision:
    """Decide what to do with a call. Allowlist beats blocklist beats the caller-class defaults.

    `line` is None when the called number is not configured (or unknown while the store is down);
    `matches` is None when the lists could not be read: then nobody is forwarded unscreened. A line
    with `screen_unverified` screens a caller whose STIR/SHAKEN verdict is not good enough (see
    stir_unverified) instead of forwarding it, allowlisted or not: a spoofed trusted number is exactly
    what an intimidator would use.
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
    decision = _by_lists(caller, line, matches)
    if decision.action is Action.FORWARD and line.screen_unverified and stir_unverified(verstat, caller, line):
        return Decision(line.action_for("unverified"), rule="stir",
                        reason=f"caller ID not verified ({verstat}); {decision.reason}", entry=decision.entry)
    if (decision.action is Action.FORWARD and decision.rule != "allowlist" and now is not None
            and in_quiet_hours(line, now)):
        return Decision(Action.VOICEMAIL, rule="quiet_hours", reason=f"quiet hours {line.quiet_hours}; {decision.reason}",
                        entry=decision.entry)
    return decision


def _by_lists(caller: Caller, line: Line, matches: ListMatches) -> Decision:
    if matches.allowlisted:
        return Decision(line.action_for("allowlisted"), rule="allowlist", reason="caller is on the line's allowlist")
    if matches.blocklist_entry is not None:
        if matches.screen_only:
            return Decision(line.action_for("screenlisted"), rule="screenlist",
                            reason=f"matches screen-list entry {matches.blocklist_entry}", entry=matches.blocklist_entry)
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


def candidates(caller: Caller, line: Line | None, verstat: str | None = None,
               now: datetime | None = None) -> dict[str, Decision]:
    """The decision for each thing the lists could say (screener.model.LIST_OUTCOMES), made before
    the lists are read, so that reading them and logging the call take one round trip. The matching
    entry is ENTRY_PLACEHOLDER until it is known."""
    return {outcome: decide(caller, line, matches, verstat, now) for outcome, matches in _OUTCOME_MATCHES}


# What the lists say in each outcome (made once: every call asks for all four).
_OUTCOME_MATCHES = (
    ("allowlisted", ListMatches(allowlisted=True)),
    ("blocklisted", ListMatches(blocklist_entry=ENTRY_PLACEHOLDER, blocklist_meta="0")),
    ("screenlisted", ListMatches(blocklist_entry=ENTRY_PLACEHOLDER, blocklist_meta=SCREEN_META_PREFIX)),
    ("unlisted", ListMatches()),
)
