"""A local stand-in for the parts of Twilio's REST API we call: Messages (send SMS), Recordings
(fetch media, delete) and Calls (ring the press secretary, move or end a live call). `screener demo` points TWILIO_API_BASE here so that alerts are visible without
a Twilio account; the tests and benchmarks use it to see exactly what the workers sent and fetched.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs

_ACCOUNT = r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})"
_MESSAGES = re.compile(_ACCOUNT + r"/Messages\.json$")
_CALLS = re.compile(_ACCOUNT + r"/Calls\.json$")
_CALL = re.compile(_ACCOUNT + r"/Calls/(CA[0-9a-fA-F]{32})\.json$")
_CALL_RECORDINGS = re.compile(_ACCOUNT + r"/Calls/(CA[0-9a-fA-F]{32})/Recordings\.json$")
_RECORDING = re.compile(_ACCOUNT + r"/Recordings/(RE[0-9a-fA-F]{32})(\.wav|\.mp3|\.json)?$")
_CALL_RECORDINGS_LIST = re.compile(_ACCOUNT + r"/Calls/(CA[0-9a-fA-F]{32})/Recordings\.json(\?.*)?$")


@dataclass
class TwilioStandIn:
    """What the stand-in received and serves. `fail_next` / `fail_media_next` / `fail_calls_next` make
    the next n message sends / media fetches / call creations and updates answer 500. `calls` holds the
    calls created, `call_updates` the (CallSid, form) of each update, `call_recordings` the (CallSid,
    form) of each recording started on a live call."""

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
    fail_calls_next: int = 0
    on_call: Callable[[dict[str, str]], None] | None = None
    on_message: Callable[[dict[str, str]], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # What GET Calls/{sid}.json and GET Calls/{sid}/Recordings.json answer (the reconciliation job asks):
    # a call's fields (status, duration) by CallSid, and the RecordingSids Twilio holds for a call.
    call_states: dict[str, dict[str, str]] = field(default_factory=dict)
    recordings_of_call: dict[str, list[str]] = field(default_factory=dict)


def _handler(state: TwilioStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
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
            self._send(status, {"code": code, "message": message, "status": status})

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
            length = int(self.headers.get("Content-Length", "0"))
            return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

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
            """Move a live call to new TwiML (Url), or end it (Status)."""
            request = self._calls_request(_CALL)
            if not request:
                return
            match, form = request
            with state.lock:
                state.call_updates.append((match.group(2), form))
            self._send(200, self._call_json(match.group(2), form, form.get("Status", "in-progress")))

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

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if _CALL_RECORDINGS.match(self.path):
                self._record_call()
                return
            if _CALLS.match(self.path):
                self._create_call()
                return
            if "/Calls/" in self.path:
                self._update_call()
                return
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

        def do_GET(self) -> None:  # noqa: N802
            if _CALL.match(self.path):
                self._fetch_call()
                return
            if _CALL_RECORDINGS_LIST.match(self.path):
                self._list_call_recordings()
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

        def do_DELETE(self) -> None:  # noqa: N802
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
    server = ThreadingHTTPServer((host, port), _handler(state))
    threading.Thread(target=server.serve_forever, daemon=True, name="twilio-standin").start()
    return server
