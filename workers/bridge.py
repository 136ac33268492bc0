"""Retry a REST move of a waiting caller's call that failed in the webhook, so nobody is left on hold."""
from __future__ import annotations

import logging

from rq import get_current_job

from screener.voice.bridge import Bridge, BridgeError
from screener.voice.bridge_state import caller_gone
from screener.config import load_settings
from screener.store.calls import CallLog
from screener.store.keys import Keys

log = logging.getLogger("workers.bridge")


def move_call(call_sid: str, url: str) -> str:
    """Move the caller's call to url unless it has ended or moved already; raise (RQ retries) on failure."""
    settings = load_settings()
    calls = CallLog(get_current_job().connection, Keys(settings.key_prefix))
    record = calls.get(call_sid) or {}
    if caller_gone(record) or record.get("caller_moved") == "1":
        return "not needed"
    if not Bridge(settings).redirect(call_sid, url):
        raise BridgeError(f"moving {call_sid} failed; retrying")
    calls.set_fields(call_sid, {"caller_moved": "1"})
    log.info("caller_moved sid=%s by=worker", call_sid)
    return "moved"
