"""Two instances on two loopback ports exchange signed MISP feeds: `ours` publishes (the test's app and
CLI), `partner` pulls (its own key prefix and instance folder on the same redis-server) and publishes too."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from screener import create_app, lists
from screener.federation import partners, signing
from screener.services import Services
from screener.store.blocklist import EntryMeta

DAY = 86400
THREAT = "+375291111111"
FRIENDLY = "+375292222222"
SILENT = "+375293333333"


class Served:
    """An app on 127.0.0.1, recording the paths it was asked for."""

    def __init__(self, app) -> None:
        self.paths: list[str] = []
        inner = app.wsgi_app

        def recording(environ, start_response):
            self.paths.append(environ["PATH_INFO"])
            return inner(environ, start_response)

        app.wsgi_app = recording
        self.server = make_server("127.0.0.1", 0, app, threaded=True)  # the OS picks a free port: no race
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/feed/"

    def event_fetches(self) -> list[str]:
        return [p for p in self.paths if p.endswith(".json") and "manifest" not in p]

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def instance(settings, tmp_path):
    """Build an instance (key prefix, folder, feed key outside it) served on its own loopback port."""
    started: list[Served] = []

    def make(name: str, prefix: str):
        keys = tmp_path / "keys"
        public = signing.generate(keys / f"{name}.key")
        config = dataclasses.replace(settings, key_prefix=prefix, instance_path=tmp_path / name,
                                     feed_key=keys / f"{name}.key", feed_dir=tmp_path / name / "feed",
                                     feed_org=name)
        app = create_app({"TESTING": True}, settings=config)
        served = Served(app)
        started.append(served)
        return app.extensions["screener"], served, public

    yield make
    for served in started:
        served.stop()


@pytest.fixture
def ours(instance):
    return instance("ours", "ours:")


@pytest.fixture
def partner(instance):
    return instance("partner", "partner:")


def listed(svc: Services, number: str, *, category: str = "intimidation", reason: str = "threatened her",
           at: int = 1_760_000_000, action: str = "block") -> None:
    svc.blocklist.add_many([number], EntryMeta(category=category, reason=reason, source="manual", added_by="web:anna",
                                               added_at=at, action=action))


def build(svc: Services):
    from screener.federation import publish

    config = svc.settings
    return publish.build(svc, config.feed_path, signing.load(config.feed_key), config.feed_org)


def subscribe(receiver, publisher, trust: str, name: str = "ours"):
    """`receiver` adds `publisher`'s feed at `trust`, with a token `publisher` made for it."""
    svc, _, _ = receiver
    publisher_svc, served, public = publisher
    token = publisher_svc.feed_tokens.add(name + "-reader") or ""
    return partners.add(svc, "cli:pavel", name, served.url, public, trust, token)


@pytest.fixture
def our_feed(ours):
    svc, _, _ = ours
    listed(svc, THREAT)
    listed(svc, FRIENDLY, category="approach", reason="friendly approach, asked about her schedule")
    listed(svc, SILENT, reason="silent call at night", at=1_760_000_000 + 3 * DAY, action="screen")
    build(svc)
    return ours


def test_an_auto_partner_blocks_our_numbers_as_its_organisations(our_feed, partner):
    svc, _, _ = partner
    peer = subscribe(partner, our_feed, "auto")
    result = partners.sync(svc, "cli:pavel", peer)
    assert result.counts.added == 3
    entry = svc.blocklist.get(THREAT)
    assert entry.meta.source == "peer:ours" and entry.meta.action == "block"
    assert entry.meta.evidence.startswith("MISP event ")  # which event it came from
    assert svc.blocklist.get(FRIENDLY).meta.category == "friendly-approach"
    assert svc.blocklist.get(SILENT).meta.category == "silent-call"
    assert svc.audit.entries()[-1]["action"] == "peer.sync"


def test_a_review_partner_lands_its_numbers_in_the_review_queue(our_feed, partner):
    svc, _, _ = partner
    peer = subscribe(partner, our_feed, "review")
    result = partners.sync(svc, "cli:pavel", peer)
    assert result.counts.proposed == 3
    assert svc.blocklist.get(THREAT) is None  # nobody blocked until a curator accepts it
    assert {p.entry for p in svc.proposals.all() if p.proposed_by == "peer:ours"} == {THREAT, FRIENDLY, SILENT}
    lists.confirm(svc, "web:curator", THREAT)
    assert svc.blocklist.get(THREAT).meta.source == "peer:ours"


