"""What `screener secret rewrap` reads and rewrites: the values encrypted under keys derived from the
server secret, each replaced only if nobody changed it since it was read."""
from __future__ import annotations

from typing import Iterator, Sequence

import redis

from screener.store.keys import Keys

CHUNK = 500


class StoredSecrets:
    """The call log's encrypted numbers and encrypted call fields."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def call_numbers(self) -> Iterator[tuple[str, str]]:
        """(CallSid, encrypted number) of every call whose number is still kept."""
        pattern = self.keys.call_number("*")
        head, tail = pattern.split("*")
        for key in self.client.scan_iter(match=pattern, count=CHUNK):
            token = self.client.get(key)
            if token:
                yield key.decode()[len(head):-len(tail)], token.decode()

    def swap_call_number(self, sid: str, before: str, after: str) -> bool:
        """Replace the encrypted number, keeping its expiry; False when it changed or expired meanwhile."""
        key = self.keys.call_number(sid)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                if pipe.get(key) != before.encode():
                    return False
                pipe.multi()
                pipe.set(key, after, keepttl=True)
                pipe.execute()
            except redis.WatchError:
                return False
        return True

    def call_field(self, field: str) -> Iterator[tuple[str, str]]:
        """(CallSid, value) of every logged call that has this field."""
        cursor = "-"
        while True:
            entries = self.client.xrange(self.keys.call_stream(), min=cursor, max="+", count=CHUNK)
            if not entries:
                return
            sids = [fields[b"sid"].decode() for _, fields in entries]
            pipe = self.client.pipeline(transaction=False)
            for sid in sids:
                pipe.hget(self.keys.call(sid), field)
            for sid, value in zip(sids, pipe.execute()):
                if value:
                    yield sid, value.decode()
            cursor = "(" + entries[-1][0].decode()

    def swap_call_field(self, sid: str, before: str, after: str, *, field: str) -> bool:
        """Replace one field of a call's record; False when it changed meanwhile."""
        key = self.keys.call(sid)
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                if pipe.hget(key, field) != before.encode():
                    return False
                pipe.multi()
                pipe.hset(key, field, after)
                pipe.execute()
            except redis.WatchError:
                return False
        return True

    def numbers_of(self, sids: Sequence[str]) -> tuple[list[str], list[str]]:
        """For these calls: the numbers kept in clear (blocked callers') and the encrypted ones."""
        pipe = self.client.pipeline(transaction=False)
        for sid in sids:
            pipe.hget(self.keys.call(sid), "caller")
            pipe.get(self.keys.call_number(sid))
        found = pipe.execute()
        clear = [v.decode() for v in found[0::2] if v]
        encrypted = [v.decode() for v in found[1::2] if v]
        return clear, encrypted
