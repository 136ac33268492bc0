"""Volunteer accounts: argon2 password hashes, roles, optional TOTP, sign-in throttle state, sessions."""
from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, replace

import pyotp
import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from screener.model import Role
from screener.sealing import SecretSealer
from screener.store import scripts
from screener.store.keys import Keys

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
LOCALES = ("en", "ru", "be")

_hasher = PasswordHasher()
# Verified against when the account does not exist, so that a wrong name costs as long as a wrong password.


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when an account does not exist (same time either way); made when first
    needed: an argon2 hash takes about 0.4 s, which every process start would pay."""
    return _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A name, password, role or code that cannot be accepted."""


@dataclass(frozen=True)
class User:
    """One volunteer's account."""

    name: str
    role: Role
    password_hash: str
    totp_secret: str = ""
    locale: str = "en"
    created_at: int = 0
    disabled: bool = False

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)

    def to_json(self) -> str:
        data = asdict(self)
        data["role"] = self.role.value
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> "User":
        data = json.loads(text)
        data["role"] = Role(data["role"])
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def public(self) -> dict[str, object]:
        """What the audit log records about an account: never the hash or the TOTP secret."""
        return {"name": self.name, "role": self.role.value, "totp": self.has_totp, "disabled": self.disabled,
                "locale": self.locale}


def check_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME_PATTERN.fullmatch(name):
        raise AccountError("a user name is 2-40 lower-case letters, digits, '.', '_' or '-'")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


def new_password() -> str:
    """A one-time password to hand to a new volunteer."""
    return secrets.token_urlsafe(15)


