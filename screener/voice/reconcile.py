"""What a call whose callbacks may have been lost still needs, from its record and what Twilio's REST API
says about it and the press secretary's call: pure decisions for the reconciliation job
(workers/reconcile.py), which runs every RECONCILE_PERIOD_SECONDS.

Every logged call waits in an index (calls:unsettled) until the job has seen it end and listed its
recordings at Twilio. So whatever callback was lost (the caller's status, a recording's status, the
press secretary's call's status), the job finishes its work within one period of the call being
SETTLE_SECONDS old.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from screener.model import CallRecord
from screener.voice.bridge_state import after_leg_ended, caller_gone
from screener.voice.protocol import TERMINAL_STATUSES

RECONCILE_PERIOD_SECONDS = 120
# A call this young may still be in its ordinary flow: Twilio posts a callback within seconds of the
# event, and retries it within its 15 s cap on call requests.
SETTLE_SECONDS = 60
# Twilio ends every call after 4 h (its default maximum); a call it cannot find after that is forgotten.
MAX_CALL_SECONDS = 4 * 3600
# Recordings Twilio lists for a call that we never heard of and that can still be fetched.
ARCHIVABLE = frozenset({"completed", "processing", "in-progress"})


@dataclass(frozen=True)
class TwilioCall:
    """A call as Twilio's REST API reports it; status '' when Twilio does not know the call (404)."""

    status: str
    duration: str = ""


UNKNOWN = TwilioCall("")


@dataclass(frozen=True)
class Healing:
    """What the job does for one call. `end`: everything a call's end sets off (seal, release the press
    secretary, archive recordings), after applying `status` (when set) that a lost callback carried.
    `note`: facts for the caller's record (the press secretary's call ended); `move_caller_to`: the
    outcome to move a caller still on hold to. `list_recordings`: the call is over, so ask Twilio for its
    recordings and settle it. `forget`: Twilio does not know the call: settle it without more."""

    end: bool = False
    status: str = ""
    duration: str = ""
    note: dict[str, str] = field(default_factory=dict)
    move_caller_to: str | None = None
    list_recordings: bool = False
    forget: bool = False


def ask_about_caller(record: CallRecord) -> bool:
    """Whether Twilio must say how the caller's call stands (its final status has not reached us)."""
    return record.status not in TERMINAL_STATUSES


def ask_about_leg(record: CallRecord) -> bool:
    """Whether Twilio must say how the press secretary's call stands: we placed one, the caller is
    still there, and that call's end has not reached us."""
    return bool(record.secretary_sid) and record.secretary_status not in TERMINAL_STATUSES \
        and not caller_gone(record)


def heal(record: CallRecord, caller: TwilioCall | None, leg: TwilioCall | None, now: int) -> Healing:
    """What the call needs. `caller` / `leg`: what Twilio said (None when it was not asked or could not
    be reached: then nothing is decided about that call, and the next run asks again)."""
    if not ask_about_caller(record):
        # The status arrived; a recording's callback may not have. What its end set off runs again (each
        # step is idempotent), in case a failure cut it short after the status was stored.
        return Healing(end=True, list_recordings=True)
    if caller is None:
        return Healing()
    if caller.status == "":
        return Healing(forget=now - record.at > MAX_CALL_SECONDS)
    if caller.status in TERMINAL_STATUSES:
        note = {"secretary_status": leg.status} if leg and leg.status in TERMINAL_STATUSES else {}
        return Healing(end=True, status=caller.status, duration=caller.duration, note=note, list_recordings=True)
    if leg is not None and leg.status in TERMINAL_STATUSES and ask_about_leg(record):
        note, then = after_leg_ended(record, leg.status)
        return Healing(note=note, move_caller_to=then)
    return Healing()


def recordings_to_archive(known: dict[str, str], at_twilio: dict[str, str]) -> list[str]:
    """RecordingSids Twilio holds for a call (sid -> its status) whose callback never reached us
    (`known`: sid -> our state), in a stable order."""
    return sorted(sid for sid, status in at_twilio.items() if sid not in known and status in ARCHIVABLE)

