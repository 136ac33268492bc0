"""Alerts and their deliveries, for the web page: what was sent to whom, and what failed."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import redis

from screener.store.keys import Keys

QUEUED, SENT, FAILED = "queued", "sent", "failed"


@dataclass(frozen=True)
class CuratorContacts:
    """Where alerts for the curators go (reports to review, campaigns)."""

    sms: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    webhook: str = ""


class AlertLog:
    """Alert records (`alert:<id>`: kind, call, text, one `d:<channel>:<recipient>` field per delivery)."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.keys = keys

    def create(self, kind: str, call_sid: str, line: str, subject: str, text: str) -> str:
        alert_id = str(self.client.incr(self.keys.alert_seq()))
        now = time.time()
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.keys.alert(alert_id), mapping={"id": alert_id, "kind": kind, "call_sid": call_sid, "line": line,
                                                      "subject": subject, "text": text, "at": int(now)})
        pipe.zadd(self.keys.alerts(), {alert_id: now})
        pipe.execute()
        return alert_id

    def note(self, alert_id: str, channel: str, recipient: str, state: str, detail: str = "") -> None:
        value = state if not detail else f"{state}: {detail[:200]}"
        self.client.hset(self.keys.alert(alert_id), f"d:{channel}:{recipient}", value)

    def delivery(self, alert_id: str, channel: str, recipient: str) -> str:
        raw = self.client.hget(self.keys.alert(alert_id), f"d:{channel}:{recipient}")
        return raw.decode() if raw else ""

    def get(self, alert_id: str) -> dict[str, str] | None:
        raw = self.client.hgetall(self.keys.alert(alert_id))
        return {k.decode(): v.decode() for k, v in raw.items()} or None

    def recent(self, count: int = 50) -> list[dict[str, str]]:
        ids = self.client.zrevrange(self.keys.alerts(), 0, count - 1)
        pipe = self.client.pipeline(transaction=False)
        for alert_id in ids:
            pipe.hgetall(self.keys.alert(alert_id.decode()))
        return [{k.decode(): v.decode() for k, v in raw.items()} for raw in pipe.execute() if raw]

    def since(self, seconds: int, limit: int = 10_000) -> list[dict[str, str]]:
        """The alerts of the last `seconds` (at most `limit`, the newest), newest first."""
        ids = self.client.zrevrangebyscore(self.keys.alerts(), "+inf", time.time() - seconds, start=0, num=limit)
        pipe = self.client.pipeline(transaction=False)
        for alert_id in ids:
            pipe.hgetall(self.keys.alert(alert_id.decode()))
        return [{k.decode(): v.decode() for k, v in raw.items()} for raw in pipe.execute() if raw]

    def curators(self) -> CuratorContacts:
        raw = self.client.get(self.keys.curators())
        if not raw:
            return CuratorContacts()
        data = json.loads(raw)
        return CuratorContacts(tuple(data.get("sms", ())), tuple(data.get("email", ())), data.get("webhook", ""))

    def set_curators(self, contacts: CuratorContacts) -> CuratorContacts:
        """Replace the curators' contacts; returns the previous ones (for the audit log)."""
        before = self.curators()
        self.client.set(self.keys.curators(), json.dumps(asdict(contacts)))
        return before
