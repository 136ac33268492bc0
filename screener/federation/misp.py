"""Static MISP feed files (pure): one event per batch of phone-number attributes, the manifest and
hashes.csv, and reading a partner's event back into attributes.

The event's envelope and the manifest are made by pymisp (MISPEvent.to_feed, MISPEvent.manifest). The
attributes, a million of them in a large feed, are written by attribute_json() in exactly the shape of
pymisp's MISPAttribute._to_feed (tests/unit/test_misp_feed.py compares them), because building a pymisp
object per attribute costs about 0.2 ms: over three minutes for a million entries.
"""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import NamedTuple

from pymisp import MISPEvent, MISPOrganisation

from screener.federation import taxonomy

ATTRIBUTE_TYPE = "phone-number"
ATTRIBUTE_CATEGORY = "Person"  # MISP's default category for phone-number
SEEN, FALSE_POSITIVE = 0, 1  # MISP sighting types
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class FeedFormatError(ValueError):
    """A partner's file is not a MISP feed file we can read."""


@dataclass(frozen=True)
class Org:
    """The organisation a feed comes from, as MISP names it (Orgc)."""

    name: str
    uuid: str


class FeedEntry(NamedTuple):
    """One number as we publish it (a tuple: a feed holds a million of them)."""

    number: str
    category: str  # a taxonomy category
    action: str  # block or screen
    first_seen: int
    last_seen: int
    seen: int = 0  # confirmations (MISP sightings of type 0) we publish for it
    false_positive: int = 0  # false-positive sightings (type 1)


class PeerAttribute(NamedTuple):
    """One number from a partner's event: what peer_apply takes."""

    number: str
    event: str  # the partner's event uuid (provenance)
    category: str
    first_seen: int
    last_seen: int
    seen: int = 0
    false_positive: int = 0
    never_block: bool = False  # from the partner's never-block event: a number it says must never be blocked


@dataclass
class Event:
    """A partner's event as read from its file."""

    uuid: str
    timestamp: int
    attributes: list[PeerAttribute] = field(default_factory=list)
    skipped: int = 0  # attributes that are not phone numbers we can use


def event_uuid(org: Org, key: str) -> str:
    """A batch's event uuid: the same for the same batch in every build."""
    return str(uuid.uuid5(uuid.UUID(org.uuid), f"event:{key}"))


