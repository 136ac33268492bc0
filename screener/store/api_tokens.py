"""API tokens: only their SHA-256 is stored, with the owner, scopes and whether they are revoked."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

import redis

from screener.store.keys import Keys


@dataclass(frozen=True)
class ApiToken:
    """One token as stored (never the token itself)."""

    id: str  # the first 12 hex characters of its hash: names it in the CLI and the audit log
    owner: str
    scopes: tuple[str, ...]
    label: str = ""
    created_at: int = 0
    revoked_at: int = 0

    @property
    def active(self) -> bool:
        return not self.revoked_at


class ApiTokens:
    """Reads and writes tokens (one hash: SHA-256 of the token -> JSON)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = keys.api_tokens()

    def save(self, digest: str, token: ApiToken) -> None:
        self.client.hset(self.key, digest, json.dumps(asdict(token), ensure_ascii=False))

    def by_digest(self, digest: str) -> ApiToken | None:
        raw = self.client.hget(self.key, digest)
        return self._load(raw) if raw else None

    def all(self) -> dict[str, ApiToken]:
        return {k.decode(): self._load(v) for k, v in self.client.hgetall(self.key).items()}

    def revoke(self, token_id: str, at: int) -> ApiToken | None:
        """Revoke the token with this id; None when no active one has it."""
        for digest, token in self.all().items():
            if token.id == token_id and token.active:
                revoked = replace(token, revoked_at=at)
                self.save(digest, revoked)
                return revoked
        return None

    @staticmethod
    def _load(raw: bytes) -> ApiToken:
        data = json.loads(raw)
        data["scopes"] = tuple(data.get("scopes", ()))
        return ApiToken(**data)
