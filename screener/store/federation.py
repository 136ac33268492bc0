"""What the feeds keep in Redis: partners (peers) and their sync state, which numbers each partner's events
brought (provenance), the sightings partners sent, the bearer tokens of partners reading our feed, and the
sightings we publish.

Keys (under the deployment's prefix):
    fed:peers                       hash  name -> Peer as JSON
    fed:peer:<name>:state           hash  etag, last_modified, synced_at
    fed:peer:<name>:events          hash  event uuid -> the event's timestamp in the partner's manifest
    fed:peer:<name>:ev:<uuid>       string the numbers that event carries, one per line (per-entry provenance)
    fed:peer:<name>:sightings       hash  number -> "seen:false_positive" as the partner last sent them
    fed:peer:<name>:held            hash  event uuid -> how many of its numbers are held (below)
    fed:peer:<name>:held:<uuid>     string an auto partner's new numbers over its weekly quota from that event, held
                                          for the curators: lines "number\tcategory\tlast_seen\tseen\tfalse_positive"
                                          (about 35 bytes a number, one string an event, appended to)
    fed:peer:<name>:held_since      string when the oldest number now held was held (Unix seconds)
    fed:tokens                      hash  partner name -> sha256 of its bearer token for /feed/
    fed:sightings                   hash  number -> "seen:false_positive:last" we publish
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass

import redis

from screener.store.keys import Keys

TRUST_LEVELS = ("auto", "review", "warn")
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
BATCH = 5000


@dataclass(frozen=True)
class Peer:
    """A partner organisation whose feed we pull."""

    name: str
    url: str
    key: str  # its minisign public key (base64 line)
    trust: str  # auto, review or warn
    token_sealed: str = ""  # the bearer token its /feed/ wants, sealed with SCREENER_SECRET_KEY
    added_by: str = ""
    added_at: int = 0


@dataclass(frozen=True)
class HeldNumber:
    """What an auto partner said of a new number it sent over its weekly quota, kept until a curator counts
    it as the partner's evidence or discards it."""

    event: str
    category: str
    last_seen: int
    seen: int = 0  # its confirmations (sightings)
    false_positive: int = 0

    def encode(self) -> str:
        """Its line in the event's held record, after the number (the event is the record's)."""
        return f"{self.category}\t{self.last_seen}\t{self.seen}\t{self.false_positive}"

    @classmethod
    def decode(cls, event: str, text: str) -> "HeldNumber":
        category, last, seen, fp = text.split("\t")
        return cls(event, category, int(last), int(seen), int(fp))


@dataclass(frozen=True)
class SyncState:
    """Where the last sync of a partner's feed left off."""

    etag: str = ""
    last_modified: str = ""
    synced_at: int = 0
    events: dict[str, int] | None = None  # event uuid -> timestamp


class FederationKeys:
    """Key builders for the federation's data."""

    def __init__(self, keys: Keys) -> None:
        self.base = f"{keys.prefix}fed:"

    def peers(self) -> str:
        return f"{self.base}peers"

    def state(self, peer: str) -> str:
        return f"{self.base}peer:{peer}:state"

    def events(self, peer: str) -> str:
        return f"{self.base}peer:{peer}:events"

    def event_numbers(self, peer: str, event: str) -> str:
        return f"{self.base}peer:{peer}:ev:{event}"

    def peer_sightings(self, peer: str) -> str:
        return f"{self.base}peer:{peer}:sightings"

    def held_events(self, peer: str) -> str:
        return f"{self.base}peer:{peer}:held"

    def held(self, peer: str, event: str) -> str:
        return f"{self.base}peer:{peer}:held:{event}"

    def held_since(self, peer: str) -> str:
        return f"{self.base}peer:{peer}:held_since"

    def tokens(self) -> str:
        return f"{self.base}tokens"

    def sightings(self) -> str:
        return f"{self.base}sightings"


