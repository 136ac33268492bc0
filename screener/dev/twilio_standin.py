"""A local stand-in for the parts of Twilio's REST API we call: Messages (send SMS), Recordings (fetch media,
delete), Calls (ring the press secretary, move or end a live call) and IncomingPhoneNumbers (a line's number
and the webhooks set on it). `screener demo` points TWILIO_API_BASE here so that alerts are visible without a
Twilio account; the tests and benchmarks use it to see exactly what the service sent and fetched.

It is as strict as Twilio's own description of its API: every REST request is checked against the trimmed
OpenAPI copy (twilio_contract.py); one Twilio would refuse gets Twilio's 400 error body and is kept in
`violations`, which the tests assert empty. Recording media (`.wav`, `.mp3`) is outside that description.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, parse_qsl

from screener.dev import twilio_contract

_ACCOUNT = r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})"
_MESSAGES = re.compile(_ACCOUNT + r"/Messages\.json$")
_CALLS = re.compile(_ACCOUNT + r"/Calls\.json$")
_CALL = re.compile(_ACCOUNT + r"/Calls/(CA[0-9a-fA-F]{32})\.json$")
_CALL_RECORDINGS = re.compile(_ACCOUNT + r"/Calls/(CA[0-9a-fA-F]{32})/Recordings\.json$")
_CALL_RECORDING = re.compile(_ACCOUNT + r"/Calls/(CA[0-9a-fA-F]{32})/Recordings/(RE[0-9a-fA-F]{32}|Twilio\.CURRENT)\.json$")
_RECORDING = re.compile(_ACCOUNT + r"/Recordings/(RE[0-9a-fA-F]{32})(\.wav|\.mp3|\.json)?$")
_MEDIA = re.compile(_ACCOUNT + r"/Recordings/RE[0-9a-fA-F]{32}\.(wav|mp3)$")
_NUMBERS = re.compile(_ACCOUNT + r"/IncomingPhoneNumbers\.json(\?.*)?$")
_NUMBER = re.compile(_ACCOUNT + r"/IncomingPhoneNumbers/(PN[0-9a-fA-F]{32})\.json$")
ENDED = frozenset({"completed", "canceled", "busy", "failed", "no-answer"})
# The number's fields a POST may change: Twilio's form names and the JSON keys they set.
NUMBER_FIELDS = {"VoiceUrl": "voice_url", "VoiceMethod": "voice_method", "VoiceFallbackUrl": "voice_fallback_url",
                 "VoiceFallbackMethod": "voice_fallback_method", "StatusCallback": "status_callback",
                 "StatusCallbackMethod": "status_callback_method", "FriendlyName": "friendly_name",
                 "VoiceApplicationSid": "voice_application_sid", "TrunkSid": "trunk_sid"}


def _rfc2822() -> str:
    return datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
_CALL_RECORDINGS_LIST = re.compile(_ACCOUNT + r"/Calls/(CA[0-9a-fA-F]{32})/Recordings\.json(\?.*)?$")


@dataclass
class TwilioStandIn:
    """What the stand-in received and serves. `fail_next` / `fail_media_next` / `fail_calls_next` make
    the next n message sends / media fetches / call creations and updates answer 500. `calls` holds the
    calls created, `call_updates` the (CallSid, form) of each update, `call_recordings` the (CallSid,
    form) of each recording started on a live call, `call_states` what it knows of each call (status,
    duration, direction: set by a test, by `end_call()` or by an update that ended it),
    `recordings_of_call` the recordings it holds for each call, `phone_numbers` the account's IncomingPhoneNumbers by SID (`add_number()`), and
    `violations` every request Twilio's API description refuses."""

    account_sid: str
    auth_token: str
    messages: list[dict[str, str]] = field(default_factory=list)
    recordings: dict[str, bytes] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    fail_next: int = 0
    fail_media_next: int = 0
    calls: list[dict[str, str]] = field(default_factory=list)
    call_updates: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    call_recordings: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    recording_updates: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (CallSid, RecordingSid, form)
    fail_calls_next: int = 0
    phone_numbers: dict[str, dict] = field(default_factory=dict)
    number_updates: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    on_call: Callable[[dict[str, str]], None] | None = None
    on_message: Callable[[dict[str, str]], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # What GET Calls/{sid}.json and GET Calls/{sid}/Recordings.json answer (the reconciliation job asks):
    # a call's fields (status, duration) by CallSid, and the RecordingSids Twilio holds for a call.
    call_states: dict[str, dict[str, str]] = field(default_factory=dict)
    recordings_of_call: dict[str, list[str]] = field(default_factory=dict)
    # Faults: Twilio stalling (every request answered `stall_seconds` late) or failing (every request that
    # Twilio would accept answered 500). Requests are still checked against the API description first.
    stall_seconds: float = 0.0
    failing: bool = False

    def reset(self) -> None:
        """Forget everything received and every failure asked for (between tests)."""
        with self.lock:
            for collected in (self.messages, self.recordings, self.deleted, self.calls, self.call_updates,
                              self.call_recordings, self.recording_updates, self.call_states, self.recordings_of_call,
                              self.phone_numbers,
                              self.number_updates, self.violations):
                collected.clear()
            self.fail_next = self.fail_media_next = self.fail_calls_next = 0
            self.stall_seconds, self.failing = 0.0, False

    def add_number(self, phone_number: str, **fields: str) -> str:
        """Put a number on the account, as bought in the Console with nothing configured; returns its SID."""
        sid = "PN" + secrets.token_hex(16)
        now = _rfc2822()
        with self.lock:
            self.phone_numbers[sid] = {
                "sid": sid, "account_sid": self.account_sid, "phone_number": phone_number,
                "friendly_name": phone_number, "api_version": "2010-04-01", "beta": False, "origin": "twilio",
                "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
                "voice_url": "https://demo.twilio.com/welcome/voice/", "voice_method": "POST",
                "voice_fallback_url": None, "voice_fallback_method": "POST", "status_callback": "",
                "status_callback_method": "POST", "voice_application_sid": None, "trunk_sid": None,
                "voice_caller_id_lookup": False, "voice_receive_mode": "voice", "sms_url": "",
                "sms_method": "POST", "status": "in-use", "date_created": now, "date_updated": now,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json", **fields,
            }
        return sid

    def number(self, phone_number: str) -> dict:
        """The account's IncomingPhoneNumber for a number (KeyError when it has none)."""
        with self.lock:
            return next(n for n in self.phone_numbers.values() if n["phone_number"] == phone_number)

    def end_call(self, call_sid: str, status: str = "completed") -> None:
        """The call has ended at Twilio (the caller hung up): updates of it now answer 21220."""
        with self.lock:
            self.call_states.setdefault(call_sid, {})["status"] = status


def _number_matches(pattern: str, number: str) -> bool:
    """Twilio's PhoneNumber filter: partial numbers, and '*' for any digit."""
    regex = "".join("[0-9]" if c == "*" else re.escape(c) for c in pattern)
    return re.search(regex, number) is not None


def _handler(state: TwilioStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        body = b""

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature from the base class
            return

        def _send(self, status: int, body: dict | bytes | None, content_type: str = "application/json") -> None:
            data = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: int, message: str) -> None:
            """Twilio's error body (https://www.twilio.com/docs/usage/twilios-response)."""
            self._send(status, {"code": code, "message": message,
                                "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status})

        def _admit(self, method: str) -> bool:
            """Read the body and check the request against Twilio's API description; answer 400 (and keep
            the violation) when Twilio would refuse it; then stall or fail as the test asked."""
            if not self._valid(method):
                return False
            if state.stall_seconds:
                time.sleep(state.stall_seconds)
            if state.failing:
                self._error(500, 20500, "Internal Server Error")
                return False
            return True

        def _valid(self, method: str) -> bool:
            self.body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            contract = twilio_contract.load()
            if contract is None or _MEDIA.match(self.path.partition("?")[0]):
                return True
            found = contract.violations(method, self.path, dict(self.headers.items()), self.body)
            if not found:
                return True
            with state.lock:
                state.violations.extend(f"{method} {self.path}: {v.text}" for v in found)
            self._error(found[0].status, found[0].code, "; ".join(v.text for v in found))
            return False

        def _account(self, pattern: re.Pattern) -> re.Match | None:
            match = pattern.match(self.path)
            if not match or match.group(1) != state.account_sid:
                self._error(404, 20404, "The requested resource was not found")
                return None
            expected = base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
            if self.headers.get("Authorization", "") != f"Basic {expected}":
                self._error(401, 20003, "Authenticate")
                return None
            return match

        def _form(self) -> dict[str, str]:
            return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

        def _call_json(self, sid: str, form: dict[str, str], status: str) -> dict[str, str]:
            return {"sid": sid, "account_sid": state.account_sid, "to": form.get("To", ""),
                    "from": form.get("From", ""), "status": status, "direction": "outbound-api",
                    "uri": f"/2010-04-01/Accounts/{state.account_sid}/Calls/{sid}.json"}

        def _calls_request(self, pattern: re.Pattern) -> tuple[re.Match, dict[str, str]] | None:
            """An authenticated Calls request and its form, or None once an error was answered
            (including a 500 while `fail_calls_next` lasts)."""
            match = self._account(pattern)
            if not match:
                return None
            form = self._form()
            with state.lock:
                if state.fail_calls_next > 0:
                    state.fail_calls_next -= 1
                    self._error(500, 20500, "Internal Server Error")
                    return None
            return match, form

        def _create_call(self) -> None:
            """Ring a number; the answered call fetches Url."""
            request = self._calls_request(_CALLS)
            if not request:
                return
            _, form = request
            if not form.get("To") or not form.get("From") or not (form.get("Url") or form.get("Twiml")):
                self._error(400, 21201, "To, From and Url are required")
                return
            call = {"sid": "CA" + secrets.token_hex(16), **form}
            with state.lock:
                state.calls.append(call)
            if state.on_call:
                state.on_call(call)
            self._send(201, self._call_json(call["sid"], form, "queued"))

        def _update_call(self) -> None:
            """Move a live call to new TwiML (Url), or end it (Status); a call that has ended cannot be."""
            request = self._calls_request(_CALL)
            if not request:
                return
            match, form = request
            sid = match.group(2)
            with state.lock:
                if state.call_states.get(sid, {}).get("status") in ENDED:
                    self._error(400, 21220, "Call is not in-progress. Cannot redirect.")
                    return
                state.call_updates.append((sid, form))
                if form.get("Status") in ENDED:
                    state.call_states.setdefault(sid, {})["status"] = form["Status"]
            self._send(200, self._call_json(sid, form, form.get("Status", "in-progress")))

        def _record_call(self) -> None:
            """Start recording a live call."""
            request = self._calls_request(_CALL_RECORDINGS)
            if not request:
                return
            match, form = request
            with state.lock:
                state.call_recordings.append((match.group(2), form))
            sid = "RE" + secrets.token_hex(16)
            self._send(201, {"sid": sid, "account_sid": state.account_sid, "call_sid": match.group(2),
                             "status": "in-progress", "channels": 2 if form.get("RecordingChannels") == "dual" else 1,
                             "uri": f"/2010-04-01/Accounts/{state.account_sid}/Recordings/{sid}.json"})

        def _update_call_recording(self) -> None:
            """Stop, pause or resume a live call's recording (Status is required, as Twilio has it)."""
            request = self._calls_request(_CALL_RECORDING)
            if not request:
                return
            match, form = request
            if form.get("Status") not in ("stopped", "paused", "in-progress"):
                self._error(400, 21205, "Status must be stopped, paused or in-progress")
                return
            with state.lock:
                state.recording_updates.append((match.group(2), match.group(3), form))
            self._send(200, {"sid": match.group(3), "account_sid": state.account_sid, "call_sid": match.group(2),
                             "status": form["Status"]})

        def _send_message(self) -> None:
            if not self._account(_MESSAGES):
                return
            form = self._form()
            with state.lock:
                if state.fail_next > 0:
                    state.fail_next -= 1
                    self._error(500, 20500, "Internal Server Error")
                    return
                sid = "SM" + secrets.token_hex(16)
                message = {"sid": sid, "to": form.get("To", ""), "from": form.get("From", ""), "body": form.get("Body", "")}
                state.messages.append(message)
            if state.on_message:
                state.on_message(message)
            self._send(201, {
                "sid": sid, "account_sid": state.account_sid, "to": message["to"], "from": message["from"],
                "body": message["body"], "status": "queued", "direction": "outbound-api", "num_segments": "1",
                "uri": f"/2010-04-01/Accounts/{state.account_sid}/Messages/{sid}.json",
            })

        def _list_numbers(self) -> None:
            """IncomingPhoneNumbers, filtered by PhoneNumber and FriendlyName, in one page."""
            if not self._account(_NUMBERS):
                return
            query = dict(parse_qsl(self.path.partition("?")[2]))
            with state.lock:
                found = [dict(n) for n in state.phone_numbers.values()
                         if _number_matches(query.get("PhoneNumber", ""), n["phone_number"])
                         and query.get("FriendlyName", n["friendly_name"]) == n["friendly_name"]]
            uri = f"/2010-04-01/Accounts/{state.account_sid}/IncomingPhoneNumbers.json"
            size = int(query.get("PageSize", "50"))
            self._send(200, {"incoming_phone_numbers": found[:size], "page": 0, "page_size": size, "start": 0,
                             "end": max(len(found[:size]) - 1, 0), "uri": uri, "first_page_uri": uri,
                             "next_page_uri": None, "previous_page_uri": None})

        def _number(self) -> tuple[str, dict] | None:
            match = self._account(_NUMBER)
            if not match:
                return None
            with state.lock:
                number = state.phone_numbers.get(match.group(2))
            if number is None:
                self._error(404, 20404, "The requested resource was not found")
                return None
            return match.group(2), number

        def _update_number(self) -> None:
            found = self._number()
            if not found:
                return
            sid, _ = found
            form = self._form()
            with state.lock:
                number = state.phone_numbers[sid]
                number.update({key: form[name] for name, key in NUMBER_FIELDS.items() if name in form})
                number["date_updated"] = _rfc2822()
                state.number_updates.append((sid, form))
                answer = dict(number)
            self._send(200, answer)

        def _fetch_call(self) -> None:
            """A call as Twilio reports it, or 404 for a call it does not know."""
            match = self._account(_CALL)
            if not match:
                return
            with state.lock:
                known = state.call_states.get(match.group(2))
            if known is None:
                self._error(404, 20404, "The requested resource was not found")
                return
            self._send(200, {**self._call_json(match.group(2), {}, known.get("status", "")),
                             "duration": known.get("duration"), "direction": known.get("direction", "inbound")})

        def _list_call_recordings(self) -> None:
            """The recordings Twilio holds for a call (one page)."""
            match = self._account(_CALL_RECORDINGS_LIST)
            if not match:
                return
            call_sid = match.group(2)
            with state.lock:
                sids = list(state.recordings_of_call.get(call_sid, []))
            base = f"/2010-04-01/Accounts/{state.account_sid}"
            self._send(200, {"recordings": [
                {"sid": sid, "account_sid": state.account_sid, "call_sid": call_sid, "status": "completed",
                 "duration": "10", "uri": f"{base}/Recordings/{sid}.json"} for sid in sids],
                "first_page_uri": f"{base}/Calls/{call_sid}/Recordings.json?PageSize=50&Page=0",
                "next_page_uri": None, "previous_page_uri": None, "page": 0, "page_size": 50,
                "uri": f"{base}/Calls/{call_sid}/Recordings.json?PageSize=50&Page=0"})

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if not self._admit("POST"):
                return
            if _CALL_RECORDINGS.match(self.path):
                self._record_call()
            elif _CALL_RECORDING.match(self.path):
                self._update_call_recording()
            elif _CALLS.match(self.path):
                self._create_call()
            elif "/Calls/" in self.path:
                self._update_call()
            elif "/IncomingPhoneNumbers/" in self.path:
                self._update_number()
            else:
                self._send_message()

        def do_GET(self) -> None:  # noqa: N802
            if not self._admit("GET"):
                return
            if _CALL.match(self.path):
                self._fetch_call()
                return
            if _CALL_RECORDINGS_LIST.match(self.path):
                self._list_call_recordings()
                return
            if "/IncomingPhoneNumbers.json" in self.path:
                self._list_numbers()
                return
            if "/IncomingPhoneNumbers/" in self.path:
                found = self._number()
                if found:
                    self._send(200, dict(found[1]))
                return
            match = self._account(_RECORDING)
            if not match:
                return
            sid, suffix = match.group(2), match.group(3) or ".json"
            with state.lock:
                if suffix != ".json" and state.fail_media_next > 0:
                    state.fail_media_next -= 1
                    self._error(500, 20500, "Internal Server Error")
                    return
                media = state.recordings.get(sid)
            if media is None:
                self._error(404, 20404, "The requested resource was not found")
            elif suffix == ".json":
                self._send(200, {"sid": sid, "account_sid": state.account_sid, "status": "completed"})
            else:
                self._send(200, media, "audio/x-wav" if suffix == ".wav" else "audio/mpeg")

        def do_PUT(self) -> None:  # noqa: N802 - Twilio's API has no PUT: the description answers 405
            if self._admit("PUT"):
                self._error(405, 20004, "Method not allowed")

        def do_DELETE(self) -> None:  # noqa: N802
            if not self._admit("DELETE"):
                return
            match = self._account(_RECORDING)
            if not match:
                return
            sid = match.group(2)
            with state.lock:
                if state.recordings.pop(sid, None) is None:
                    self._error(404, 20404, "The requested resource was not found")
                    return
                state.deleted.append(sid)
            self._send(204, None)

    return Handler


def start(state: TwilioStandIn, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Serve on a background thread; returns the server (its port is server_address[1])."""
    twilio_contract.load()  # built before the first request, not while a test's webhook waits on it
    server = ThreadingHTTPServer((host, port), _handler(state))
    threading.Thread(target=server.serve_forever, daemon=True, name="twilio-standin").start()
    return server
