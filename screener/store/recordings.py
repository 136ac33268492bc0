"""What we know of each recording: its call, where its encrypted copy is, its checksum, and whether
Twilio still holds a copy. The evidence chain gets an entry when a recording is archived."""
from __future__ import annotations

import time

import redis

from screener.store.chain import HashChain
from screener.store.keys import Keys

# States, in order: Twilio told us about it; we hold a verified encrypted copy; Twilio's copy is gone.
NOTIFIED, STORED, ARCHIVED = "notified", "stored", "archived"


class Recordings:
    """Reads and writes recording metadata."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.evidence = HashChain(client, keys.evidence_log(), keys.evidence_head())

    def notify(self, recording_sid: str, call_sid: str, kind: str, duration: str) -> bool:
        """Note a recording Twilio reported; False when it was reported before (a repeated callback)."""
        key = self.keys.recording(recording_sid)
        if not self.client.hsetnx(key, "state", NOTIFIED):
            return False
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(key, mapping={"sid": recording_sid, "call_sid": call_sid, "kind": kind, "duration": duration,
                                "notified_at": int(time.time())})
        pipe.zadd(self.keys.recordings(), {recording_sid: time.time()})
        pipe.sadd(self.keys.call_recordings(call_sid), recording_sid)
        pipe.sadd(self.keys.recordings_waiting(), recording_sid)
        pipe.execute()
        return True

    def waiting(self) -> int:
        """Recordings Twilio still holds a copy of: not yet archived (recordings reported before this count
        was kept are not in it)."""
        return int(self.client.scard(self.keys.recordings_waiting()))

    def get(self, recording_sid: str) -> dict[str, str] | None:
        raw = self.client.hgetall(self.keys.recording(recording_sid))
        return {k.decode(): v.decode() for k, v in raw.items()} or None

    def mark_stored(self, recording_sid: str, sha256: str, size: int, path: str) -> None:
        """A verified encrypted copy exists; link it into the evidence chain (once)."""
        record = self.get(recording_sid) or {}
        if record.get("state") in (STORED, ARCHIVED):
            return
        self.client.hset(self.keys.recording(recording_sid), mapping={
            "state": STORED, "sha256": sha256, "size": size, "path": path, "stored_at": int(time.time())})
        self.evidence.append({"kind": "recording", "recording_sid": recording_sid,
                              "call_sid": record.get("call_sid", ""), "sha256": sha256, "size": size})

    def mark_archived(self, recording_sid: str) -> None:
        """Twilio's copy was deleted: ours is the only one."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.keys.recording(recording_sid), mapping={"state": ARCHIVED, "deleted_remote_at": int(time.time())})
        pipe.srem(self.keys.recordings_waiting(), recording_sid)
        pipe.execute()

    def note_failure(self, recording_sid: str, error: str) -> None:
        self.client.hset(self.keys.recording(recording_sid), mapping={"last_error": error[:300],
                                                                      "last_error_at": int(time.time())})

    def for_call(self, call_sid: str) -> list[dict[str, str]]:
        sids = sorted(s.decode() for s in self.client.smembers(self.keys.call_recordings(call_sid)))
        return [r for r in (self.get(s) for s in sids) if r]

    def all_sids(self) -> list[str]:
        return [s.decode() for s in self.client.zrange(self.keys.recordings(), 0, -1)]
