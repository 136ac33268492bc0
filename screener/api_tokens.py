"""API tokens for /api/v1/: made for one account with scopes (lookup, report, evidence), shown once, stored
hashed, revocable. Audit entries: api.token.add (after the token's public record), api.token.revoke."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

from screener.store.api_tokens import ApiToken

if TYPE_CHECKING:
    from screener.services import Services

SCOPES = ("lookup", "report", "evidence")
PREFIX = "scr_"


class TokenError(ValueError):
    """A token that cannot be made or revoked, in plain words."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(svc: Services, who: str, owner: str, scopes: list[str], label: str = "") -> tuple[str, ApiToken]:
    """A new token for an existing account: (the token, shown only now; its stored record)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise TokenError(f"scopes are {', '.join(SCOPES)} (got {', '.join(unknown) or 'none'})")
    user = svc.users.get(owner)
    if user is None or user.disabled:
        raise TokenError(f"{owner}: no such active account (add it with `screener user add`)")
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(digest(token)[:12], owner, tuple(s for s in SCOPES if s in scopes), label.strip()[:80],
                      int(time.time()))
    svc.api_tokens.save(digest(token), record)
    svc.audit.append(who, "api.token.add", record.id, None, asdict(record))
    return token, record


def revoke(svc: Services, who: str, token_id: str) -> ApiToken:
    revoked = svc.api_tokens.revoke(token_id, int(time.time()))
    if revoked is None:
        raise TokenError(f"{token_id}: no active token has this id")
    svc.audit.append(who, "api.token.revoke", token_id, None, asdict(revoked))
    return revoked


def authenticate(svc: Services, header: str | None) -> ApiToken | None:
    """The active token an `Authorization: Bearer ...` header carries, or None."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(PREFIX) or len(token) > 100:
        return None
    found = svc.api_tokens.by_digest(digest(token.strip()))
    if found is None or not found.active or not hmac.compare_digest(found.id, digest(token.strip())[:12]):
        return None
    user = svc.users.get(found.owner)
    return found if user is not None and not user.disabled else None
