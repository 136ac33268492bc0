"""Alert jobs: tell a line's alert recipients that a blocked number called."""
from __future__ import annotations

import logging
import time

from rq import get_current_job

from screener.config import load_settings
from screener.numbers import mask
from screener.store.blocklist import Blocklist
from screener.store.calls import CallLog
from screener.store.keys import Keys
from screener.store.lines import Lines
from workers.twilio_rest import twilio_client

log = logging.getLogger("workers.alerts")


class AlertError(RuntimeError):
    """An alert could not be delivered; RQ retries the job."""


def blocked_call_text(line_label: str, caller: str, entry: str, category: str, reason: str) -> str:
    """The SMS body: who called which line and why they were blocked. Short enough for one or two SMS."""
    why = reason or category or "on the blocklist"
    matched = f" (matches {entry})" if entry and entry != caller else ""
    return f"Screener: blocked call to {line_label} from {caller}{matched}. Reason: {why}"[:300]


def send_blocked_call_alert(call_sid: str, line_number: str) -> list[str]:
    """Send the blocked-call SMS to each of the line's alert numbers; return the Twilio message SIDs."""
    job = get_current_job()
    connection = job.connection
    settings = load_settings()
    keys = Keys(settings.key_prefix)
    calls, lines = CallLog(connection, keys), Lines(connection, keys)
    call = calls.get(call_sid)
    line = lines.get(line_number)
    if call is None or line is None:
        log.warning("alert_dropped sid=%s reason=%s", call_sid, "call not logged" if call is None else "line removed")
        return []
    if not line.alert_sms:
        calls.set_fields(call_sid, {"alert": "no alert numbers on line"})
        return []
    entry = Blocklist(connection, keys).get(call.get("entry", "")) if call.get("entry") else None
    text = blocked_call_text(
        line.label or line.number,
        call.get("caller") or call.get("caller_masked", "unknown"),
        call.get("entry", ""),
        entry.meta.category if entry else "",
        entry.meta.reason if entry else "",
    )
    already = set(filter(None, (call.get("alert_sent_to") or "").split(",")))
    client = twilio_client(settings)
    sids = []
    for recipient in line.alert_sms:
        if recipient in already:
            continue  # a retried job does not text someone twice
        message = client.messages.create(to=recipient, from_=line.number, body=text)
        sids.append(message.sid)
        already.add(recipient)
        calls.set_fields(call_sid, {"alert_sent_to": ",".join(sorted(already))})
    calls.set_fields(call_sid, {"alert": "sent", "alert_at": str(int(time.time()))})
    log.info("alert_sent sid=%s line=%s recipients=%s", call_sid, line_number, ",".join(mask(r) for r in line.alert_sms))
    return sids
