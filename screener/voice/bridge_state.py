"""Where a bridged call stands, read from the caller's call record: pure decisions for the bridge's steps.

Fields of the caller's record the bridge keeps (see screening.py):
- `screening`: ringing, accepted / bridged (connected), voicemail, declined, reported, no_answer,
  unreachable (never rung), caller_hung_up;
- `secretary_sid` / `secretary_status`: the press secretary's call we placed, and its last status;
- `joined`: the press secretary has joined the caller's conference;
- `caller_moved`: the caller's call has been moved out of the conference by a REST update;
- `caller_left`: the caller hung up while the press secretary was still rung or connected.
A record that is not `readable` means the store could not be read: every decision then errs on keeping the call going.
"""
from __future__ import annotations

from enum import Enum

from screener.model import CallRecord
from screener.voice.protocol import TERMINAL_STATUSES

UNDECIDED = frozenset({"ringing", ""})  # the press secretary has not chosen (or the store could not say)
CONNECTED = frozenset({"accepted", "bridged"})  # screened and accepted; forwarded through the bridge
# Outcomes that move the caller out of the conference, and what /screen/done then does with them.
MOVE_OUTCOMES = frozenset({"voicemail", "declined", "reported", "no_answer"})


# How long a caller may wait on hold, whatever callback is lost: the ring (25 s, and the ~5 s Twilio adds),
# then the whisper (the name, at most 6 s; the prompt, about 12 s in each of the line's languages; 8 s
# for a key), and a margin. After it the hold watchdog (workers/bridge.py) moves the caller to voicemail.
HOLD_RING_SECONDS = 25 + 5
HOLD_WHISPER_SECONDS = 6 + 8
HOLD_PROMPT_SECONDS = 12
HOLD_MARGIN_SECONDS = 30


def hold_limit_seconds(languages: int) -> int:
    """The longest a screened caller waits on hold for a press secretary whose line speaks so many languages."""
    return HOLD_RING_SECONDS + HOLD_WHISPER_SECONDS + HOLD_PROMPT_SECONDS * max(languages, 1) + HOLD_MARGIN_SECONDS


def still_on_hold(record: CallRecord) -> bool:
    """The caller is still waiting in their conference with nobody talking to them: no choice made (or
    accepted but never joined), not moved out, not gone."""
    if not record.secretary_sid or caller_gone(record) or record.caller_moved:
        return False
    return record.screening in UNDECIDED or (record.screening in CONNECTED and not record.joined)


class OnCallerHangup(Enum):
    """What to do with the press secretary's call when the caller hangs up."""

    NOTHING = "nothing"
    CANCEL = "cancel"  # still ringing: stop it
    TELL = "tell"  # answered: move it to "the caller hung up, press 9 to report"


def caller_gone(record: CallRecord) -> bool:
    """The caller's call has ended (its final status arrived, or the bridge saw them hang up)."""
    return record.status in TERMINAL_STATUSES or record.caller_left


def is_our_call(record: CallRecord, leg_sid: str) -> bool:
    """This request comes from the press secretary's call placed for this caller. A call we did not
    place for them (a ring that timed out on our side but went through) must not act on the caller."""
    return not record.readable or record.secretary_sid == leg_sid


def may_choose(record: CallRecord, leg_sid: str) -> bool:
    """The press secretary on this call may still accept, decline or report the waiting caller."""
    return is_our_call(record, leg_sid) and record.screening in UNDECIDED


_PROGRESS = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3}


def status_to_keep(record: CallRecord, new_status: str) -> str | None:
    """The press secretary's call status to store, or None. Callbacks arrive in any order: a late one
    never undoes a final status, and a late `ringing` never undoes an answer (serving the whisper proves
    the call was answered before its own `answered` callback may arrive)."""
    if record.secretary_status in TERMINAL_STATUSES:
        return None
    if new_status not in TERMINAL_STATUSES and (
            _PROGRESS.get(new_status, 0) < _PROGRESS.get(record.secretary_status, 0)):
        return None
    return new_status


def move_after_leg_ended(record: CallRecord) -> str | None:
    """When the press secretary's call has ended: the outcome to move the still-waiting caller to, or None.

    Undecided (no answer, busy, hung up during the whisper) or accepted but never joined: voicemail. A
    choice whose move did not go through yet: that choice again. Connected and talked, never rung, or
    the caller gone: nothing to move."""
    if not record.readable:
        return "voicemail"  # the store is down: try the move (it fails harmlessly if the caller has gone)
    if caller_gone(record) or record.caller_moved:
        return None
    outcome = record.screening
    if outcome in UNDECIDED:
        return "voicemail"
    if outcome in CONNECTED:
        return None if record.joined else "voicemail"
    return outcome if outcome in MOVE_OUTCOMES else None


def after_leg_ended(record: CallRecord, status: str) -> tuple[dict[str, str], str | None]:
    """The press secretary's call ended with `status` (its status callback, or Twilio's answer to the
    reconciliation job): the facts to note on the caller's record, and the outcome to move a caller
    still waiting to (None: nobody to move)."""
    fields = {"secretary_status": status} if status_to_keep(record, status) else {}
    then = move_after_leg_ended(record)
    if then and record.screening in UNDECIDED | CONNECTED:
        fields["screening"] = "no_answer" if status != "completed" else "voicemail"
    return fields, then


def recording_to_stop(record: CallRecord, then: str | None) -> str:
    """The two-channel recording to stop when the caller is moved on (`then`) although the press secretary
    accepted: they never joined, so there is no conversation to record through the caller's voicemail."""
    return record.bridge_recording_sid if then and not record.joined else ""


def on_caller_hangup(record: CallRecord) -> OnCallerHangup:
    """The caller's call ended: what the press secretary's call (if any is still live) needs."""
    if not record.secretary_sid or record.caller_left or record.secretary_status in TERMINAL_STATUSES:
        return OnCallerHangup.NOTHING
    outcome = record.screening
    if outcome == "ringing":
        return OnCallerHangup.TELL if record.secretary_status == "in-progress" else OnCallerHangup.CANCEL
    if outcome in CONNECTED:
        return OnCallerHangup.TELL
    return OnCallerHangup.NOTHING


def caller_outcome(record: CallRecord, then: str) -> str:
    """What /screen/done does for the caller: the outcome the move named (`then`), else the record's."""
    if then in MOVE_OUTCOMES:
        return then
    outcome = record.screening
    if outcome in UNDECIDED:
        return "voicemail"  # the conference ended before any choice: take a message
    return outcome