class Users:
    """Reads and writes accounts."""

    def __init__(self, client: redis.Redis, keys: Keys, sealer: SecretSealer) -> None:
        self.client = client
        self.keys = keys
        self.sealer = sealer
        self._use_step = scripts.register(client, "totp_use")

    def _open(self, raw: str | bytes) -> tuple[User, bool]:
        """The account with its TOTP secret opened, and whether the stored secret should be sealed again."""
        stored = User.from_json(raw)
        secret, reseal = self.sealer.open(stored.totp_secret, stored.name)
        return replace(stored, totp_secret=secret), reseal

    def _to_json(self, user: User) -> str:
        return replace(user, totp_secret=self.sealer.seal(user.totp_secret, user.name)).to_json()

    def get(self, name: str) -> User | None:
        """The account; a TOTP secret still in clear or under the old server secret is sealed anew on the way."""
        raw = self.client.hget(self.keys.users(), name)
        if not raw:
            return None
        user, reseal = self._open(raw)
        if reseal:
            self._reseal(raw, user)
        return user

    def _reseal(self, raw: bytes, user: User) -> None:
        """Write the account back with its secret sealed, unless somebody changed it since it was read."""

        def swap(pipe: redis.client.Pipeline) -> None:
            if pipe.hget(self.keys.users(), user.name) == raw:
                pipe.multi()
                pipe.hset(self.keys.users(), user.name, self._to_json(user))

        try:
            self.client.transaction(swap, self.keys.users())
        except redis.exceptions.ResponseError:
            # Redis refuses writes (at its memory limit, or a read-only replica): the account is still
            # read, and sealed on a later read.
            return

    def reseal(self, name: str) -> str | None:
        """Seal the account's TOTP secret under the current server secret (`screener secret rewrap`): 'moved',
        'current', 'unreadable' (no configured secret opens it: left as it is), None without a second factor."""
        raw = self.client.hget(self.keys.users(), name)
        user, reseal = self._open(raw) if raw else (None, False)
        if user is None or not user.totp_secret:
            return None
        if self.sealer.is_sealed(user.totp_secret):
            return "unreadable"
        if reseal:
            self._reseal(raw, user)
            return "moved"
        return "current"

    def all(self) -> list[User]:
        return sorted((self._open(v)[0] for v in self.client.hvals(self.keys.users())), key=lambda u: u.name)

    def create(self, name: str, role: Role, password: str) -> User:
        """A new account; AccountError when the name is taken or the password too short."""
        user = User(check_name(name), Role(role), _hasher.hash(check_password(password)), created_at=int(time.time()))
        if not self.client.hsetnx(self.keys.users(), user.name, self._to_json(user)):
            raise AccountError(f"user {user.name!r} exists already")
        return user

    def save(self, user: User) -> None:
        self.client.hset(self.keys.users(), user.name, self._to_json(user))

    def set_password(self, user: User, password: str) -> User:
        changed = replace(user, password_hash=_hasher.hash(check_password(password)))
        self.save(changed)
        return changed

    def authenticate(self, name: str, password: str) -> User | None:
        """The account when the password matches and it is enabled; None otherwise, in similar time."""
        user = self.get(name) if NAME_PATTERN.fullmatch(name or "") else None
        try:
            _hasher.verify(user.password_hash if user else dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None or user.disabled:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user = replace(user, password_hash=_hasher.hash(password))
            self.save(user)
        return user

    # --- TOTP ----------------------------------------------------------------------------------

    def verify_totp(self, user: User, code: str, secret: str | None = None) -> bool:
        """Check a 6-digit code (one step of clock drift allowed); a code is accepted only once."""
        secret = secret or user.totp_secret
        code = (code or "").replace(" ", "")
        # A secret still sealed was sealed under a server secret this process does not have: refuse.
        if not secret or self.sealer.is_sealed(secret) or not (code.isdigit() and len(code) == 6):
            return False
        totp = pyotp.TOTP(secret)
        now = time.time()
        for drift in (0, -1, 1):
            at = now + drift * totp.interval
            if secrets.compare_digest(totp.at(at), code):
                step = int(at // totp.interval)
                # One script, so that simultaneous sign-ins with one code cannot all read "unused".
                return bool(self._use_step(keys=[self.keys.totp_last_step(user.name)],
                                           args=[step, totp.interval * 3]))
        return False


class SignInThrottle:
    """Failed sign-ins, counted per (account, client address) by the web page's Flask-Limiter in this Redis.

    Only the identity and the scope of the counters are ours; the counters themselves are written by the
    `limits` library under its own key layout: LIMITS:LIMITER/<limiter prefix>/<identity>/<scope>/...
    """

    SCOPE = "sign-in-failures"

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    @staticmethod
    def network(address: str) -> str:
        """Where a client signs in from: its IPv4 address, or its IPv6 /64 (one household or server has a
        whole /64, so counting single IPv6 addresses would let one attacker count afresh 2^64 times)."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return address or "-"
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.ipv4_mapped is not None:
                return str(ip.ipv4_mapped)
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)

    @classmethod
    def identity(cls, name: str, address: str) -> str:
        return f"signin:{name}@{cls.network(address)}"

    def clear(self, name: str) -> int:
        """Forget an account's failed sign-ins from every address (an admin's recovery); how many counters."""
        pattern = f"LIMITS:LIMITER/{self.keys.limiter_prefix()}/signin:{check_name(name)}@*/*"
        found = list(self.client.scan_iter(match=pattern, count=1000))
        return int(self.client.delete(*found)) if found else 0


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: the account, when it signed in, whether the second factor was passed."""

    name: str
    started: int
    totp_ok: bool


class WebSessions:
    """Server-side sessions: the browser holds a random token, Redis holds its hash with an idle expiry."""

    def __init__(self, client: redis.Redis, keys: Keys, idle_seconds: int, max_seconds: int) -> None:
        self.client = client
        self.keys = keys
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds

    @staticmethod
    def _hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def start(self, name: str, totp_ok: bool) -> str:
        token = secrets.token_urlsafe(32)
        digest = self._hash(token)
        record = json.dumps({"name": name, "started": int(time.time()), "totp_ok": totp_ok})
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.keys.web_session(digest), record, ex=self.idle_seconds)
        pipe.sadd(self.keys.user_sessions(name), digest)
        pipe.expire(self.keys.user_sessions(name), self.max_seconds)
        pipe.execute()
        return token

    def resolve(self, token: str) -> WebSession | None:
        """The session for a token, extending its idle expiry; None when expired, ended or too old."""
        if not token or len(token) > 100:
            return None
        key = self.keys.web_session(self._hash(token))
        raw = self.client.get(key)
        if raw is None:
            return None
        data = json.loads(raw)
        if time.time() - data["started"] > self.max_seconds:
            self.client.delete(key)
            return None
        self.client.expire(key, self.idle_seconds)
        return WebSession(data["name"], data["started"], data["totp_ok"])

    def end(self, token: str) -> None:
        digest = self._hash(token)
        raw = self.client.get(self.keys.web_session(digest))
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(self.keys.web_session(digest))
        if raw:
            pipe.srem(self.keys.user_sessions(json.loads(raw)["name"]), digest)
        pipe.execute()

    def end_all(self, name: str) -> None:
        """Sign an account out everywhere (password reset, role change, disabled)."""
        digests = [d.decode() for d in self.client.smembers(self.keys.user_sessions(name))]
        pipe = self.client.pipeline(transaction=True)
        for digest in digests:
            pipe.delete(self.keys.web_session(digest))
        pipe.delete(self.keys.user_sessions(name))
        pipe.execute()
