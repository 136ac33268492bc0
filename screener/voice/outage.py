"""What a web process does about Redis being down or full: keep what Redis could not take in the local
spool (screener/spool.py) and replay it exactly once when Redis takes writes again; keep the local copy
of the lists (store/list_copy.py) current while Redis answers, so that calls are decided from it while
Redis does not. A background thread (`start`, from screener/wsgi.py) does the keeping and replaying every
second; `tick()` does one round (the tests call it).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from screener import jobs, metrics
from screener.model import Action, Decision
from screener.spool import SPOOL_FOLDER, Spool, SpoolEntry, SpoolFull
from screener.store.call_path import CallFacts
from screener.store.call_replay import SpooledCall
from screener.store.connection import FULL, UNREACHABLE
from screener.voice.call_updates import apply_recording, apply_status
from screener.voice.protocol import TERMINAL_STATUSES

if TYPE_CHECKING:
    from screener.services import Services

log = logging.getLogger("screener.outage")
PERIOD_SECONDS = 1.0


class Outage:
    """One per web process: its spool, its copy of the lists, and the thread that keeps both."""

    @classmethod
    def for_process(cls, svc: "Services") -> "Outage":
        """This process's: its spool file under the instance folder's spool/, bounded by SCREENER_SPOOL_MAX_MB."""
        folder = svc.settings.instance_path / SPOOL_FOLDER
        return cls(svc, Spool(folder, svc.settings.spool_max_mb * 1024 * 1024))

    def __init__(self, svc: "Services", spool: Spool) -> None:
        self.svc = svc
        self.spool_file = spool
        self._replaying = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # --- keeping what Redis could not take ---

    def spool(self, kind: str, data: dict[str, Any]) -> bool:
        """Keep one entry in the spool; False (counted and logged) when the spool cannot take it either."""
        try:
            self.spool_file.append(kind, data)
        except (SpoolFull, OSError) as exc:
            metrics.SPOOL_REFUSED.labels(kind).inc()
            log.error("spool_refused kind=%s sid=%s error=%s", kind, data.get("sid", "-"), exc)
            return False
        metrics.SPOOLED.labels(kind).inc()
        metrics.SPOOL_BYTES.set(self.spool_file.size)
        return True

    def spool_call(self, facts: CallFacts, decision: Decision, why: str) -> bool:
        """Keep a decided call's record (and its blocked-call alert) until Redis takes it."""
        keep_full = decision.rule == "blocklist" and decision.action is Action.BLOCK
        call = SpooledCall(
            sid=facts.sid, line=facts.line, at=facts.at, caller_kind=facts.caller_kind,
            caller_masked=facts.caller_masked, caller_hash=facts.caller_hash,
            # Only a blocked caller's number is kept in full (as in the call log); others stay encrypted.
            caller=facts.caller_e164 if keep_full else "",
            encrypted_number="" if keep_full else facts.encrypted_number,
            retention_seconds=facts.retention_seconds, action=decision.action.value, rule=decision.rule,
            reason=decision.reason, entry=decision.entry or "", degraded=decision.degraded, why=why)
        alerts = [jobs.BLOCKED_CALL] if keep_full else []
        kept = self.spool("call", {**asdict(call), "alerts": alerts})
        if kept:
            level = logging.WARNING if why == "unreplicated" else logging.ERROR
            log.log(level, "call_spooled sid=%s line=%s action=%s error=%s", facts.sid, facts.line,
                    decision.action.value, why)
        return kept

    # --- putting it back ---

    def replay(self) -> int:
        """Write this process's spool and every ended process's file into Redis; how many entries were
        written. Stops at the first entry Redis refuses (the rest waits for the next round)."""
        with self._replaying:
            done = 0
            entries, nbytes = self.spool_file.pending()
            if entries:
                self._replay_all(entries)
                self.spool_file.mark_replayed(nbytes)
                done += len(entries)
            metrics.SPOOL_BYTES.set(self.spool_file.size)
            with self.spool_file.orphans() as orphans:
                for path, found in orphans:
                    log.warning("spool_adopted file=%s entries=%d", path.name, len(found))
                    self._replay_all(found)
                    done += len(found)
            return done

    def _replay_all(self, entries: list[SpoolEntry]) -> None:
        for entry in entries:
            try:
                self._replay_one(entry)
            except (TypeError, KeyError, ValueError) as exc:  # not an entry this version can write
                path = self.spool_file.reject(entry, f"{type(exc).__name__}: {exc}")
                log.error("spool_entry_rejected id=%s kind=%s kept_in=%s error=%s", entry.id, entry.kind, path,
                          type(exc).__name__)
                continue
            metrics.SPOOL_REPLAYED.labels(entry.kind).inc()
        log.warning("spool_replayed entries=%d", len(entries))

    def _replay_one(self, entry: SpoolEntry) -> None:
        svc, data = self.svc, dict(entry.data)
        if entry.kind == "call":
            alerts = data.pop("alerts", [])
            written = svc.call_replay.write(SpooledCall(**data))
            if data["why"] == "unreplicated" and not written:
                return  # the record survived, and its alert was queued with it: nothing to replay
            if (svc.calls.get(data["sid"]) or {}).get("status") in TERMINAL_STATUSES:
                svc.evidence.seal_call(data["sid"])  # sealed by a callback before the decision was filled in
            for kind in alerts:
                jobs.enqueue_alert_once(svc.alerts, svc.keys.spool_done(f"{entry.id}:{kind}"), kind, data["sid"],
                                        data["line"])
        elif entry.kind == "status":
            apply_status(svc, **data)
        elif entry.kind == "recording":
            apply_recording(svc, **data)
        else:
            raise ValueError(f"unknown spool entry kind {entry.kind!r}")

    # --- the background round ---

    def tick(self) -> None:
        """One round: bring the lists' copy up to date, replay what is spooled. Quiet while Redis is down."""
        try:
            self.svc.list_copy.sync()
            metrics.LOCAL_LISTS_SYNCED.set(time.time())
            if self.svc.lookup.version < 0:
                self.svc.lookup.refresh()  # so that a first call during an outage knows its line
        except UNREACHABLE:
            return
        try:
            self.replay()
        except (*UNREACHABLE, FULL) as exc:
            log.warning("spool_replay_waiting error=%s", type(exc).__name__)

    def start(self, period: float = PERIOD_SECONDS) -> None:
        """Run tick() every `period` seconds in a daemon thread (once per process)."""
        if self._thread is not None:
            return

        def loop() -> None:
            while True:
                try:
                    self.tick()
                except Exception:  # a bug here must not end the thread that keeps the list current
                    log.exception("outage_tick_failed")
                if self._stop.wait(period):
                    return

        self._thread = threading.Thread(target=loop, name="screener-outage", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
