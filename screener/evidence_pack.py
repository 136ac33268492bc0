"""Evidence packs: a ZIP of the calls, recordings and audit entries about a number or a time span,
with a manifest of SHA-256 sums, ready for a lawyer, the police or an NGO documenting repression."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from screener.recording_files import RecordingFileError, RecordingFiles
from screener.services import Services

CALL_COLUMNS = ["call_sid", "time_utc", "time_line", "line_timezone", "line", "caller", "caller_kind", "action",
                "rule", "reason", "entry", "status", "duration", "screening", "recordings"]


@dataclass(frozen=True)
class PackQuery:
    """Which calls go in: one number's (given in full by the person asking), or a span of time, or both."""

    number: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _calls(svc: Services, query: PackQuery) -> list[dict[str, str]]:
    if query.number:
        sids = svc.calls.history(svc.vault.link_hashes(query.number), count=100_000)
        calls = [c for c in (svc.calls.get(s) for s in sids) if c]
    else:
        start = f"{int(query.since.timestamp() * 1000)}-0" if query.since else "-"
        end = f"{int(query.until.timestamp() * 1000)}-99999" if query.until else "+"
        entries = svc.client.xrange(svc.keys.call_stream(), start, end)
        calls = [c for c in (svc.calls.get(f[b"sid"].decode()) for _, f in entries) if c]
    lo = query.since.timestamp() if query.since else float("-inf")
    hi = query.until.timestamp() if query.until else float("inf")
    return sorted((c for c in calls if lo <= int(c.get("at", 0)) <= hi), key=lambda c: int(c.get("at", 0)))


def _local(at: int, zone_name: str) -> str:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.fromtimestamp(at, zone).isoformat()


def build(svc: Services, files: RecordingFiles, query: PackQuery) -> tuple[bytes, dict[str, object]]:
    """The ZIP's bytes and its manifest. The caller column shows a full number only where we keep it
    (blocked callers) or where the person asking named it; everyone else stays masked."""
    lines = svc.lines.all()
    rows, members, problems = [], {}, []
    for call in _calls(svc, query):
        at = int(call.get("at", 0))
        zone = lines[call["line"]].timezone if call.get("line") in lines else "UTC"
        recordings = svc.recordings.for_call(call["sid"])
        for item in recordings:
            try:
                members[f"recordings/{item['sid']}.wav"] = files.read(item["sid"], item.get("sha256") or None)
            except RecordingFileError as exc:
                problems.append(str(exc))
        rows.append({
            "call_sid": call["sid"], "time_utc": datetime.fromtimestamp(at, timezone.utc).isoformat(),
            "time_line": _local(at, zone), "line_timezone": zone, "line": call.get("line", ""),
            "caller": call.get("caller") or (query.number if query.number else call.get("caller_masked", "")),
            "caller_kind": call.get("caller_kind", ""), "action": call.get("action", ""), "rule": call.get("rule", ""),
            "reason": call.get("reason", ""), "entry": call.get("entry", ""), "status": call.get("status", ""),
            "duration": call.get("duration", ""), "screening": call.get("screening", ""),
            "recordings": " ".join(r["sid"] for r in recordings),
        })
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CALL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    members["calls.csv"] = text.getvalue().encode()
    members["calls.json"] = json.dumps(rows, indent=2, ensure_ascii=False).encode()
    sids = {r["call_sid"] for r in rows}
    members["evidence_chain.json"] = json.dumps(
        [e for e in svc.evidence.chain.entries() if e.get("call_sid") in sids], indent=2).encode()
    members["audit.json"] = json.dumps(_audit(svc, query), indent=2, ensure_ascii=False).encode()
    manifest = {
        "generated_utc": datetime.now(timezone.utc).isoformat(),
        "query": {"number": query.number, "since": query.since.isoformat() if query.since else None,
                  "until": query.until.isoformat() if query.until else None},
        "calls": len(rows),
        "recordings": sum(1 for name in members if name.startswith("recordings/")),
        "evidence_chain_verifies": svc.evidence.chain.verify().ok,
        "audit_chain_verifies": svc.audit.verify().ok,
        "problems": problems,
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())},
    }
    members["manifest.json"] = json.dumps(manifest, indent=2).encode()
    members["SHA256SUMS"] = "".join(f"{h}  {n}\n" for n, h in manifest["sha256"].items()).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue(), manifest


def _audit(svc: Services, query: PackQuery) -> list[dict[str, object]]:
    """Audit entries about the number (or its prefixes), or within the time span."""
    entries = svc.audit.entries()
    if query.number:
        digits = query.number.lstrip("+")
        return [e for e in entries if _mentions(str(e.get("target", "")), digits)]
    lo = query.since.timestamp() if query.since else float("-inf")
    hi = query.until.timestamp() if query.until else float("inf")
    return [e for e in entries if lo <= float(e.get("at", 0)) <= hi]


def _mentions(target: str, digits: str) -> bool:
    target_digits = "".join(ch for ch in target if ch.isdigit())
    if target.rstrip().endswith("*"):
        return bool(target_digits) and digits.startswith(target_digits)
    return bool(target_digits) and digits in target_digits
