"""One Twilio REST client per process, sending to TWILIO_API_BASE (Twilio's cloud, or a local server in tests)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from screener.config import DEFAULT_TWILIO_API_BASE, Settings

TWILIO_API_HOST = "https://api.twilio.com"
WORKER_TIMEOUT_SECONDS = 10.0
# A caller waits on hold while the webhook talks to Twilio: fail fast and take a message instead.
CALL_PATH_TIMEOUT_SECONDS = 4.0


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, with the API host swapped for a configured base URL."""

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        if url.startswith(TWILIO_API_HOST):
            url = self.base + url[len(TWILIO_API_HOST):]
        return super().request(method, url, *args, **kwargs)


@lru_cache(maxsize=8)
def client_for(account_sid: str, auth_token: str, api_base: str, timeout: float = WORKER_TIMEOUT_SECONDS) -> Client:
    """The process's Client for these credentials."""
    if api_base == DEFAULT_TWILIO_API_BASE:
        http = TwilioHttpClient(timeout=timeout)
    else:
        http = RebasedHttpClient(api_base, timeout=timeout)
    return Client(account_sid, auth_token, http_client=http)


def twilio_client(settings: Settings, timeout: float = WORKER_TIMEOUT_SECONDS) -> Client:
    """The REST client for the configured account; RuntimeError when no credentials are configured."""
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        raise RuntimeError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to call Twilio's REST API")
    return client_for(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base, timeout)
