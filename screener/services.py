"""The one registry: every store, queue and client a view, command or job needs, bound to one Redis
connection pool. Built once per process: by create_app() for the web, by `screener.cli.context.services()`
for a command, by workers/context.py for a worker."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cached_property

import redis
from flask import current_app
from rq import Queue

from screener import jobs
from screener.checkpoints import Checkpoints
from screener.config import Settings, WebSettings, load_web_settings
from screener.privacy import NumberVault
from screener.recording_files import RecordingFiles
from screener.sealing import SecretSealer
from screener.store.alert_log import AlertLog
from screener.store.audit import AuditLog
from screener.store.blocklist import Blocklist
from screener.store.blocklist_search import BlocklistSearch
from screener.store.call_path import CallPath
from screener.store.call_replay import CallReplay
from screener.store.list_copy import ListCopy
from screener.store.call_views import CallBrowser
from screener.store.calls import CallLog
from screener.store.connection import connect
from screener.store.evidence import Evidence
from screener.store.federation import FeedSightings, FeedTokens, Peers
from screener.store.imports import UPLOAD_FOLDER, ListImports
from screener.store.keys import Keys
from screener.store.lines import Lines
from screener.store.lookup import CallLookup
from screener.store.memory import RedisMemory
from screener.store.pending import PendingChanges
from screener.store.proposals import Proposals
from screener.store.recordings import Recordings
from screener.store.reviews import Reviews
from screener.store.users import SignInThrottle, Users, WebSessions
from screener.store.votes import NeverBlock, VoteStore
from screener.store.api_tokens import ApiTokens
from screener.voice.bridge import Bridge

ALERT_QUEUE = "alerts"
RECORDING_QUEUE = "recordings"


@dataclass
class Services:
    """Stores and clients bound to one Redis connection pool."""

    settings: Settings
    web: WebSettings
    client: redis.Redis
    keys: Keys
    lookup: CallLookup
    call_path: CallPath
    calls: CallLog
    call_browser: CallBrowser
    blocklist: Blocklist
    blocklist_search: BlocklistSearch
    proposals: Proposals
    pending: PendingChanges
    lines: Lines
    audit: AuditLog
    alert_log: AlertLog
    alerts: Queue
    recording_jobs: Queue
    recordings: Recordings
    evidence: Evidence
    reviews: Reviews
    imports: ListImports
    users: Users
    sessions: WebSessions
    sign_in_throttle: SignInThrottle
    vault: NumberVault
    bridge: Bridge

    @classmethod
    def build(cls, settings: Settings, client: redis.Redis | None = None) -> "Services":
        """Every store on `client` (default: a new pool for the settings' Redis)."""
        client = client or connect(settings)
        keys = Keys(settings.key_prefix)
        web = load_web_settings(settings)
        blocklist = Blocklist(client, keys)
        alerts = Queue(ALERT_QUEUE, connection=client)

        def checkpoint_when_due(entries: int) -> None:
            jobs.checkpoint_when_due(alerts, entries, settings.checkpoint_every)

        return cls(
            settings=settings,
            web=web,
            client=client,
            keys=keys,
            lookup=CallLookup(client, keys),
            call_path=CallPath(client, keys, settings.redis_wait_replicas, settings.redis_wait_ms),
            calls=CallLog(client, keys),
            call_browser=CallBrowser(client, keys),
            blocklist=blocklist,
            blocklist_search=BlocklistSearch(blocklist),
            proposals=Proposals(client, keys),
            pending=PendingChanges(client, keys),
            lines=Lines(client, keys),
            audit=AuditLog(client, keys, after_append=checkpoint_when_due),
            alert_log=AlertLog(client, keys),
            alerts=alerts,
            recording_jobs=Queue(RECORDING_QUEUE, connection=client),
            recordings=Recordings(client, keys),
            evidence=Evidence(client, keys),
            reviews=Reviews(client, keys),
            imports=ListImports(client, keys, settings.instance_path / UPLOAD_FOLDER),
            users=Users(client, keys, SecretSealer([settings.secret_key, settings.secret_key_old])),
            sessions=WebSessions(client, keys, web.session_idle_seconds, web.session_max_seconds),
            sign_in_throttle=SignInThrottle(client, keys),
            # CLI commands that never link calls may run without a secret: a throw-away key then.
            vault=NumberVault.from_secret(settings.secret_key or secrets.token_hex(32), settings.secret_key_old),
            bridge=Bridge(settings),
        )

    @cached_property
    def list_copy(self) -> ListCopy:
        """This process's compact copy of the blocklist and allowlists, for deciding calls while Redis is down."""
        return ListCopy(self.client, self.keys)

    @cached_property
    def call_replay(self) -> CallReplay:
        return CallReplay(self.client, self.keys)

    @cached_property
    def votes(self) -> VoteStore:
        """Reports, confirmations and false positives per number (screener.reporting)."""
        return VoteStore(self.client, self.keys)

    @cached_property
    def never_block(self) -> NeverBlock:
        """Numbers that take no votes and veto ranges."""
        return NeverBlock(self.client, self.keys)

    @cached_property
    def api_tokens(self) -> ApiTokens:
        """Hashed, scoped, revocable tokens of /api/v1/."""
        return ApiTokens(self.client, self.keys)

    @cached_property
    def memory(self) -> RedisMemory:
        """How full Redis is, against maxmemory or SCREENER_REDIS_MEMORY_LIMIT_MB."""
        return RedisMemory(self.client, self.keys, self.settings.redis_memory_limit_mb * 1024 * 1024)

    @cached_property
    def checkpoints(self) -> Checkpoints:
        """Signed checkpoints of the audit and evidence chains, kept under the instance folder."""
        return Checkpoints.from_settings(self.settings, {"audit": self.audit.chain, "evidence": self.evidence.chain})

    @cached_property
    def peers(self) -> Peers:
        """Partner organisations whose signed feeds we pull, and what each brought."""
        return Peers(self.client, self.keys)

    @cached_property
    def feed_tokens(self) -> FeedTokens:
        """Bearer tokens (hashed) of the partners that read our /feed/."""
        return FeedTokens(self.client, self.keys)

    @cached_property
    def feed_sightings(self) -> FeedSightings:
        """Our confirmations and false positives, published as MISP sightings."""
        return FeedSightings(self.client, self.keys)

    @cached_property
    def recording_files(self) -> RecordingFiles:
        """Recordings at rest (disk or S3), encrypted with the configured keys."""
        return RecordingFiles.from_settings(self.settings)


def services() -> Services:
    """The Services of the current Flask app."""
    return current_app.extensions["screener"]
