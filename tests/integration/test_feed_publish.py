"""`screener feed ...` and `/feed/`: our list as a signed MISP feed, read back by pymisp, behind tokens."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from pymisp import MISPEvent

from screener.federation import signing

BLOCKED = "+375291234567"
ORDINARY = "+48601111222"


@pytest.fixture
def feed_key(tmp_path, monkeypatch, cli) -> str:
    """A signing key made by `screener feed keygen` outside the instance folder; its public key."""
    path = tmp_path / "keys" / "feed.key"
    made = cli("feed", "keygen", str(path))
    assert made.exit_code == 0
    monkeypatch.setenv("SCREENER_FEED_KEY", str(path))
    return made.output.rsplit(": ", 1)[1].strip()


@pytest.fixture
def built(svc, cli, feed_key) -> Path:
    assert cli("blocklist", "add", BLOCKED, "--reason", "threatened her mother").exit_code == 0
    assert cli("blocklist", "add", "+37529555*", "--reason", "a small range").exit_code == 0
    result = cli("feed", "build")
    assert result.exit_code == 0, result.output
    assert "1 numbers in 1 events: 1 written" in result.output
    return svc.settings.feed_path


def events(folder: Path) -> list[MISPEvent]:
    loaded = []
    for uuid in json.loads((folder / "manifest.json").read_bytes()):
        event = MISPEvent()
        event.load_file(str(folder / f"{uuid}.json"))
        loaded.append(event)
    return loaded


def test_keygen_makes_a_private_key_and_feed_key_prints_its_public_key(cli, feed_key, tmp_path):
    key_file = tmp_path / "keys" / "feed.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    printed = cli("feed", "key").output.splitlines()
    assert printed[0].startswith("untrusted comment:") and printed[1] == feed_key
    assert cli("feed", "keygen", str(key_file)).exit_code == 1  # never overwritten


def test_feed_build_without_a_key_says_how_to_make_one(cli, monkeypatch):
    monkeypatch.delenv("SCREENER_FEED_KEY", raising=False)
    result = cli("feed", "build")
    assert result.exit_code == 1 and "screener feed keygen" in result.output


def test_pymisp_reads_our_feed_back_as_misp_events(built):
    [event] = events(built)
    [attribute] = event.attributes
    assert (attribute.type, attribute.value) == ("phone-number", BLOCKED)
    assert attribute.first_seen is not None and attribute.last_seen is not None
    tags = {t.name for t in event.tags}
    assert 'screener-call:category="family-pressure"' in tags  # "threatened her mother"
    assert 'estimative-language:confidence-in-analytic-judgment="high"' in tags
    assert "tlp:amber" in tags
    assert event.manifest == {event.uuid: json.loads((built / "manifest.json").read_bytes())[event.uuid]}
    hashes = (built / "hashes.csv").read_text().splitlines()
    assert hashes == [f"{event.attributes_hashes('md5')[0]},{event.uuid}"]


def test_the_feed_holds_only_listed_numbers_never_ordinary_callers_or_prefixes(svc, line, twilio, built, cli):
    assert twilio.call(ORDINARY).status_code == 200  # an ordinary caller, now in the call log
    cli("feed", "build")
    text = b"".join(p.read_bytes() for p in built.iterdir())
    assert BLOCKED.encode() in text
    assert ORDINARY.encode() not in text and ORDINARY[1:].encode() not in text
    assert b"37529555" not in text


def test_an_unchanged_list_rebuilds_nothing(built, cli):
    assert "0 written, 1 unchanged" in cli("feed", "build").output


def test_the_feed_needs_a_partners_token(client, built, cli):
    assert client.get("/feed/manifest.json").status_code == 401
    token = cli("peer", "token", "add", "civicert").output.strip()
    assert client.get("/feed/manifest.json", headers={"Authorization": "Bearer wrong"}).status_code == 401
    answer = client.get("/feed/manifest.json", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and json.loads(answer.data)
    again = client.get("/feed/manifest.json", headers={"Authorization": f"Bearer {token}",
                                                      "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304
    assert cli("peer", "token", "revoke", "civicert").exit_code == 0
    assert client.get("/feed/manifest.json", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_tokens_are_stored_hashed(svc, cli):
    token = cli("peer", "token", "add", "civicert").output.strip()
    stored = b"".join(v for v in svc.client.hgetall(svc.keys.prefix + "fed:tokens").values())
    assert token.encode() not in stored and len(stored) == 64


def test_only_feed_files_are_served(client, built, cli):
    token = cli("peer", "token", "add", "civicert").output.strip()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/feed/hashes.csv.minisig", headers=auth).status_code == 200
    assert client.get("/feed/..%2Fscreener.env", headers=auth).status_code == 404
    assert client.get("/feed/feed.key", headers=auth).status_code == 404


def test_a_sighting_is_published_with_the_number(svc, built, cli):
    assert cli("feed", "sighting", BLOCKED, "--false-positive").exit_code == 0
    cli("feed", "build")
    [event] = events(built)
    [attribute] = event.attributes
    assert [s.type for s in attribute.sightings] == ["1"]


def test_peer_add_refuses_a_key_that_is_not_a_minisign_key(svc, cli):
    result = cli("peer", "add", "civicert", "--url", "https://feed.example/feed/", "--key", "nonsense",
                 "--trust", "auto")
    assert result.exit_code == 1 and "not a minisign public key" in result.output
    assert svc.peers.all() == []


def test_peer_add_and_list(svc, cli, feed_key):
    result = cli("peer", "add", "civicert", "--url", "https://feed.example/feed/", "--key", feed_key,
                 "--trust", "review", "--token", "s3cret")
    assert result.exit_code == 0, result.output
    listing = cli("peer", "list").output
    assert "civicert\treview\thttps://feed.example/feed/\tsynced never" in listing
    assert b"s3cret" not in svc.client.hget(svc.keys.prefix + "fed:peers", "civicert")  # sealed at rest
    assert svc.audit.entries()[-1]["action"] == "peer.add"


def test_peer_sync_reports_a_refused_feed_and_exits_1(svc, cli, feed_key, tmp_path):
    other = signing.generate(tmp_path / "other.key")
    cli("peer", "add", "civicert", "--url", "http://127.0.0.1:9/feed/", "--key", other, "--trust", "auto")
    result = cli("peer", "sync", "civicert")
    assert result.exit_code == 1 and "cannot read the feed" in result.output


def test_a_sighting_of_a_number_we_do_not_list_says_it_waits(cli, svc):
    result = cli("feed", "sighting", ORDINARY)
    assert result.exit_code == 0 and "published once the number is on our list" in result.output
