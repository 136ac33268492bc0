"""A call's first request, as a use case with no transport in it: decide, log, alert, answer.

wsgi.py parses and checks the request (protocol.py's gate) and calls `IncomingCalls.answer`; the decision
is screener/policy.py's, the call is logged in one Redis round trip (store/call_path.py), alerts go on
the queue, and the answer is twiml.answer's document, kept by answer_cache.py. When Redis cannot be reached
the call is decided from this process's copy of the lists and lines (voice/outage.py keeps it), and its
record and alert go to the local spool, replayed once Redis is back; when Redis is full (refusing writes) it
is decided from the lists, read only, and spooled the same way. The code failing: screening TwiML.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from screener import metrics, policy
from screener import jobs
from screener.model import Action, Decision, Line
from screener.numbers import Caller, CallerKind, mask, normalise
from screener.services import Services
from screener.store.call_path import Campaign, CallFacts, Outcome, StaleLines, choose_outcome
from screener.store.connection import FULL, UNREACHABLE
from screener.voice import protocol, twiml
from screener.voice.answer_cache import AnswerCache
from screener.voice.outage import Outage

log = logging.getLogger("screener.voice")
_CALL_LINE = "call sid=%s line=%s caller=%s action=%s rule=%s entry=%s"
_NO_CAMPAIGN = Campaign(window_seconds=0)  # calls to an unconfigured number count towards no campaign


def step_urls(public_url: str | None) -> twiml.StepUrl:
    """The URL of a dialogue step, absolute under SCREENER_PUBLIC_URL when configured."""
    base = public_url or ""

    def step(name: str, **query: str) -> str:
        return protocol.step_url(base, name, **query)

    return step


class IncomingCalls:
    """Answers a call's first request; one per process, sharing its Services."""

    def __init__(self, svc: Services, outage: Outage) -> None:
        self.svc = svc
        self.outage = outage
        self.answers = AnswerCache(step_urls(svc.settings.public_url))
        settings = svc.settings
        self._campaign = Campaign(settings.campaign_window, settings.campaign_lines, settings.campaign_calls)

    def answer(self, sid: str, number: str, raw_from: str, verstat: str | None) -> str:
        """The TwiML for this call, whatever state the store or our code is in."""
        try:
            return self.answer_call(sid, number, raw_from, verstat)
        except Exception:  # a bug must not drop a ringing call: answer with screening TwiML, log loudly
            log.exception("webhook_error path=%s", "/voice/incoming")
            return self.answers.answer(protocol.fallback_decision(), self.svc.lookup.known_line(number),
                                       Caller(CallerKind.UNKNOWN))

    def answer_call(self, sid: str, number: str, raw_from: str, verstat: str | None) -> str:
        """Decide, log the call (one round trip), alert when due, answer: whatever state the store is in."""
        svc = self.svc
        try:
            for _ in range(3):  # a line change between our cache and the round trip: refresh, decide again
                version, line = svc.lookup.current(number)
                caller = normalise(raw_from, line.country if line else None)
                facts = _facts(svc, sid, number, line, caller)
                candidates = policy.candidates(caller, line, verstat, _now())
                try:
                    try:
                        outcome = svc.call_path.decide_and_log(facts, candidates, version,
                                                               self._campaign if line else _NO_CAMPAIGN)
                    except FULL:
                        # Redis is at its memory limit and refuses writes; the lists can still be read, so a
                        # blocklisted caller is still rejected. The record and its alert wait in the spool.
                        outcome = svc.call_path.decide_read_only(facts, candidates, version)
                        self._spool(facts, outcome.decision, "redis_full")
                    break
                except StaleLines:
                    svc.lookup.refresh()
            else:
                raise RuntimeError("line settings kept changing during one call")
        except UNREACHABLE as exc:
            metrics.STORE_UNREACHABLE.inc()
            known = svc.lookup.known_line(number)
            caller = normalise(raw_from, known.country if known else None)
            facts = _facts(svc, sid, number, known, caller)
            decision = self._decide_locally(facts, known, caller, verstat)
            log.error("store_unreachable sid=%s line=%s action=%s error=%s", sid, number, decision.action.value,
                      type(exc).__name__)
            self._spool(facts, decision, "redis_unreachable")
            return self.answers.answer(decision, known, caller)
        decision = outcome.decision
        metrics.CALLS.labels(decision.action.value, decision.rule).inc()
        _log_call(sid, number, mask(caller.e164) if caller.e164 else caller.kind.value, decision)
        if outcome.logged:
            _enqueue_alerts(svc, sid, number, outcome)
            if not outcome.replicated:
                # Too few replicas had it when WAIT gave up: a failover now could lose it, so the spool keeps a
                # copy (written once all the same: a record is replayed only where it is missing).
                self._spool(facts, decision, "unreplicated")
        return self.answers.answer(decision, line, caller)

    def _decide_locally(self, facts: CallFacts, line: Line | None, caller: Caller, verstat: str | None) -> Decision:
        """The decision from this process's copy of the lists and lines (Redis cannot be reached). Without
        both (a process that never reached Redis), every caller is screened."""
        matches = self.svc.list_copy.lists.matches(caller, facts.line) if line else None
        if matches is None:
            return policy.decide(caller, line, None, verstat)
        candidates = policy.candidates(caller, line, verstat, _now())
        return choose_outcome(facts, candidates, matches.allowlisted, matches.blocklist_entry or "",
                              matches.blocklist_meta or "").decision

    def _spool(self, facts: CallFacts, decision: Decision, why: str) -> None:
        if not self.outage.spool_call(facts, decision, why) and why != "unreplicated":
            metrics.CALLS_UNLOGGED.inc()
            log.error("call_unlogged sid=%s line=%s action=%s error=%s", facts.sid, facts.line,
                      decision.action.value, why)