def test_a_warn_partner_only_screens_its_numbers_and_says_why(our_feed, partner):
    svc, _, _ = partner
    peer = subscribe(partner, our_feed, "warn")
    partners.sync(svc, "cli:pavel", peer)
    entry = svc.blocklist.get(THREAT)
    assert entry.meta.action == "screen"
    assert "partner ours" in entry.meta.reason and "threat" in entry.meta.reason


def test_a_tampered_event_file_is_refused_and_nothing_applied(our_feed, partner):
    svc, _, _ = partner
    our_svc = our_feed[0]
    peer = subscribe(partner, our_feed, "auto")
    event = next(p for p in our_svc.settings.feed_path.glob("*.json") if p.name != "manifest.json")
    event.write_bytes(event.read_bytes().replace(b"+3752", b"+3753"))
    with pytest.raises(signing.SignatureError):
        partners.sync(svc, "cli:pavel", peer)
    assert svc.blocklist.count() == 0
    assert svc.peers.state("ours").synced_at == 0
    assert svc.audit.entries()[-1]["action"] == "peer.refused"


def test_a_file_without_its_signature_is_refused_and_nothing_applied(our_feed, partner):
    svc, _, _ = partner
    peer = subscribe(partner, our_feed, "auto")
    (our_feed[0].settings.feed_path / "manifest.json.minisig").unlink()
    with pytest.raises(signing.SignatureError, match="no signature"):
        partners.sync(svc, "cli:pavel", peer)
    assert svc.blocklist.count() == 0


def test_a_feed_signed_by_another_key_is_refused(our_feed, partner, tmp_path):
    svc, _, _ = partner
    our_svc, served, _ = our_feed
    other = signing.generate(tmp_path / "other.key")
    token = our_svc.feed_tokens.add("intruder")
    peer = partners.add(svc, "cli:pavel", "ours", served.url, other, "auto", token)
    with pytest.raises(signing.SignatureError, match="bad signature"):
        partners.sync(svc, "cli:pavel", peer)
    assert svc.blocklist.count() == 0


def test_revert_takes_back_everything_a_partner_brought_and_keeps_our_own(our_feed, partner):
    svc, _, _ = partner
    listed(svc, THREAT, reason="called our office too")  # ours already: the partner's copy is not what we keep
    peer = subscribe(partner, our_feed, "auto")
    partners.sync(svc, "cli:pavel", peer)
    assert svc.blocklist.count() == 3
    withdrawn = partners.revert(svc, "cli:pavel", "ours")
    assert withdrawn == 2
    assert svc.blocklist.count() == 1 and svc.blocklist.get(THREAT).meta.source == "manual"
    assert svc.peers.get("ours") is None
    last = svc.audit.entries()[-1]
    assert last["action"] == "peer.revert" and last["before"]["trust"] == "auto"


def test_a_second_sync_fetches_only_the_events_that_changed(our_feed, partner):
    svc, _, _ = partner
    our_svc, served, _ = our_feed
    peer = subscribe(partner, our_feed, "auto")
    first = partners.sync(svc, "cli:pavel", peer)
    assert first.fetched == 3  # an event per day, category and action
    assert partners.sync(svc, "cli:pavel", peer).unchanged  # 304 on the manifest: nothing fetched
    served.paths.clear()
    listed(our_svc, "+375294444444", at=1_760_000_000 + 3 * DAY + 60)
    result = build(our_svc)
    assert result.written == 1
    second = partners.sync(svc, "cli:pavel", peer)
    assert second.fetched == 1 and second.counts.added == 1
    assert len(served.event_fetches()) == 1
    assert svc.blocklist.get("+375294444444").meta.source == "peer:ours"


