"""The reconciliation job: for each call whose callbacks may have been lost, ask Twilio's REST API what
happened and finish what those callbacks would have done (screener/voice/reconcile.py decides what).
It runs every RECONCILE_PERIOD_SECONDS: each run schedules the next."""
from __future__ import annotations

import logging
import time
from collections import Counter

from twilio.base.exceptions import TwilioException, TwilioRestException

from rq import Queue

from screener import imports, jobs
from screener.model import CallRecord
from screener.services import Services
from screener.twilio_rest import twilio_client
from screener.voice import protocol
from screener.voice.bridge import move_caller
from screener.voice.bridge_state import recording_to_stop
from screener.voice.call_end import call_ended
from screener.voice.reconcile import (RECONCILE_PERIOD_SECONDS, SETTLE_SECONDS, UNKNOWN, Healing, TwilioCall,
                                      ask_about_caller, ask_about_leg, heal, recordings_to_archive)
from workers.context import services

log = logging.getLogger("workers.reconcile")

RECOVERED = "recovered"  # the kind of a recording found at Twilio whose callback never reached us


def reconcile_calls(now: int | None = None) -> dict[str, int]:
    """Heal every call that arrived at least SETTLE_SECONDS before `now` (default: the time) and is not
    yet settled; then schedule the next run. Returns how many calls got what."""
    svc = services()
    at = int(time.time()) if now is None else now
    done: Counter[str] = Counter()
    try:
        for sid in svc.calls.unsettled(at - SETTLE_SECONDS):
            done[_reconcile(svc, sid, at)] += 1
        # Imports whose worker died mid-commit (another host's lease runs out in LEASE_SECONDS).
        resumed = imports.resume_abandoned(svc, Queue(imports.IMPORT_QUEUE, connection=svc.client))
        if resumed:
            done["import_resumed"] += len(resumed)
    finally:
        jobs.schedule_reconcile(svc.alerts, int(time.time()), RECONCILE_PERIOD_SECONDS)
    log.info("reconciled %s", " ".join(f"{what}={n}" for what, n in sorted(done.items())) or "nothing")
    return dict(done)


def _reconcile(svc: Services, sid: str, now: int) -> str:
    record = svc.calls.record(sid) or CallRecord(sid=sid)
    caller = _fetch(svc, sid) if ask_about_caller(record) else None
    reachable = caller is not None and caller != UNKNOWN
    leg = _fetch(svc, record.secretary_sid) if reachable and ask_about_leg(record) else None
    healing = heal(record, caller, leg, now)
    if healing.note:
        svc.calls.set_fields(sid, healing.note)
    if healing.end:
        if healing.status:
            svc.calls.update_status(sid, healing.status, healing.duration, now)
            log.info("status_healed sid=%s status=%s", sid, healing.status)
        call_ended(svc, sid, _url(svc, record, "screen_left", call=sid))
    if healing.move_caller_to:
        _move(svc, record, healing.move_caller_to)
    return _settle(svc, sid, healing)


def _settle(svc: Services, sid: str, healing: Healing) -> str:
    """List the recordings of a call that is over, archive those we never heard of, and settle it."""
    if healing.forget:
        svc.calls.settle(sid)
        return "forgotten"
    if not healing.list_recordings:
        return "moved" if healing.move_caller_to else "open"
    try:
        at_twilio = {item.sid: item.status for item in twilio_client(svc.settings).calls(sid).recordings.list()}
    except (TwilioException, OSError) as exc:
        log.warning("recordings_unlisted sid=%s error=%s", sid, type(exc).__name__)
        return "open"
    known = {item["sid"]: item.get("state", "") for item in svc.recordings.for_call(sid)}
    for recording_sid in recordings_to_archive(known, at_twilio):
        svc.recordings.notify(recording_sid, sid, RECOVERED, "")
        jobs.enqueue_recording_archive(svc.recording_jobs, sid, recording_sid)
        log.info("recording_recovered call=%s recording=%s", sid, recording_sid)
    svc.calls.settle(sid)
    return "ended" if healing.status else "settled"


def _fetch(svc: Services, sid: str) -> TwilioCall | None:
    """How Twilio reports the call; UNKNOWN when it does not know it, None when it could not be asked."""
    try:
        call = twilio_client(svc.settings).calls(sid).fetch()
    except TwilioRestException as exc:
        if exc.status == 404:
            return UNKNOWN
        log.warning("call_unfetched sid=%s status=%s", sid, exc.status)
        return None
    except (TwilioException, OSError) as exc:
        log.warning("call_unfetched sid=%s error=%s", sid, type(exc).__name__)
        return None
    return TwilioCall(call.status or "", str(call.duration or ""))


def _url(svc: Services, record: CallRecord, step: str, **query: str) -> str:
    """A step's full URL for Twilio's REST API: under SCREENER_PUBLIC_URL, else where Twilio reached us
    for this call's bridge."""
    return protocol.step_url(svc.settings.public_url or record.callback_base, step, **query)


def _move(svc: Services, record: CallRecord, then: str) -> None:
    """Move the caller still on hold to /screen/done?then=...; a move job retries if Twilio refuses now."""
    stop = recording_to_stop(record, then)
    if stop:
        svc.bridge.stop_recording(record.sid, stop)
    moved = move_caller(svc.calls, svc.bridge, svc.alerts, record.sid, _url(svc, record, "screen_done", then=then))
    log.info("caller_move sid=%s by=reconciliation then=%s result=%s", record.sid, then, moved.value)
