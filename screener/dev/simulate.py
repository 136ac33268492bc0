"""Simulated Twilio requests, signed with the real RequestValidator (for `screener call` and tests)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlencode

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


SCREEN_KEYS = ("1", "2", "9", "1*")


def walk_screening(post: Callable[[str, dict[str, str]], requests.Response], sim: SimulatedCall,
                   secretary_sid: Callable[[], str], keys: str) -> list[tuple[str, str]]:
    """Play Twilio's part in the screening dialogue after the caller was asked for a name: the name is
    recorded, the press secretary's call is answered, `keys` pressed (1, 2, 9, or 1* to accept and then
    end with *), and the caller's side follows. Returns (step, TwiML answer) pairs in order.

    `post(path, form)` sends one signed request; `secretary_sid()` names the call the server placed."""
    if keys not in SCREEN_KEYS:
        raise ValueError(f"keys must be one of {', '.join(SCREEN_KEYS)}")
    name_sid = "RE" + secrets.token_hex(16)
    name_url = f"https://api.twilio.com/2010-04-01/Accounts/{sim.account_sid}/Recordings/{name_sid}"
    steps = [("caller states a name", post("/voice/screen/name", {
        **sim.incoming_form(), "RecordingUrl": name_url, "RecordingSid": name_sid, "RecordingDuration": "3"}))]
    leg = SimulatedCall(from_=sim.to, to="", account_sid=sim.account_sid, sid=secretary_sid())
    leg_form = {**leg.incoming_form(), "Direction": "outbound-api", "CallStatus": "in-progress"}
    query = urlencode({"call": sim.sid, "line": sim.to, "rec": name_url})
    steps.append(("press secretary answers: the whisper", post(f"/voice/screen/whisper?{query}", leg_form)))
    steps.append((f"press secretary presses {keys[0]}",
                  post(f"/voice/screen/choice?call={sim.sid}", {**leg_form, "Digits": keys[0]})))
    if keys == "1*":
        steps.append(("press secretary presses * during the call", post(
            f"/voice/screen/ended?call={sim.sid}", {**leg_form, "DialCallStatus": "completed"})))
        steps.append(("caller's side: the conference has ended", post("/voice/screen/done", sim.incoming_form())))
    elif keys in ("2", "9"):
        then = "voicemail" if keys == "2" else "reported"
        steps.append(("caller's side, moved by the server", post(f"/voice/screen/done?then={then}",
                                                                 sim.incoming_form())))
    return [(step, response.text) for step, response in steps]
