"""Alerts by SMS, e-mail (a real aiosmtpd server) and signed JSON webhook; failures kept and retryable."""
import email
import email.policy
import hashlib
import hmac
import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from screener.store.blocklist import EntryMeta
from screener.store.redis_process import free_port
from tests.conftest import ALERT_PHONE, LINE

BLOCKED = "+375291234567"
WEBHOOK_SECRET = "bridge-secret"


class Inbox:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("SCREENER_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    monkeypatch.setenv("SCREENER_ALERT_EMAIL_FROM", "alerts@screener.test")
    yield inbox
    controller.stop()


@pytest.fixture
def bridge(monkeypatch):
    """A local JSON webhook receiver (as a Signal/Matrix bridge would be); `status` sets its answer."""
    received: list[tuple[dict, str]] = []
    state = {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((json.loads(body), self.headers.get("X-Screener-Signature", ""), body))
            self.send_response(state["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("SCREENER_ALERT_WEBHOOK_SECRET", WEBHOOK_SECRET)
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, state
    server.shutdown()


@pytest.fixture
def all_channels(svc, line, bridge):
    url, _, _ = bridge
    svc.lines.save(replace(line, alert_email=("press@example.org",), alert_webhook=url))
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threatened the family"))


def test_blocked_call_alert_goes_out_on_every_channel_of_the_line(twilio, svc, outbox, smtp, bridge, run_worker,
                                                                 all_channels):
    twilio.call(BLOCKED)
    run_worker()
    assert [m["to"] for m in outbox.messages] == [ALERT_PHONE]
    [(sender, recipients, content)] = smtp.messages
    assert sender == "alerts@screener.test" and recipients == ["press@example.org"]
    message = email.message_from_string(content, policy=email.policy.default)
    assert message["Subject"] == "Blocked call to Press office [alert 1]"  # every copy names its alert
    assert "threatened the family" in message.get_content() and BLOCKED in message.get_content()
    _, received, _ = bridge
    [(payload, signature, body)] = received
    assert payload["kind"] == "blocked_call" and payload["line"] == LINE and BLOCKED in payload["text"]
    assert payload["alert_id"] == "1"
    assert signature == "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_each_delivery_is_shown_with_its_outcome(twilio, svc, cli, outbox, smtp, bridge, run_worker, all_channels):
    twilio.call(BLOCKED)
    run_worker()
    listing = cli("alerts", "list").output
    assert "blocked_call" in listing
    assert f"sms:{ALERT_PHONE}: sent" in listing and "email:press@example.org: sent" in listing


def test_a_failing_channel_does_not_hold_up_or_repeat_the_others(twilio, svc, outbox, smtp, bridge, run_worker,
                                                                 all_channels):
    _, received, state = bridge
    state["status"] = 500
    twilio.call(BLOCKED)
    run_worker()
    assert len(outbox.messages) == 1 and len(smtp.messages) == 1
    [alert] = svc_alert_log(svc).recent()
    webhook_state = [v for k, v in alert.items() if k.startswith("d:webhook:")][0]
    assert webhook_state.startswith("failed: DeliveryError: webhook answered 500")


def svc_alert_log(svc):
    from screener.store.alert_log import AlertLog

    return AlertLog(svc.client, svc.keys)


def test_failed_alert_can_be_retried_from_the_command_line(twilio, svc, cli, outbox, run_worker, line, redis_client):
    from rq import Queue
    from rq.registry import FailedJobRegistry

    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    outbox.fail_next = 99
    twilio.call(BLOCKED)
    run_worker()
    queue = Queue("alerts", connection=redis_client)
    [job_id] = [j for j in queue.scheduled_job_registry.get_job_ids()]
    job = queue.fetch_job(job_id)
    job.retries_left = 0  # as if every retry had been spent
    job.save()
    queue.enqueue_job(job)
    run_worker()
    assert cli("alerts", "failed").output.strip().endswith("1 failed")
    outbox.fail_next = 0
    assert cli("alerts", "retry", "--all").exit_code == 0
    run_worker()
    assert [m["to"] for m in outbox.messages] == [ALERT_PHONE]
    assert FailedJobRegistry(queue=queue).count == 0


def test_email_without_smtp_configured_fails_visibly(twilio, svc, outbox, run_worker, line, monkeypatch):
    monkeypatch.delenv("SCREENER_SMTP_URL", raising=False)
    svc.lines.save(replace(line, alert_sms=(), alert_email=("press@example.org",)))
    svc.blocklist.add_many([BLOCKED], EntryMeta(reason="threats"))
    twilio.call(BLOCKED)
    run_worker()
    [alert] = svc_alert_log(svc).recent()
    assert alert["d:email:press@example.org"].startswith("failed: DeliveryError: SCREENER_SMTP_URL is not set")


def test_line_add_takes_email_and_webhook_and_refuses_plain_http(cli, svc):
    ok = cli("line", "add", "--number", LINE, "--forward-to", "+48601234567", "--country", "US",
             "--alert-email", "press@example.org", "--alert-webhook", "https://bridge.example.org/hook")
    assert ok.exit_code == 0
    assert svc.lines.get(LINE).alert_webhook == "https://bridge.example.org/hook"
    bad = cli("line", "add", "--number", LINE, "--forward-to", "+48601234567", "--country", "US",
              "--alert-webhook", "http://bridge.example.org/hook")
    assert bad.exit_code != 0 and "https" in bad.output
    assert cli("line", "add", "--number", LINE, "--forward-to", "+48601234567", "--country", "US",
               "--alert-email", "not-an-address").exit_code != 0
