"""The feed's MISP format (pure): our fast attributes are pymisp's, categories map to the taxonomy, and a
partner's event is read strictly."""
from __future__ import annotations

import json

import pytest
from pymisp import MISPAttribute

from screener.federation import misp, taxonomy

ORG = misp.Org("ours", "6f1c2d1e-2a47-4c33-9a39-5b7e8f1c2d3e")


@pytest.mark.parametrize("action", ["block", "screen"])
def test_our_attribute_json_is_what_pymisp_writes_for_the_same_attribute(action):
    # (the category and confidence tags are the event's: see test_feed_publish)
    entry = misp.FeedEntry("+375291234567", "silent-call", action, 1_760_000_000, 1_760_086_400)
    attribute = MISPAttribute()
    attribute.from_dict(type="phone-number", value=entry.number, category="Person", to_ids=True, comment="",
                        disable_correlation=False, uuid=misp.attribute_uuid(ORG, entry.number),
                        timestamp=entry.last_seen, first_seen=entry.first_seen, last_seen=entry.last_seen)
    assert json.loads(misp.attribute_json(entry, ORG)) == attribute._to_feed()


def test_a_number_keeps_its_attribute_uuid_across_builds():
    assert misp.attribute_uuid(ORG, "+375291234567") == misp.attribute_uuid(ORG, "+375291234567")
    assert misp.attribute_uuid(ORG, "+375291234567") != misp.attribute_uuid(ORG, "+375291234568")


@pytest.mark.parametrize(("category", "reason", "expected"), [
    ("intimidation", "", "threat"),
    ("intimidation", "threatened to visit her mother", "family-pressure"),
    ("approach", "friendly, asked about her schedule", "friendly-approach"),
    ("intimidation", "silent call at 3am", "silent-call"),
    ("intimidation", "pretended to be from the embassy", "impersonation"),
    ("impersonation", "", "impersonation"),
])
def test_entries_map_onto_the_taxonomy(category, reason, expected):
    assert taxonomy.category_of(category, reason) == expected


def test_a_partners_unknown_category_counts_as_a_threat():
    assert taxonomy.category_from_tags(['screener-call:category="bribery"', "tlp:amber"]) == "threat"
    assert taxonomy.category_from_tags([taxonomy.category_tag("silent-call")]) == "silent-call"


def event_bytes(attributes: list[dict], uuid: str = "0d7aafd4-20ec-531d-99e4-7b8b2d158c80") -> bytes:
    return json.dumps({"Event": {"uuid": uuid, "timestamp": "1760000000", "Attribute": attributes}}).encode()


def test_an_attribute_without_a_category_tag_takes_its_events():
    data = json.loads(event_bytes([{"type": "phone-number", "value": "+375291234567"}]))
    data["Event"]["Tag"] = [{"name": taxonomy.category_tag("family-pressure")}]
    [attribute] = misp.read_event(json.dumps(data).encode(), data["Event"]["uuid"]).attributes
    assert attribute.category == "family-pressure"


def test_a_partners_event_keeps_only_phone_numbers_it_can_use():
    event = misp.read_event(event_bytes([
        {"type": "phone-number", "value": "+375291234567", "first_seen": "2025-10-09T08:53:20+00:00",
         "Tag": [{"name": taxonomy.category_tag("impersonation")}],
         "Sighting": [{"type": "0"}, {"type": "1"}, {"type": "1"}]},
        {"type": "phone-number", "value": "+37529*"},  # a prefix: never from a partner
        {"type": "phone-number", "value": "8029 123 45 67"},  # not E.164
        {"type": "domain", "value": "example.org"},
        {"type": "phone-number", "value": "+375291111111", "deleted": True},
    ]), "0d7aafd4-20ec-531d-99e4-7b8b2d158c80")
    [attribute] = event.attributes
    assert (attribute.number, attribute.category, attribute.seen, attribute.false_positive) == (
        "+375291234567", "impersonation", 1, 2)
    assert attribute.first_seen == 1_760_000_000 and event.skipped == 4


def test_an_event_file_holding_another_event_is_refused():
    with pytest.raises(misp.FeedFormatError, match="holds event"):
        misp.read_event(event_bytes([]), "155be865-b0f9-5aa8-8b69-36f990050cac")


@pytest.mark.parametrize("data", [b"not json", b"[]", b'{"x": {"timestamp": 1}}', b'{"Event": {}}'])
def test_a_malformed_partner_file_is_a_format_error(data):
    with pytest.raises(misp.FeedFormatError):
        misp.read_event(data, "0d7aafd4-20ec-531d-99e4-7b8b2d158c80")
    if data != b'{"Event": {}}':
        with pytest.raises(misp.FeedFormatError):
            misp.read_manifest(data)


@pytest.mark.parametrize("number", ["+375291234567", "+12025550143", "+4915112345678"])
def test_attribute_uuids_are_rfc4122_uuid5_of_the_number(number):
    import uuid

    assert misp.attribute_uuid(ORG, number) == str(uuid.uuid5(uuid.UUID(ORG.uuid), number))


def test_a_value_that_is_not_e164_is_never_written_into_the_json():
    with pytest.raises(ValueError):
        misp.attribute_json(misp.FeedEntry('+1"}, {"x', "threat", "block", 0, 0), ORG)
