"""Jobs that put a caller in the curators' review queue: a report from the phone, a detected campaign."""
from __future__ import annotations

import logging

from rq import Queue, get_current_job

from screener.model import CallRecord
from screener.jobs import CAMPAIGN, REPORT, enqueue_alert
from screener import reporting
from screener.numbers import InvalidNumber, is_prefix
from screener.store.reviews import Report
from workers.context import services
from workers.alert_text import caller_shown

log = logging.getLogger("workers.reports")


def _open_review(call_sid: str, reported_by: str, note: str) -> tuple[Report | None, CallRecord | None]:
    """Open a review for the call's caller (unless one is open already), with the call's recordings
    named as evidence. Returns the review (None when the call is unknown) and the call record."""
    svc = services()
    calls, reviews = svc.calls, svc.reviews
    call = calls.record(call_sid)
    if call is None:
        log.warning("report_dropped sid=%s reason=call not logged", call_sid)
        return None, None
    if call.caller_hash:
        existing = reviews.open_for_caller(call.caller_hash)
        if existing is not None:
            return existing, call
    encrypted = calls.encrypted_number(call_sid) or ""
    if not encrypted and call.caller:
        encrypted = svc.vault.encrypt(call.caller)
    evidence = [r["sid"] for r in svc.recordings.for_call(call_sid)]
    full_note = note + (f" Evidence: recordings {', '.join(evidence)}." if evidence else "")
    report = reviews.open(number_encrypted=encrypted, number_masked=call.caller_masked,
                          caller_hash=call.caller_hash, call_sid=call_sid, line=call.line,
                          note=full_note, reported_by=reported_by)
    svc.audit.append(reported_by, "review.open", report.id, None, report.public())
    return report, call


def _count_as_evidence(call: CallRecord, call_sid: str, note: str) -> None:
    """The press secretary's report counts as one unit of evidence from the line (screener.reporting): the
    caller is screened with a warning from now on, and blocked once a second person agrees."""
    svc = services()
    encrypted = svc.calls.encrypted_number(call_sid)
    number = (svc.vault.decrypt(encrypted) if encrypted else None) or call.caller
    if not number:
        return
    try:
        filed = reporting.file_report(svc, f"line:{call.line}", number, "threat", note, line=call.line,
                                      call_sid=call_sid, actor="phone")
    except (InvalidNumber, reporting.ReportError) as exc:
        log.warning("report_not_counted sid=%s reason=%s", call_sid, exc)
        return
    log.info("report_counted sid=%s outcome=%s", call_sid, filed.outcome)


def report_call(call_sid: str, reported_by: str, note: str) -> str:
    """Key 9 on the whisper (or a report from elsewhere): evidence, review queue, then alert the curators."""
    report, call = _open_review(call_sid, reported_by, note)
    if report is None:
        return ""
    _count_as_evidence(call, call_sid, note)
    queue = Queue(get_current_job().origin, connection=get_current_job().connection)
    enqueue_alert(queue, REPORT, call_sid, call.line if call else "", review_id=report.id, reported_by=reported_by)
    return report.id


def campaign_detected(call_sid: str, identity: str) -> str:
    """A number or prefix crossed a campaign threshold: review queue, then alert the curators."""
    minutes = max(services().settings.campaign_window // 60, 1)
    report, call = _open_review(call_sid, "campaign-detector",
                                f"Campaign: repeated calls within {minutes} minutes"
                                + (f" from the prefix {identity}." if is_prefix(identity) else "."))
    shown = identity if is_prefix(identity) else caller_shown(call) if call else "a caller"
    queue = Queue(get_current_job().origin, connection=get_current_job().connection)
    enqueue_alert(queue, CAMPAIGN, call_sid, call.line if call else "", shown=shown, window_minutes=str(minutes),
                  review_id=report.id if report else "")
    return report.id if report else ""
