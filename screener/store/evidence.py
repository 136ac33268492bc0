"""The evidence chain: finished calls and archived recordings, sealed so that a later edit shows."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import redis

from screener.recording_files import RecordingFileError, RecordingFiles
from screener.store.calls import CallLog
from screener.store.chain import ChainReport, HashChain
from screener.store.keys import Keys

# The facts of a call that never change once it has ended (alert and review notes may still be added).
SEALED_FIELDS = ("sid", "line", "at", "caller_kind", "action", "rule", "reason", "entry", "caller",
                 "caller_masked", "caller_hash", "status", "duration")


def call_digest(call: dict[str, str]) -> str:
    """SHA-256 of a call's sealed facts, canonically encoded."""
    facts = {name: call.get(name, "") for name in SEALED_FIELDS}
    return hashlib.sha256(json.dumps(facts, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class EvidenceReport:
    """The chain's state and every sealed item that no longer matches its seal."""

    chain: ChainReport
    calls: int = 0
    recordings: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


class Evidence:
    """Seals calls and checks the whole evidence chain."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.client = client
        self.calls = CallLog(client, keys)
        self.chain = HashChain(client, keys.evidence_log(), keys.evidence_head())

    def seal_call(self, sid: str) -> str | None:
        """Append the call's facts to the chain, unless they are sealed as they are already; None when
        the call is unknown or nothing changed since its last seal."""
        call = self.calls.get(sid)
        if call is None:
            return None
        digest = call_digest(call)
        if call.get("sealed") == digest:
            return None
        link = self.chain.append({"kind": "call", "call_sid": sid, "sha256": digest})
        self.calls.set_fields(sid, {"sealed": digest})
        return link

    def verify(self, files: RecordingFiles) -> EvidenceReport:
        """Check the chain's links, then each sealed call and recording against its seal."""
        report = EvidenceReport(self.chain.verify())
        latest: dict[str, str] = {}
        for entry in self.chain.entries():
            if entry.get("kind") == "call":
                latest[entry["call_sid"]] = entry["sha256"]  # a call is sealed again if it changes state
            elif entry.get("kind") == "recording":
                report.recordings += 1
                try:
                    files.read(entry["recording_sid"], entry["sha256"])
                except RecordingFileError as exc:
                    report.problems.append(f"recording {exc}")
        for sid, digest in latest.items():
            report.calls += 1
            call = self.calls.get(sid)
            if call is None:
                report.problems.append(f"call {sid}: record deleted")
            elif call_digest(call) != digest:
                report.problems.append(f"call {sid}: record changed after it was sealed")
        return report