def test_a_number_we_take_off_our_list_leaves_the_partners_list_too(our_feed, partner):
    svc, _, _ = partner
    our_svc = our_feed[0]
    peer = subscribe(partner, our_feed, "auto")
    partners.sync(svc, "cli:pavel", peer)
    lists.remove(our_svc, "web:anna", FRIENDLY, "a journalist's source after all")
    build(our_svc)
    result = partners.sync(svc, "cli:pavel", peer)
    assert result.counts.withdrawn == 1
    assert svc.blocklist.get(FRIENDLY) is None and svc.blocklist.get(THREAT) is not None


def test_our_confirmations_and_false_positives_reach_the_partner_as_sightings(ours, partner):
    our_svc = ours[0]
    svc = partner[0]
    listed(our_svc, THREAT)
    our_svc.feed_sightings.record(THREAT, false_positive=False, at=1_760_000_100)
    our_svc.feed_sightings.record(THREAT, false_positive=True, at=1_760_000_200)
    build(our_svc)
    peer = subscribe(partner, ours, "auto")
    result = partners.sync(svc, "cli:pavel", peer)
    assert (result.counts.confirmations, result.counts.false_positives) == (1, 1)
    assert svc.peers.sightings("ours") == {THREAT: (1, 1)}


def test_two_organisations_pull_each_others_feeds(ours, partner):
    our_svc, partner_svc = ours[0], partner[0]
    listed(our_svc, THREAT)
    listed(partner_svc, SILENT, reason="silent call")
    build(our_svc)
    build(partner_svc)
    partners.sync(partner_svc, "cli:pavel", subscribe(partner, ours, "auto", "ours"))
    partners.sync(our_svc, "cli:anna", subscribe(ours, partner, "warn", "partner"))
    assert partner_svc.blocklist.get(THREAT).meta.source == "peer:ours"
    assert our_svc.blocklist.get(SILENT).meta.action == "screen"
    build(our_svc)  # the partner's number is not sent back as ours
    manifest = json.loads((our_svc.settings.feed_path / "manifest.json").read_bytes())
    assert SILENT.encode() not in b"".join(
        (our_svc.settings.feed_path / f"{u}.json").read_bytes() for u in manifest)


@pytest.mark.skipif(shutil.which("minisign") is None, reason="the minisign tool is not installed")
def test_the_minisign_tool_verifies_every_file_of_our_feed(our_feed):
    svc, _, public = our_feed
    files = [p for p in svc.settings.feed_path.iterdir() if not p.name.endswith(".minisig")]
    assert len(files) == 5  # manifest.json, hashes.csv and three events
    for path in files:
        checked = subprocess.run(["minisign", "-Vm", str(path), "-P", public], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
    event = next(p for p in files if p.name not in ("manifest.json", "hashes.csv"))
    event.write_bytes(event.read_bytes() + b" ")
    assert subprocess.run(["minisign", "-Vm", str(event), "-P", public], capture_output=True).returncode != 0


def test_hashes_csv_lists_each_number_md5_with_its_event(our_feed):
    folder = our_feed[0].settings.feed_path
    manifest = json.loads((folder / "manifest.json").read_bytes())
    rows = [line.split(",") for line in (folder / "hashes.csv").read_text().splitlines()]
    assert sorted(h for h, _ in rows) == sorted(hashlib.md5(n.encode()).hexdigest() for n in (THREAT, FRIENDLY, SILENT))
    assert {u for _, u in rows} == set(manifest)


def test_peer_sync_and_list_on_the_command_line(our_feed, partner, runner, tmp_path):
    from screener.cli import main

    svc, _, _ = partner
    subscribe(partner, our_feed, "auto")
    env = {"SCREENER_KEY_PREFIX": "partner:", "SCREENER_INSTANCE": str(tmp_path / "partner")}
    synced = runner.invoke(main, ["peer", "sync"], env=env, catch_exceptions=False)
    assert synced.exit_code == 0, synced.output
    assert "ours: 3 events fetched, 0 dropped; 3 blocked" in synced.output
    assert "ours: unchanged" in runner.invoke(main, ["peer", "sync", "ours"], env=env).output
    listing = runner.invoke(main, ["peer", "list"], env=env).output
    assert "ours\tauto\t" in listing and "3 events, 3 numbers" in listing
    reverted = runner.invoke(main, ["peer", "revert", "ours"], env=env)
    assert "reverted ours: 3 entries and proposals taken back" in reverted.output
    assert svc.blocklist.count() == 0
