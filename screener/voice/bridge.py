"""The conference bridge of a screened call, driven through Twilio's REST API.

A screened caller waits in a conference of their own (hold music) while we ring the press secretary with
a call of our own; the press secretary hears the whisper and, on accepting, joins that conference with
hang-up-on-star. Every other outcome moves the caller's live call to new TwiML (voicemail, goodbye), and
a caller who hangs up first has the press secretary's call moved or ended. These are the only REST calls
made while a phone rings, so each has a short timeout and a failure is reported, never raised to Twilio.
"""
from __future__ import annotations

import enum
import logging

from rq import Queue
from twilio.base.exceptions import TwilioException, TwilioRestException

from screener import jobs, metrics
from screener.voice.bridge_state import OnCallerHangup, on_caller_hangup
from screener.config import Settings
from screener.model import CallRecord, Line
from screener.store.calls import CallLog
from screener.twilio_rest import CALL_PATH_TIMEOUT_SECONDS, twilio_client

log = logging.getLogger("screener.bridge")

RING_SECONDS = 25
# "Call is not in-progress. Cannot redirect.": the call ended (the caller hung up) before our update reached it.
CALL_NOT_IN_PROGRESS = 21220


class Move(enum.Enum):
    """What came of moving a live call: moved; the call had already ended (nothing to retry); failed."""

    MOVED = "moved"
    ENDED = "ended"
    FAILED = "failed"


def _ended(exc: Exception) -> bool:
    return isinstance(exc, TwilioRestException) and exc.code == CALL_NOT_IN_PROGRESS


class BridgeError(Exception):
    """Twilio's REST API refused or could not be reached."""


class Bridge:
    """Rings the press secretary and moves live calls, through Twilio's REST API."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _calls(self):
        try:
            return twilio_client(self.settings, CALL_PATH_TIMEOUT_SECONDS).calls
        except RuntimeError as exc:
            raise BridgeError(str(exc)) from exc

    def ring(self, line: Line, whisper_url: str, status_url: str) -> str:
        """Call the line's press secretary from the line's number; the answered call fetches whisper_url.
        Returns the new call's CallSid."""
        try:
            call = self._calls().create(
                to=line.forward_to, from_=line.number, url=whisper_url, timeout=RING_SECONDS,
                status_callback=status_url, status_callback_event=["answered", "completed"],
            )
        except (TwilioException, OSError, BridgeError) as exc:
            metrics.BRIDGE_FAILURES.labels("ring").inc()
            raise BridgeError(f"ringing the press secretary failed: {type(exc).__name__}") from exc
        return call.sid

    def record(self, call_sid: str, status_url: str) -> str:
        """Record a live call in two channels (the caller; what they hear); the recording's SID, or ""
        (logged) on failure."""
        try:
            recording = self._calls()(call_sid).recordings.create(
                recording_channels="dual", recording_status_callback=status_url,
                recording_status_callback_event=["completed"])
        except (TwilioException, OSError, BridgeError) as exc:
            metrics.BRIDGE_FAILURES.labels("record").inc()
            log.error("bridge_record_failed sid=%s error=%s", call_sid, type(exc).__name__)
            return ""
        return recording.sid or ""

    def stop_recording(self, call_sid: str, recording_sid: str) -> bool:
        """Stop a live call's recording (it is kept and archived like any other). False (logged) on failure."""
        try:
            self._calls()(call_sid).recordings(recording_sid).update(status="stopped")
        except (TwilioException, OSError, BridgeError) as exc:
            metrics.BRIDGE_FAILURES.labels("stop_recording").inc()
            log.error("bridge_stop_recording_failed sid=%s error=%s", call_sid, type(exc).__name__)
            return False
        return True

    def redirect(self, call_sid: str, url: str) -> Move:
        """Move a live call to the TwiML at url. ENDED when the call had already ended (Twilio's 21220),
        FAILED when Twilio refused otherwise or was down; both logged."""
        try:
            self._calls()(call_sid).update(url=url)
        except (TwilioException, OSError, BridgeError) as exc:
            if _ended(exc):
                log.info("bridge_redirect_call_ended sid=%s code=%s", call_sid, CALL_NOT_IN_PROGRESS)
                return Move.ENDED
            metrics.BRIDGE_FAILURES.labels("redirect").inc()
            log.warning("bridge_redirect_failed sid=%s error=%s", call_sid, type(exc).__name__)
            return Move.FAILED
        return Move.MOVED

    def hang_up(self, call_sid: str) -> bool:
        """End a call, ringing or answered (or already ended: Twilio's 21220). False (and a log line) when
        Twilio refused otherwise or was down."""
        try:
            self._calls()(call_sid).update(status="completed")
        except (TwilioException, OSError, BridgeError) as exc:
            if _ended(exc):
                log.info("bridge_hangup_call_ended sid=%s code=%s", call_sid, CALL_NOT_IN_PROGRESS)
                return True
            metrics.BRIDGE_FAILURES.labels("hangup").inc()
            log.warning("bridge_hangup_failed sid=%s error=%s", call_sid, type(exc).__name__)
            return False
        return True


def release_press_secretary(calls: CallLog, bridge: Bridge, caller_sid: str, left_url: str) -> None:
    """The caller's call has ended (its status callback): stop ringing the press secretary, or move a
    press secretary still on the whisper or in the conference to left_url ("the caller hung up, press 9
    to report")."""
    record = calls.record(caller_sid) or CallRecord()
    action = on_caller_hangup(record)
    if action is OnCallerHangup.NOTHING:
        return
    fields = {"caller_left": "1"}
    if record.screening == "ringing":
        fields["screening"] = "caller_hung_up"
    calls.set_fields(caller_sid, fields)
    if action is OnCallerHangup.TELL:
        bridge.redirect(record.secretary_sid, left_url)
    else:
        bridge.hang_up(record.secretary_sid)


def move_caller(calls: CallLog, bridge: Bridge, retry_queue: Queue, caller_sid: str, url: str) -> Move:
    """Move a waiting caller's live call to url and note it. If Twilio refuses now a job retries the move
    (nobody may be left on hold); a call that has ended needs nothing."""
    moved = bridge.redirect(caller_sid, url)
    if moved is Move.MOVED:
        calls.set_fields(caller_sid, {"caller_moved": "1"})
    elif moved is Move.FAILED:
        jobs.enqueue_call_move(retry_queue, caller_sid, url)
    return moved
