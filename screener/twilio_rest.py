"""One Twilio REST client per process, sending to TWILIO_API_BASE (Twilio's cloud, or a local server in tests)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from screener.config import DEFAULT_TWILIO_API_BASE, Settings

TWILIO_API_HOST = "https://api.twilio.com"


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, with the API host swapped for a configured base URL."""

    def __init__(self, base: str, **kwargs: Any) -> None:
        super().__init__(timeout=10, **kwargs)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        if url.startswith(TWILIO_API_HOST):
            url = self.base + url[len(TWILIO_API_HOST):]
        return super().request(method, url, *args, **kwargs)


@lru_cache(maxsize=4)
def client_for(account_sid: str, auth_token: str, api_base: str) -> Client:
    """The process's Client for these credentials."""
    http = None if api_base == DEFAULT_TWILIO_API_BASE else RebasedHttpClient(api_base)
    return Client(account_sid, auth_token, http_client=http)


def twilio_client(settings: Settings) -> Client:
    if not settings.twilio_account_sid or not settings.twilio_auth_token:
        raise RuntimeError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed to send SMS")
    return client_for(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base)
