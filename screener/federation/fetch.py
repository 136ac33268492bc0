"""Pulling a partner's feed over HTTP: conditional requests, the bearer token, a file with its signature."""
from __future__ import annotations

from dataclasses import dataclass

import requests

from screener.federation import signing

TIMEOUT = (5, 60)  # connect, read: a large event file may take a while
MAX_FILE_BYTES = 512 * 1024 * 1024


class FetchError(Exception):
    """A partner's feed could not be read (network, HTTP status, size)."""


@dataclass(frozen=True)
class Fetched:
    """A verified file, or None for `not modified`, with the validators for the next request."""

    data: bytes | None
    etag: str = ""
    last_modified: str = ""


class FeedClient:
    """Reads one partner's feed; every file comes back only with a valid signature of the partner's key."""

    def __init__(self, url: str, public_key: str, token: str = "", session: requests.Session | None = None) -> None:
        self.base = url.rstrip("/") + "/"
        self.public_key = public_key
        self.session = session or requests.Session()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _get(self, name: str, extra: dict[str, str] | None = None) -> requests.Response:
        try:
            response = self.session.get(self.base + name, headers={**self.headers, **(extra or {})},
                                        timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            raise FetchError(f"{self.base}{name}: {exc}") from None
        if int(response.headers.get("Content-Length") or 0) > MAX_FILE_BYTES:
            raise FetchError(f"{self.base}{name}: larger than {MAX_FILE_BYTES} bytes")
        return response

    def fetch(self, name: str, etag: str = "", last_modified: str = "") -> Fetched:
        """The file `name`, signature checked (SignatureError otherwise); data None when not modified."""
        conditional = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        response = self._get(name, conditional)
        if response.status_code == 304:
            return Fetched(None, etag, last_modified)
        if response.status_code != 200:
            raise FetchError(f"{self.base}{name}: HTTP {response.status_code}")
        signature = self._get(name + ".minisig")
        if signature.status_code == 404:
            raise signing.SignatureError(f"{name}: no signature ({name}.minisig missing)")
        if signature.status_code != 200:
            raise FetchError(f"{self.base}{name}.minisig: HTTP {signature.status_code}")
        signing.verify(self.public_key, response.content, signature.content, name)
        return Fetched(response.content, response.headers.get("ETag", ""), response.headers.get("Last-Modified", ""))
