"""`screener feed build`: our list as a static MISP feed in a folder, every file signed.

An event holds the numbers of one day, one category and one action (its tags say which). Only exact
numbers that we listed ourselves go in: entries people made here, and entries the evidence made (source
`evidence`: block, or screen for warn, with a lower confidence tag) when the number has evidence of our own
(a report or confirmation made here, not reverted). Never prefixes, never an entry a partner brought
(source peer:...) nor a number only partners' evidence lists here: it travels in those partners' own feeds,
so a number is not counted twice as evidence. Never a caller from the call log (the feed reads only the
blocklist). Our never-block list goes in one event of its own, tagged screener-call:never-block (numbers
a partner's proposal put there excepted). Entries are batched into events by the
day they were added and a hash of the number, so an addition changes only the events of its day and a later
build rewrites (and re-signs) only the events whose content changed; the others keep their file, timestamp
and ETag, and partners fetch only what changed.
"""
from __future__ import annotations

import json
import os
import time
import uuid as uuid_lib
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import minisign

from screener.federation import misp, signing, taxonomy
from screener.reporting import EVIDENCE_SOURCE
from screener.store.blocklist import MISSING_META

if TYPE_CHECKING:
    from screener.services import Services

NEVER_BLOCK = "never-block"  # the key (and category) of the never-block list's event
BATCH = 5000  # about this many numbers per event at most
DAY = 86400


@dataclass
class BuildResult:
    """What a build wrote."""

    entries: int = 0
    events: int = 0
    written: int = 0  # event files (re)written and signed
    removed: int = 0  # event files of events that no longer exist


def org_of(name: str, secret: minisign.SecretKey) -> misp.Org:
    """Our organisation in the feed: the configured name, and a uuid derived from the signing key."""
    return misp.Org(name, str(uuid_lib.uuid5(uuid_lib.NAMESPACE_URL, "minisign:" + signing.public_key_of(secret))))


def _shards(count: int) -> int:
    """Events for a day of `count` entries: a power of two, so the batching only moves when it doubles."""
    shards = 1
    while shards * BATCH < count:
        shards *= 2
    return shards


def collect(svc: Services) -> dict[str, list[misp.FeedEntry]]:
    """Our own exact entries grouped into events (key day:category:action:shards:shard -> entries), with the
    sightings we publish."""
    marks = svc.feed_sightings.all()
    none = (0, 0, 0)
    # Read as the export reads the list (raw batches, bytes): entries share their metadata records (an import:
    # one for a million), so each record is looked at once, by its id.
    metas = svc.blocklist.metas()
    shared: dict[bytes, tuple[str, str, int, bool] | None] = {}
    groups: dict[tuple[int, str, str], list[misp.FeedEntry]] = defaultdict(list)
    derived: list[tuple[str, str, str]] = []  # (number, category, action) of entries the evidence made
    for batch in svc.blocklist.batches():
        if batch.prefixes:
            continue  # never a prefix
        for digits, meta_id in batch.pairs():
            if meta_id not in shared:
                meta = metas.get(meta_id.decode(), MISSING_META)
                shared[meta_id] = None if meta.source.startswith("peer:") else (
                    taxonomy.category_of(meta.category, meta.reason), meta.action, meta.added_at,
                    meta.source == EVIDENCE_SOURCE)
            ours = shared[meta_id]
            if ours is None:
                continue
            category, action, at, by_evidence = ours
            number = "+" + digits.decode()
            if by_evidence:
                derived.append((number, category, action))
                continue
            seen, fp, last = marks.get(number, none)
            groups[(at // DAY, category, action)].append(
                misp.FeedEntry(number, category, action, at, max(at, last), seen, fp))
    own = svc.votes.local_evidence([number for number, _, _ in derived])
    for number, category, action in derived:
        if number in own:
            first, last = own[number]
            seen, fp, marked = marks.get(number, none)
            groups[(first // DAY, category, action)].append(
                misp.FeedEntry(number, category, action, first, max(last, marked), seen, fp))
    events: dict[str, list[misp.FeedEntry]] = {}
    for (day, category, action), entries in groups.items():
        shards = _shards(len(entries))
        for entry in entries:
            shard = zlib.crc32(entry.number.encode()) % shards
            events.setdefault(f"{day}:{category}:{action}:{shards}:{shard}", []).append(entry)
    never = [misp.FeedEntry(number, NEVER_BLOCK, NEVER_BLOCK, int(record.get("added_at") or 0),
                            int(record.get("added_at") or 0))
             for number, record in svc.never_block.all().items()
             if not str(record.get("added_by", "")).startswith("peer:") and misp.E164.fullmatch(number)]
    if never:
        events[NEVER_BLOCK] = never
    return events


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _write_signed(directory: Path, name: str, data: bytes, secret: minisign.SecretKey) -> None:
    _write(directory / f"{name}.minisig", signing.sign(secret, data, name))
    _write(directory / name, data)


def build(svc: Services, directory: Path, secret: minisign.SecretKey, org_name: str,
          clock: Callable[[], float] = time.time) -> BuildResult:
    """Write (or bring up to date) the feed in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    org = org_of(org_name, secret)
    now = int(clock())
    try:
        previous = misp.read_manifest((directory / "manifest.json").read_bytes())
    except (OSError, misp.FeedFormatError):
        previous = {}
    result, manifest, hashes = BuildResult(), {}, []
    for key, entries in sorted(collect(svc).items()):
        entries.sort(key=lambda e: e.number)
        event_id = misp.event_uuid(org, key)
        first = min(e.first_seen for e in entries) // DAY if key == NEVER_BLOCK else int(key.split(":")[0])
        day = datetime.fromtimestamp(first * DAY, timezone.utc).date()
        looks = (entries[0].category, entries[0].action)
        attributes = [misp.attribute_json(entry, org) for entry in entries]
        path, before = directory / f"{event_id}.json", previous.get(event_id)
        event, data = _event(org, event_id, day, before, attributes, *looks) if before and path.exists() else (None, b"")
        if event is None or path.read_bytes() != data:
            # A changed event's timestamp always moves on (partners compare it), even within one second.
            event, data = _event(org, event_id, day, max(now, (before or 0) + 1), attributes, *looks)
            _write_signed(directory, path.name, data, secret)
            result.written += 1
        manifest.update(misp.manifest_entry(event))
        hashes.append(misp.hashes_lines([e.number for e in entries], event_id))
        result.entries += len(entries)
    result.events = len(manifest)
    _write_signed(directory, "hashes.csv", "".join(hashes).encode(), secret)
    _write_signed(directory, "manifest.json", json.dumps(manifest, sort_keys=True).encode(), secret)
    for stale in set(previous) - set(manifest):
        for suffix in (".json", ".json.minisig"):
            (directory / f"{stale}{suffix}").unlink(missing_ok=True)
        result.removed += 1
    return result


def _event(org: misp.Org, event_id: str, day: date, timestamp: int, attributes: list[str], category: str,
           action: str):
    if category == NEVER_BLOCK:
        event = misp.envelope(org, event_id, day, timestamp, f"{org.name}: phone numbers never to block (lawyers, "
                              "embassies, helplines, newsrooms, relatives): not intimidators", category, action,
                              tags=(taxonomy.TLP, taxonomy.NEVER_BLOCK_TAG))
        return event, misp.event_file(event, attributes)
    says = "to block" if action == "block" else "to screen (a warning)"
    event = misp.envelope(org, event_id, day, timestamp, f"{org.name}: phone numbers of {category} calls, {says}",
                          category, action)
    return event, misp.event_file(event, attributes)