class Peers:
    """Partners, their sync state and what they brought."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.k = FederationKeys(keys)

    def add(self, peer: Peer) -> bool:
        """False when a partner of that name exists already."""
        return bool(self.client.hsetnx(self.k.peers(), peer.name, json.dumps(asdict(peer))))

    def get(self, name: str) -> Peer | None:
        raw = self.client.hget(self.k.peers(), name)
        return Peer(**json.loads(raw)) if raw else None

    def all(self) -> list[Peer]:
        return sorted((Peer(**json.loads(v)) for v in self.client.hvals(self.k.peers())), key=lambda p: p.name)

    def state(self, name: str) -> SyncState:
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(self.k.state(name)).items()}
        events = {k.decode(): int(v) for k, v in self.client.hgetall(self.k.events(name)).items()}
        return SyncState(raw.get("etag", ""), raw.get("last_modified", ""), int(raw.get("synced_at", 0)), events)

    def save_state(self, name: str, etag: str, last_modified: str, synced_at: int, events: dict[str, int]) -> None:
        """Record the manifest seen (its validators and its events' timestamps) after a sync applied it."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.k.state(name), mapping={"etag": etag, "last_modified": last_modified, "synced_at": synced_at})
        pipe.delete(self.k.events(name))
        if events:
            pipe.hset(self.k.events(name), mapping=events)
        pipe.execute()

    def event_numbers(self, name: str, event: str) -> set[str]:
        """The numbers a partner's event brought, as recorded."""
        raw = self.client.get(self.k.event_numbers(name, event))
        return set(raw.decode().split("\n")) if raw else set()

    def record_event_numbers(self, name: str, event: str, numbers: set[str]) -> None:
        """Record the numbers a partner's event brings (before they are applied, so a revert finds them all).
        One string per event (numbers joined by newlines): about 14 bytes a number, one command an event."""
        if numbers:
            self.client.set(self.k.event_numbers(name, event), "\n".join(sorted(numbers)))
        else:
            self.client.unlink(self.k.event_numbers(name, event))

    def number_count(self, name: str) -> int:
        """How many numbers the partner's events brought, as last applied (a number in two events counts twice)."""
        return sum(len(self.event_numbers(name, event)) for event in self.recorded_events(name))

    def recorded_events(self, name: str) -> list[str]:
        """Every event of the partner whose numbers are recorded."""
        prefix = self.k.event_numbers(name, "")
        return [key.decode()[len(prefix):] for key in self.client.scan_iter(match=prefix + "*", count=1000)]

    def set_sightings(self, name: str, counts: dict[str, tuple[int, int]]) -> None:
        """The partner's sightings (confirmations, false positives) of numbers, as it last sent them."""
        items = [(n, f"{seen}:{fp}") for n, (seen, fp) in counts.items()]
        for start in range(0, len(items), BATCH):
            self.client.hset(self.k.peer_sightings(name), mapping=dict(items[start:start + BATCH]))

    def sightings(self, name: str) -> dict[str, tuple[int, int]]:
        """number -> (confirmations, false positives) the partner sent."""
        result = {}
        for number, value in self.client.hscan_iter(self.k.peer_sightings(name), count=BATCH):
            seen, _, fp = value.decode().partition(":")
            result[number.decode()] = (int(seen), int(fp))
        return result

    def sighting_totals(self, name: str) -> tuple[int, int]:
        seen = fp = 0
        for a, b in self.sightings(name).values():
            seen, fp = seen + a, fp + b
        return seen, fp

    def hold(self, name: str, held: dict[str, HeldNumber], at: int) -> None:
        """Hold an auto partner's new numbers over its weekly quota for the curators (number -> what the
        partner said of it), appended to their events' records in one transaction (APPEND: a concurrent sync's
        lines are kept too)."""
        by_event: dict[str, list[str]] = {}
        for number, h in held.items():
            by_event.setdefault(h.event, []).append(f"{number}\t{h.encode()}\n")
        if not by_event:
            return
        pipe = self.client.pipeline(transaction=True)
        for event, lines in by_event.items():
            pipe.append(self.k.held(name, event), "".join(lines))
            pipe.hincrby(self.k.held_events(name), event, len(lines))
        pipe.set(self.k.held_since(name), at, nx=True)
        pipe.execute()

    def held_in(self, name: str, event: str) -> dict[str, HeldNumber]:
        """The numbers held from one of the partner's events."""
        return _parse_held(event, self.client.get(self.k.held(name, event)))

    def held_counts(self, name: str) -> dict[str, int]:
        """Event uuid -> how many of its numbers the partner has held."""
        return {k.decode(): int(v) for k, v in self.client.hgetall(self.k.held_events(name)).items()}

    def held_count(self, name: str) -> int:
        return sum(self.held_counts(name).values())

    def held_since(self, name: str) -> int:
        """When the oldest number now held was held (0: none held)."""
        return int(self.client.get(self.k.held_since(name)) or 0)

    def unhold(self, name: str, event: str, numbers: set[str] | None = None) -> dict[str, HeldNumber]:
        """Stop holding `numbers` (every one when None) of one event: released, discarded or dropped by the
        partner. Returns those that were held. Optimistic (WATCH): a concurrent sync's appended lines stay."""
        key, counts = self.k.held(name, event), self.k.held_events(name)
        taken: dict[str, HeldNumber] = {}

        def change(pipe: redis.client.Pipeline) -> None:
            current = _parse_held(event, pipe.get(key))
            taken.clear()
            taken.update({n: h for n, h in current.items() if numbers is None or n in numbers})
            if not taken:
                return
            rest = [f"{n}\t{h.encode()}\n" for n, h in current.items() if n not in taken]
            pipe.multi()
            if rest:
                pipe.set(key, "".join(rest))
                pipe.hset(counts, event, len(rest))
            else:
                pipe.unlink(key)
                pipe.hdel(counts, event)

        self.client.transaction(change, key)
        if taken and not self.client.exists(counts):
            self.client.unlink(self.k.held_since(name))
        return taken

    def discard_held(self, name: str) -> int:
        """Drop every number the partner has held; how many there were."""
        counts = self.held_counts(name)
        self.client.unlink(self.k.held_events(name), self.k.held_since(name),
                           *(self.k.held(name, event) for event in counts))
        return sum(counts.values())

    def reseal(self, name: str, reseal) -> str | None:
        """Seal the partner's bearer token anew with `reseal(sealed) -> (sealed, moved)` (raises ValueError
        when no configured secret opens it): 'moved', 'current', 'unreadable', or None without a token."""
        peer = self.get(name)
        if peer is None or not peer.token_sealed:
            return None
        try:
            sealed, moved = reseal(peer.token_sealed)
        except ValueError:
            return "unreadable"
        if not moved:
            return "current"
        updated = json.dumps({**asdict(peer), "token_sealed": sealed})
        # only if nobody changed the partner meanwhile
        script = "if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('hset', KEYS[1], ARGV[1], ARGV[3]) end return -1"
        done = self.client.eval(script, 1, self.k.peers(), name, json.dumps(asdict(peer)), updated)
        return "moved" if done != -1 else None

    def remove(self, name: str) -> None:
        """Forget a partner: its settings, sync state, provenance and sightings (the audit log keeps history)."""
        keys = [self.k.state(name), self.k.events(name), self.k.peer_sightings(name), self.k.held_events(name),
                self.k.held_since(name)] + [self.k.held(name, event) for event in self.held_counts(name)]
        keys += [self.k.event_numbers(name, event) for event in self.recorded_events(name)]
        pipe = self.client.pipeline(transaction=True)
        pipe.hdel(self.k.peers(), name)
        pipe.unlink(*keys)
        pipe.execute()


def _parse_held(event: str, raw: bytes | None) -> dict[str, HeldNumber]:
    held = {}
    for line in raw.decode().splitlines() if raw else ():
        number, _, rest = line.partition("\t")
        held[number] = HeldNumber.decode(event, rest)
    return held


def token_digest(token: str) -> str:
    """What is stored of a bearer token: its SHA-256 (tokens are 256 random bits, so no slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class FeedTokens:
    """Bearer tokens of the partners that read our /feed/, stored hashed."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = FederationKeys(keys).tokens()

    def add(self, name: str) -> str | None:
        """A new token for a partner (shown once), or None when it has one already (revoke it first)."""
        token = secrets.token_urlsafe(32)
        return token if self.client.hsetnx(self.key, name, token_digest(token)) else None

    def revoke(self, name: str) -> bool:
        return bool(self.client.hdel(self.key, name))

    def names(self) -> list[str]:
        return sorted(k.decode() for k in self.client.hkeys(self.key))

    def check(self, token: str) -> str | None:
        """The partner a presented token belongs to, or None; every stored digest is compared in constant time."""
        digest = token_digest(token).encode()
        found = None
        for name, stored in self.client.hgetall(self.key).items():
            if hmac.compare_digest(digest, stored) and found is None:
                found = name.decode()
        return found


class FeedSightings:
    """Confirmations and false positives of our own that the feed publishes as MISP sightings."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.key = FederationKeys(keys).sightings()

    def record(self, number: str, *, false_positive: bool, at: int) -> tuple[int, int]:
        """Count one more confirmation (or false positive) of a number; return its counts."""
        seen, fp, _ = self.get(number)
        seen, fp = (seen, fp + 1) if false_positive else (seen + 1, fp)
        self.client.hset(self.key, number, f"{seen}:{fp}:{at}")
        return seen, fp

    def get(self, number: str) -> tuple[int, int, int]:
        raw = self.client.hget(self.key, number)
        return _counts(raw) if raw else (0, 0, 0)

    def all(self) -> dict[str, tuple[int, int, int]]:
        """number -> (confirmations, false positives, time of the latest)."""
        return {k.decode(): _counts(v) for k, v in self.client.hscan_iter(self.key, count=BATCH)}


def _counts(raw: bytes) -> tuple[int, int, int]:
    seen, fp, at = raw.decode().split(":")
    return int(seen), int(fp), int(at)
