"""Simulated Twilio requests, signed with the real RequestValidator (for `screener call` and tests)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import requests
from twilio.request_validator import RequestValidator


@dataclass(frozen=True)
class SimulatedCall:
    """The form fields Twilio posts for one inbound call."""

    from_: str
    to: str
    account_sid: str = "AC" + "0" * 32
    sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))

    def incoming_form(self) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "AccountSid": self.account_sid,
            "From": self.from_,
            "To": self.to,
            "Caller": self.from_,
            "Called": self.to,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }

    def status_form(self, status: str, duration: int = 42) -> dict[str, str]:
        form = {**self.incoming_form(), "CallStatus": status}
        if status == "completed":
            form["CallDuration"] = str(duration)
        return form


def signature(auth_token: str, url: str, form: dict[str, str]) -> str:
    """X-Twilio-Signature for a form posted to url."""
    return RequestValidator(auth_token).compute_signature(url, form)


def post_signed(base: str, path: str, form: dict[str, str], auth_token: str, public_url: str | None = None) -> requests.Response:
    """POST form to base+path, signed for the URL Twilio would have called (public_url+path when set)."""
    signed_url = (public_url or base).rstrip("/") + path
    return requests.post(
        base.rstrip("/") + path,
        data=form,
        headers={"X-Twilio-Signature": signature(auth_token, signed_url, form)},
        timeout=10,
    )
