"""A local stand-in for Twilio's Messages REST API: accepts SMS, keeps them, and prints them.

`screener demo` points TWILIO_API_BASE here so that alerts are visible without a Twilio account;
the tests use it to see exactly what the worker sent.
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

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")


@dataclass
class Outbox:
    """What the stand-in received; `fail_next` makes the next n requests answer 500."""

    account_sid: str
    auth_token: str
    messages: list[dict[str, str]] = field(default_factory=list)
    fail_next: int = 0
    on_message: Callable[[dict[str, str]], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(outbox: Outbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature from the base class
            return

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            expected = base64.b64encode(f"{outbox.account_sid}:{outbox.auth_token}".encode()).decode()
            return self.headers.get("Authorization", "") == f"Basic {expected}"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            match = _MESSAGES.match(self.path)
            if not match or match.group(1) != outbox.account_sid:
                self._send(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
                return
            if not self._authorised():
                self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            with outbox.lock:
                if outbox.fail_next > 0:
                    outbox.fail_next -= 1
                    self._send(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                    return
                sid = "SM" + secrets.token_hex(16)
                message = {"sid": sid, "to": form.get("To", ""), "from": form.get("From", ""), "body": form.get("Body", "")}
                outbox.messages.append(message)
            if outbox.on_message:
                outbox.on_message(message)
            self._send(
                201,
                {
                    "sid": sid,
                    "account_sid": outbox.account_sid,
                    "to": message["to"],
                    "from": message["from"],
                    "body": message["body"],
                    "status": "queued",
                    "direction": "outbound-api",
                    "num_segments": "1",
                    "uri": f"/2010-04-01/Accounts/{outbox.account_sid}/Messages/{sid}.json",
                },
            )

    return Handler


def start(outbox: Outbox, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Serve the outbox on a background thread; returns the server (its port is server_address[1])."""
    server = ThreadingHTTPServer((host, port), _handler(outbox))
    threading.Thread(target=server.serve_forever, daemon=True, name="sms-outbox").start()
    return server
