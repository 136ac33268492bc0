"""Delivery channels for alerts: SMS through Twilio, e-mail through SMTP, a signed JSON webhook."""
from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from screener.config import Settings
from screener.twilio_rest import twilio_client


class DeliveryError(RuntimeError):
    """The channel refused or failed; the job is retried."""


def send_sms(settings: Settings, to: str, from_: str, text: str) -> str:
    """Send one SMS; return Twilio's message SID."""
    return twilio_client(settings).messages.create(to=to, from_=from_, body=text).sid


def send_email(settings: Settings, to: str, subject: str, text: str) -> str:
    """Send one plain-text e-mail through SCREENER_SMTP_URL (smtp://user:pass@host:port?starttls=1)."""
    if not settings.smtp_url:
        raise DeliveryError("SCREENER_SMTP_URL is not set")
    url = urlsplit(settings.smtp_url)
    message = EmailMessage()
    message["From"] = settings.alert_email_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if url.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(url.hostname, url.port or 465, timeout=30,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(url.hostname, url.port or 25, timeout=30)
    with server:
        if url.scheme == "smtp" and "starttls=1" in (url.query or ""):
            server.starttls(context=ssl.create_default_context())
        if url.username:
            server.login(unquote(url.username), unquote(url.password or ""))
        server.send_message(message)
    return message["Message-ID"] or ""


def webhook_signature(secret: str, body: bytes) -> str:
    """The X-Screener-Signature header: HMAC-SHA256 of the body, hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(settings: Settings, url: str, payload: dict[str, Any]) -> str:
    """POST the alert as JSON (for Signal/Matrix/Telegram bridges); signed when a secret is set."""
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "screener-alerts"}
    if settings.alert_webhook_secret:
        headers["X-Screener-Signature"] = webhook_signature(settings.alert_webhook_secret, body)
    response = requests.post(url, data=body, headers=headers, timeout=15, allow_redirects=False)
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook answered {response.status_code}")
    return str(response.status_code)
