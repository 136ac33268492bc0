"""The per-process objects the views share: one Redis client, the stores, the queue. Built once."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import redis
from flask import current_app
from rq import Queue

from screener.voice.bridge import Bridge
from screener.config import Settings
from screener.privacy import NumberVault
from screener.store.audit import AuditLog
from screener.store.blocklist import Blocklist
from screener.store.calls import CallLog
from screener.store.connection import connect
from screener.store.keys import Keys
from screener.store.lines import Lines
from screener.store.call_path import CallPath
from screener.store.evidence import Evidence
from screener.store.lookup import CallLookup
from screener.store.recordings import Recordings

ALERT_QUEUE = "alerts"
RECORDING_QUEUE = "recordings"


@dataclass
class Services:
    """Stores and clients bound to one Redis connection pool."""

    settings: Settings
    client: redis.Redis
    keys: Keys
    lookup: CallLookup
    call_path: CallPath
    calls: CallLog
    blocklist: Blocklist
    lines: Lines
    audit: AuditLog
    alerts: Queue
    recording_jobs: Queue
    recordings: Recordings
    evidence: Evidence
    vault: NumberVault
    bridge: Bridge

    @classmethod
    def build(cls, settings: Settings, client: redis.Redis | None = None) -> "Services":
        client = client or connect(settings)
        keys = Keys(settings.key_prefix)
        return cls(
            settings=settings,
            client=client,
            keys=keys,
            lookup=CallLookup(client, keys),
            call_path=CallPath(client, keys),
            calls=CallLog(client, keys),
            blocklist=Blocklist(client, keys),
            lines=Lines(client, keys),
            audit=AuditLog(client, keys),
            alerts=Queue(ALERT_QUEUE, connection=client),
            recording_jobs=Queue(RECORDING_QUEUE, connection=client),
            recordings=Recordings(client, keys),
            evidence=Evidence(client, keys),
            # CLI commands that never link calls may run without a secret: a throw-away key then.
            vault=NumberVault.from_secret(settings.secret_key or secrets.token_hex(32)),
            bridge=Bridge(settings),
        )


def services() -> Services:
    """The Services of the current Flask app."""
    return current_app.extensions["screener"]
