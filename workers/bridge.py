"""Retry a REST move of a waiting caller's call that failed in the webhook, and end a hold that has lasted
too long whatever callback was lost, so nobody is left on hold."""
from __future__ import annotations

import logging

from screener.model import CallRecord
from screener.voice import protocol
from screener.voice.bridge import BridgeError, Move, move_caller
from screener.voice.bridge_state import caller_gone, recording_to_stop, still_on_hold
from screener.voice.protocol import TERMINAL_STATUSES
from workers.context import services

log = logging.getLogger("workers.bridge")


def move_call(call_sid: str, url: str) -> str:
    """Move the caller's call to url unless it has ended or moved already; raise (RQ retries) on failure."""
    svc = services()
    calls = svc.calls
    record = calls.record(call_sid) or CallRecord()
    if caller_gone(record) or record.caller_moved:
        return "not needed"
    moved = svc.bridge.redirect(call_sid, url)
    if moved is Move.ENDED:
        return "ended"
    if moved is Move.FAILED:
        raise BridgeError(f"moving {call_sid} failed; retrying")
    calls.set_fields(call_sid, {"caller_moved": "1"})
    log.info("caller_moved sid=%s by=worker", call_sid)
    return "moved"


def end_hold(call_sid: str) -> str:
    """The caller's hold limit has passed: if they still wait with nobody talking to them, stop the press
    secretary's call and move the caller to voicemail (a move job retries if Twilio refuses now)."""
    svc = services()
    record = svc.calls.record(call_sid) or CallRecord()
    if not still_on_hold(record):
        return "not needed"
    svc.calls.set_fields(call_sid, {"screening": "no_answer"})  # the press secretary can no longer choose
    if record.secretary_status not in TERMINAL_STATUSES:
        svc.bridge.hang_up(record.secretary_sid)
    stop = recording_to_stop(record, "voicemail")
    if stop:
        svc.bridge.stop_recording(call_sid, stop)
    url = protocol.step_url(svc.settings.public_url or record.callback_base, "screen_done", then="voicemail")
    move_caller(svc.calls, svc.bridge, svc.alerts, call_sid, url)
    log.info("hold_ended sid=%s by=watchdog", call_sid)
    return "moved"