def _log_call(sid: str, number: str, caller: str, decision: Decision) -> None:
    """One log line per call decision, at DEBUG: the call log in Redis is the record of every call, and
    expires with the line's retention period, which a system log (journald) would not. Made without
    Logger's search of the stack for the calling file and line, which no log format of ours shows."""
    if log.isEnabledFor(logging.DEBUG):
        log.handle(log.makeRecord(log.name, logging.DEBUG, __file__, 0, _CALL_LINE,
                                  (sid, number, caller, decision.action.value, decision.rule, decision.entry or "-"),
                                  None, "answer_call"))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _facts(svc: Services, sid: str, number: str, line: Line | None, caller: Caller) -> CallFacts:
    e164 = caller.e164 or ""
    return CallFacts(
        sid=sid, line=number, at=int(time.time()), caller_e164=e164, caller_kind=caller.kind.value,
        caller_masked=mask(e164) if e164 else caller.kind.value,
        caller_hash=svc.vault.link_hash(e164) if e164 else "",
        previous_caller_hash=svc.vault.old_link_hash(e164) if e164 else "",
        # Kept only if the caller turns out not to be blocked (a blocked caller's number is kept in full).
        encrypted_number=svc.vault.encrypt(e164) if e164 else "",
        retention_seconds=(line.retention_days if line else 30) * 86400,
    )


def _enqueue_alerts(svc: Services, sid: str, number: str, outcome: Outcome) -> None:
    """Only where an alert is due; a failure here is logged, the caller still gets the answer."""
    try:
        if outcome.decision.action is Action.BLOCK and outcome.decision.rule == "blocklist":
            jobs.enqueue_blocked_call(svc.alerts, sid, number)
            metrics.ALERTS_ENQUEUED.labels(jobs.BLOCKED_CALL).inc()
        if outcome.campaign:
            jobs.enqueue_campaign(svc.alerts, sid, outcome.identity)
            metrics.ALERTS_ENQUEUED.labels(jobs.CAMPAIGN).inc()
    except UNREACHABLE as exc:
        metrics.STORE_UNREACHABLE.inc()
        log.error("alert_unqueued sid=%s error=%s", sid, type(exc).__name__)