def attribute_uuid(org: Org, number: str) -> str:
    """A number's attribute uuid: the same in every build, so MISP sees an update, not a new attribute.
    It is uuid.uuid5(org's uuid, number), written out without building UUID objects (a third of a build's
    time otherwise)."""
    digest = hashlib.sha1(_namespace(org.uuid) + number.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-{_VARIANT[digest[16]]}{digest[17:20]}-{digest[20:32]}"


@lru_cache(maxsize=16)
def _namespace(org_uuid: str) -> bytes:
    return uuid.UUID(org_uuid).bytes


_VARIANT = {c: format(int(c, 16) & 0x3 | 0x8, "x") for c in "0123456789abcdef"}  # RFC 4122 variant bits


@lru_cache(maxsize=4096)
def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def sightings(entry: FeedEntry, org: Org) -> list[dict[str, object]]:
    """The entry's confirmations and false positives as MISP sightings (one record each)."""
    records = []
    for kind, count in ((SEEN, entry.seen), (FALSE_POSITIVE, entry.false_positive)):
        for n in range(min(count, 100)):
            records.append({"date_sighting": str(entry.last_seen), "source": org.name, "type": str(kind),
                            "uuid": str(uuid.uuid5(uuid.UUID(org.uuid), f"sighting:{entry.number}:{kind}:{n}")),
                            "Organisation": {"name": org.name, "uuid": org.uuid}})
    return records


@lru_cache(maxsize=4096)
def _head(first_seen: int, last_seen: int) -> str:
    """What comes before an attribute's uuid: the same for a whole import."""
    return (f'{{"category":"{ATTRIBUTE_CATEGORY}","comment":"","disable_correlation":false,'
            f'"first_seen":"{_iso(first_seen)}","last_seen":"{_iso(last_seen)}",'
            f'"timestamp":"{last_seen}","to_ids":true,"type":"{ATTRIBUTE_TYPE}","uuid":"')


def attribute_json(entry: FeedEntry, org: Org) -> str:
    """One attribute as JSON, as pymisp's MISPAttribute._to_feed writes it (plus its sightings). Its
    category and confidence tags are the event's: an event holds numbers of one category and action."""
    if not E164.fullmatch(entry.number):  # written into the JSON as it is: it must need no escaping
        raise ValueError(f"{entry.number!r} is not an E.164 number")
    text = f'{_head(entry.first_seen, entry.last_seen)}{attribute_uuid(org, entry.number)}","value":"{entry.number}"'
    if entry.seen or entry.false_positive:
        text += f',"Sighting":{json.dumps(sightings(entry, org), sort_keys=True, separators=(",", ":"))}'
    return text + "}"


def envelope(org: Org, uuid_: str, day: date, timestamp: int, info: str, category: str, action: str,
             tags: tuple[str, ...] = ()) -> MISPEvent:
    """An event without attributes, made by pymisp: TLP, our category and the confidence as its tags (or
    `tags` when given: the never-block event)."""
    event = MISPEvent()
    event.uuid = uuid_
    event.info = info
    organisation = MISPOrganisation()
    organisation.name, organisation.uuid = org.name, org.uuid
    event.Orgc = organisation
    event.date = day
    event.analysis = 2  # completed
    event.threat_level_id = 2  # medium
    event.published = True
    event.timestamp = timestamp
    event.publish_timestamp = timestamp
    for tag in tags or (taxonomy.TLP, taxonomy.category_tag(category), taxonomy.confidence_tag(action)):
        event.add_tag(tag)
    return event


def event_file(event: MISPEvent, attributes: list[str]) -> bytes:
    """The event's file: pymisp's feed form of the envelope with the attributes' JSON inside."""
    body = event.to_feed()
    body["Event"]["Attribute"] = "\x00attributes\x00"
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return text.replace('"\\u0000attributes\\u0000"', "[" + ",".join(attributes) + "]", 1).encode()


def manifest_entry(event: MISPEvent) -> dict[str, object]:
    """The event's line in manifest.json (pymisp's MISPEvent.manifest)."""
    return event.manifest


def hashes_lines(numbers: list[str], event_uuid_: str) -> str:
    """The event's lines of hashes.csv: md5 of each value, then the event uuid (as MISP writes them)."""
    return "".join(f"{hashlib.md5(n.encode()).hexdigest()},{event_uuid_}\n" for n in numbers)


# --- reading a partner's feed ------------------------------------------------------------------------


def read_manifest(data: bytes) -> dict[str, int]:
    """A manifest's events: uuid -> timestamp."""
    try:
        manifest = json.loads(data)
        return {str(uuid.UUID(key)): int(value["timestamp"]) for key, value in manifest.items()}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise FeedFormatError(f"manifest.json is not a MISP feed manifest: {exc}") from None


@lru_cache(maxsize=4096)
def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def _when(value: object, default: int) -> int:
    if value in (None, ""):
        return default
    text = str(value)
    return int(text) if text.isdigit() else _epoch(text)


def read_event(data: bytes, expected_uuid: str) -> Event:
    """A partner's event file: its phone-number attributes (others are counted as skipped)."""
    try:
        body = json.loads(data)["Event"]
        event = Event(str(uuid.UUID(body["uuid"])), int(body.get("timestamp") or 0))
        event_tags = [t.get("name", "") for t in body.get("Tag", [])]
        event_category = taxonomy.category_from_tags(event_tags)
        never_block = taxonomy.NEVER_BLOCK_TAG in event_tags
        if event.uuid != expected_uuid:
            raise FeedFormatError(f"{expected_uuid}.json holds event {event.uuid}")
        for raw in body.get("Attribute", []):
            value = raw.get("value", "")
            if raw.get("type") != ATTRIBUTE_TYPE or raw.get("deleted") or not E164.fullmatch(value):
                event.skipped += 1
                continue
            first = _when(raw.get("first_seen"), event.timestamp)
            tags, marks = raw.get("Tag"), raw.get("Sighting")
            category = (taxonomy.category_from_tags([t.get("name", "") for t in tags], event_category) if tags
                        else event_category)
            seen = sum(1 for s in marks if str(s.get("type", "0")) == "0") if marks else 0
            false_positive = sum(1 for s in marks if str(s.get("type")) == "1") if marks else 0
            event.attributes.append(PeerAttribute(value, event.uuid, category, first,
                                                  _when(raw.get("last_seen"), first), seen, false_positive,
                                                  never_block))
        return event
    except FeedFormatError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise FeedFormatError(f"{expected_uuid}.json is not a MISP event: {exc}") from None
