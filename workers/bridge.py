"""Retry a REST move of a waiting caller's call that failed in the webhook, so nobody is left on hold."""
from __future__ import annotations

import logging

from screener.model import CallRecord
from screener.voice.bridge import BridgeError, Move
from screener.voice.bridge_state import caller_gone
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
