"""What alerts say. Pure functions: no recording and no full number of a caller who is not blocked
ever goes into an alert (a withheld or ordinary caller may be a journalist's source)."""
from __future__ import annotations

from dataclasses import dataclass

from screener.model import CallRecord


@dataclass(frozen=True)
class AlertText:
    """One alert in the forms the channels need."""

    subject: str
    text: str

    def payload(self, kind: str, call_sid: str, line: str, at: int) -> dict[str, object]:
        return {"kind": kind, "call_sid": call_sid, "line": line, "at": at, "subject": self.subject, "text": self.text}


def caller_shown(call: CallRecord) -> str:
    """The full number only for a blocked caller (it is evidence); the masked form otherwise."""
    if call.action == "block" and call.caller:
        return call.caller
    return call.caller_masked or call.caller_kind or "unknown caller"


def blocked_call(line_label: str, call: CallRecord, reason: str) -> AlertText:
    caller = caller_shown(call)
    entry = call.entry
    matched = f" (matches {entry})" if entry and entry != caller else ""
    why = reason or "on the blocklist"
    return AlertText(f"Blocked call to {line_label}",
                     f"Screener: blocked call to {line_label} from {caller}{matched}. Reason: {why}"[:300])


def voicemail(line_label: str, call: CallRecord, duration: str) -> AlertText:
    length = f" ({duration} s)" if duration.isdigit() else ""
    return AlertText(f"New voicemail on {line_label}",
                     f"Screener: new voicemail{length} on {line_label} from {caller_shown(call)}. "
                     "Listen to it on the screener web page.")


def report(line_label: str, call: CallRecord, review_id: str, reported_by: str) -> AlertText:
    return AlertText(f"Caller reported on {line_label}",
                     f"Screener: {reported_by} reported a caller ({caller_shown(call)}) on {line_label}. "
                     f"Review #{review_id} waits for a curator.")


def campaign(line_label: str, identity_shown: str, window_minutes: int, review_id: str) -> AlertText:
    where = f" (latest call to {line_label})" if line_label else ""
    review = f" Review #{review_id} waits for a curator." if review_id else ""
    return AlertText("Possible intimidation campaign",
                     f"Screener: possible campaign: {identity_shown} called several times or several lines "
                     f"within {window_minutes} minutes{where}.{review}")


def redis_memory(percent: int, threshold: int) -> AlertText:
    return AlertText("Screener: Redis memory high",
                     f"Screener: Redis memory is at {percent}% of its limit (threshold {threshold}%). New uploads "
                     "and imports are refused; at 100% calls go unlogged. Free memory or raise maxmemory.")
