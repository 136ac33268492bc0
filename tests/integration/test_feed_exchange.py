"""Two instances on two loopback ports exchange signed MISP feeds: `ours` publishes (the test's app and
CLI), `partner` pulls (its own key prefix and instance folder on the same redis-server) and publishes too."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
import threading
import time

import pytest
from werkzeug.serving import make_server

from screener import create_app, lists, never_block, reporting
from screener.federation import partners, signing
from screener.services import Services
from screener.store.blocklist import EntryMeta

DAY = 86400
# A day start some days ago: a partner's evidence counts from its last_seen and decays, so the feeds' dates
# are recent (and a minute after BASE + 3 days is still the same day: the events are per day).
BASE = (int(time.time()) // DAY - 10) * DAY + 3600
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
           at: int = BASE, action: str = "block") -> None:
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
    listed(svc, SILENT, reason="silent call at night", at=BASE + 3 * DAY, action="screen")
    build(svc)
    return ours


def test_an_auto_partner_counts_as_one_organisations_evidence_and_only_warns(our_feed, partner):
    """Before issue 13's join an auto partner's numbers were blocked outright; now they are its evidence."""
    svc, _, _ = partner
    peer = subscribe(partner, our_feed, "auto")
    result = partners.sync(svc, "cli:pavel", peer)
    assert (result.counts.added, result.counts.blocked) == (3, 0)
    entry = svc.blocklist.get(THREAT)
    assert entry.meta.source == "evidence" and entry.meta.action == "screen"  # one organisation: warn
    found = reporting.explanation(svc, THREAT)
    assert found.partners == ("peer:ours",) and found.organisations == 0.5  # a new partner is on probation
    [vote] = svc.votes.votes(THREAT)
    assert vote.org == "peer:ours" and vote.note.startswith("MISP event ")  # which event it came from
    assert reporting.explanation(svc, FRIENDLY).categories == {"friendly_approach": 1}
    assert reporting.explanation(svc, SILENT).categories == {"silent_call": 1}
    assert svc.audit.entries()[-1]["action"] == "peer.sync"
    assert partners.sync(svc, "cli:pavel", peer).unchanged
    svc.peers.save_state("ours", "", "", 0, {})  # a full sync again: counted once per organisation
    assert partners.sync(svc, "cli:pavel", peer).counts.already == 3
    assert len(svc.votes.votes(THREAT)) == 1


def test_two_auto_partners_reporting_the_same_number_block_it_and_one_only_warns(our_feed, instance, partner):
    third = instance("third", "third:")
    listed(third[0], THREAT, reason="threats to her brother")
    build(third[0])
    svc, _, _ = partner
    for name, publisher in (("ours", our_feed), ("third", third)):
        partners.sync(svc, "cli:pavel", subscribe(partner, publisher, "auto", name))
    assert svc.blocklist.get(THREAT).meta.action == "screen"  # two partners on probation: 1 unit, warn
    reporting.trust(svc, "cli:cora", "peer:ours")
    reporting.trust(svc, "cli:cora", "peer:third")
    reporting.refresh(svc)
    assert svc.blocklist.get(THREAT).meta.action == "block"  # two organisations agree
    assert reporting.explanation(svc, THREAT).partners == ("peer:ours", "peer:third")
    assert svc.blocklist.get(FRIENDLY).meta.action == "screen"  # one organisation: warn


def test_a_partners_false_positive_sighting_demotes_a_block_to_warn(our_feed, instance, partner):
    third = instance("third", "third:")
    listed(third[0], THREAT, reason="threats")
    build(third[0])
    svc, _, _ = partner
    ours = subscribe(partner, our_feed, "auto", "ours")
    reporting.trust(svc, "cli:cora", "peer:ours")
    reporting.trust(svc, "cli:cora", "peer:third")
    partners.sync(svc, "cli:pavel", ours)
    partners.sync(svc, "cli:pavel", subscribe(partner, third, "auto", "third"))
    assert svc.blocklist.get(THREAT).meta.action == "block"
    third[0].feed_sightings.record(THREAT, false_positive=True, at=int(time.time()))
    build(third[0])
    result = partners.sync(svc, "cli:pavel", svc.peers.get("third"))
    assert result.counts.false_positives == 1
    entry = svc.blocklist.get(THREAT)
    assert entry.meta.action == "screen"  # demoted: one organisation says it is not an intimidator
    assert reporting.explanation(svc, THREAT).false_positives == ("peer:third",)
    partners.sync(svc, "cli:pavel", svc.peers.get("third"))  # counted once per organisation
    assert [v.kind for v in svc.votes.votes(THREAT)].count("false_positive") == 1


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
    reporting.file_report(svc, "line:+48221234567", FRIENDLY, "friendly_approach")  # our own evidence
    peer = subscribe(partner, our_feed, "auto")
    reporting.trust(svc, "cli:cora", "peer:ours")
    partners.sync(svc, "cli:pavel", peer)
    assert svc.blocklist.count() == 3
    assert svc.blocklist.get(FRIENDLY).meta.action == "block"  # ours and the partner's: two organisations
    withdrawn = partners.revert(svc, "cli:pavel", "ours")
    assert withdrawn == 3  # its evidence on three numbers
    assert svc.blocklist.get(THREAT).meta.source == "manual"
    assert svc.blocklist.get(FRIENDLY).meta.action == "screen"  # our report alone: warn again
    assert svc.blocklist.get(SILENT) is None  # the partner's alone: gone
    assert svc.peers.get("ours") is None
    kept = [v for v in svc.votes.votes(SILENT) if v.org == "peer:ours"]
    assert kept and all(v.reverted for v in kept)  # history kept, no longer counted
    actions = [e["action"] for e in svc.audit.entries()[-6:]]
    assert "evidence.revert" in actions
    last = svc.audit.entries()[-1]
    assert last["action"] == "peer.revert" and last["before"]["trust"] == "auto"


def test_a_partners_never_block_numbers_wait_for_our_curators(ours, partner):
    our_svc, svc = ours[0], partner[0]
    lawyer = "+375297777777"
    listed(our_svc, THREAT)
    never_block.add(our_svc, "cli:anna", lawyer, "our lawyer")
    build(our_svc)
    result = partners.sync(svc, "cli:pavel", subscribe(partner, ours, "auto"))
    assert result.counts.never_block == 1
    assert svc.never_block.get(lawyer) is None  # not applied: a partner alone cannot whitelist a caller here
    [change] = svc.pending.all("neverblock.add")
    assert change.target == lawyer and change.proposed_by == "peer:ours" and "partner ours" in change.after["why"]
    assert svc.blocklist.get(lawyer) is None and not svc.votes.votes(lawyer)  # and it is no report either
    partners.revert(svc, "cli:pavel", "ours")
    assert svc.pending.all("neverblock.add") == []  # a revert takes its proposals back too


def test_our_feed_publishes_our_evidence_and_never_block_list_not_a_partners_alone(ours, partner):
    our_svc, partner_svc = ours[0], partner[0]
    reported = "+375295555555"
    reporting.file_report(our_svc, "line:+48221234567", reported, "threat")  # our evidence: warn
    reporting.file_report(our_svc, "anna", reported, "threat")
    never_block.add(our_svc, "cli:anna", "+375297777777", "our lawyer")
    listed(partner_svc, SILENT, reason="silent call")
    build(partner_svc)
    partners.sync(our_svc, "cli:anna", subscribe(ours, partner, "auto", "partner"))
    assert our_svc.blocklist.get(SILENT).meta.source == "evidence"  # the partner's evidence warns here...
    build(our_svc)
    folder = our_svc.settings.feed_path
    manifest = json.loads((folder / "manifest.json").read_bytes())
    events = [json.loads((folder / f"{u}.json").read_bytes())["Event"] for u in manifest]
    numbers = {a["value"]: e for e in events for a in e["Attribute"]}
    assert SILENT not in numbers  # ...but is not sent back as ours
    tags = [t["name"] for t in numbers[reported]["Tag"]]
    assert 'screener-call:category="threat"' in tags
    assert any("confidence" in t for t in tags)
    never = numbers["+375297777777"]
    assert [t["name"] for t in never["Tag"]] == ["tlp:amber", "screener-call:never-block"]
    assert len(never["Attribute"]) == 1
    # our confirmation of a partner's number makes it ours too, and travels as a sighting
    reporting.confirm(our_svc, "cli:cora", SILENT)
    build(our_svc)
    manifest = json.loads((folder / "manifest.json").read_bytes())
    attributes = [a for u in manifest for a in json.loads((folder / f"{u}.json").read_bytes())["Event"]["Attribute"]]
    [silent] = [a for a in attributes if a["value"] == SILENT]
    assert [s["type"] for s in silent["Sighting"]] == ["0"]


def test_an_auto_partners_new_numbers_beyond_the_weekly_quota_are_held_for_the_curators(our_feed, partner,
                                                                                        monkeypatch):
    monkeypatch.setattr(reporting, "NEW_NUMBERS_PER_WEEK", 2)
    svc, _, _ = partner
    peer = subscribe(partner, our_feed, "auto")
    result = partners.sync(svc, "cli:pavel", peer)
    assert (result.counts.added, result.counts.held) == (2, 1)
    [held] = [n for n in (THREAT, FRIENDLY, SILENT) if not svc.votes.has_evidence(n)]
    assert svc.blocklist.get(held) is None and svc.peers.held_count("ours") == 1  # no evidence yet, not lost
    assert svc.reviews.open_count() == 0  # one batch per partner, not a review item per number
    assert svc.audit.entries()[-1]["after"]["held"] == 1  # the sync's one audit entry says so
    svc.peers.save_state("ours", "", "", 0, {})
    again = partners.sync(svc, "cli:pavel", peer)
    assert (again.counts.held, again.counts.already) == (0, 3)  # not held twice
    assert partners.revert(svc, "cli:pavel", "ours") == 3  # two numbers' evidence and the held one
    assert svc.peers.held_count("ours") == 0 and svc.blocklist.count() == 0


def test_a_curator_releases_a_partners_held_numbers_as_its_evidence(our_feed, partner, monkeypatch):
    monkeypatch.setattr(reporting, "NEW_NUMBERS_PER_WEEK", 0)
    svc, _, _ = partner
    partners.sync(svc, "cli:pavel", subscribe(partner, our_feed, "auto"))
    assert svc.peers.held_count("ours") == 3 and svc.blocklist.count() == 0
    first = partners.release(svc, "web:cora", "ours", 2)
    assert first.added == 2 and svc.peers.held_count("ours") == 1  # beyond the quota: a curator let them
    rest = partners.release(svc, "cli:cora", "ours", 10)
    assert rest.added == 1 and svc.peers.held_count("ours") == 0
    for number, category in ((THREAT, "threat"), (FRIENDLY, "friendly_approach"), (SILENT, "silent_call")):
        [vote] = svc.votes.votes(number)  # the category and event the partner sent are kept while held
        assert (vote.org, vote.category) == ("peer:ours", category) and vote.note.startswith("MISP event ")
        assert svc.blocklist.get(number).meta.action == "screen"  # one organisation: warn
    releases = [e for e in svc.audit.entries() if e["action"] == "peer.release"]
    assert [(e["actor"], e["after"]["released"]) for e in releases] == [("web:cora", 2), ("cli:cora", 1)]


def test_a_curator_discards_a_partners_held_numbers(our_feed, partner, monkeypatch):
    monkeypatch.setattr(reporting, "NEW_NUMBERS_PER_WEEK", 1)
    svc, _, _ = partner
    partners.sync(svc, "cli:pavel", subscribe(partner, our_feed, "auto"))
    assert partners.discard(svc, "web:cora", "ours") == 2
    assert svc.peers.held_count("ours") == 0 and svc.blocklist.count() == 1
    [entry] = [e for e in svc.audit.entries() if e["action"] == "peer.discard"]
    assert (entry["actor"], entry["before"]) == ("web:cora", {"held": 2})
    with pytest.raises(partners.PeerError):
        partners.discard(svc, "web:cora", "nobody")


def test_a_held_number_the_partner_drops_is_held_no_more(our_feed, partner, monkeypatch):
    monkeypatch.setattr(reporting, "NEW_NUMBERS_PER_WEEK", 0)
    svc, result = _synced_then_friendly_dropped(our_feed, partner)
    assert result.counts.withdrawn == 1
    held = {number for event in svc.peers.held_counts("ours") for number in svc.peers.held_in("ours", event)}
    assert held == {THREAT, SILENT} and svc.peers.held_count("ours") == 2


def test_held_numbers_on_the_command_line(our_feed, partner, runner, tmp_path, monkeypatch):
    from screener.cli import main

    monkeypatch.setattr(reporting, "NEW_NUMBERS_PER_WEEK", 1)
    svc, _, _ = partner
    subscribe(partner, our_feed, "auto")
    env = {"SCREENER_KEY_PREFIX": "partner:", "SCREENER_INSTANCE": str(tmp_path / "partner")}
    synced = runner.invoke(main, ["peer", "sync"], env=env, catch_exceptions=False)
    assert "2 new numbers held over its weekly quota" in synced.output
    assert runner.invoke(main, ["peer", "held"], env=env).output.startswith("ours\t2 held since ")
    released = runner.invoke(main, ["peer", "release", "ours", "--limit", "1"], env=env, catch_exceptions=False)
    assert released.exit_code == 0 and "ours: 1 released; 1 counted as its evidence" in released.output
    assert "1 still held" in released.output
    assert "ours: 1 held numbers discarded" in runner.invoke(main, ["peer", "discard", "ours"], env=env).output
    assert runner.invoke(main, ["peer", "held"], env=env).output == "no partner has numbers held over its quota\n"
    unknown = runner.invoke(main, ["peer", "release", "nobody"], env=env)
    assert unknown.exit_code == 1 and "nobody: no such partner" in unknown.output


def test_a_second_sync_fetches_only_the_events_that_changed(our_feed, partner):
    svc, _, _ = partner
    our_svc, served, _ = our_feed
    peer = subscribe(partner, our_feed, "auto")
    first = partners.sync(svc, "cli:pavel", peer)
    assert first.fetched == 3  # an event per day, category and action
    assert partners.sync(svc, "cli:pavel", peer).unchanged  # 304 on the manifest: nothing fetched
    served.paths.clear()
    listed(our_svc, "+375294444444", at=BASE + 3 * DAY + 60)
    result = build(our_svc)
    assert result.written == 1
    second = partners.sync(svc, "cli:pavel", peer)
    assert second.fetched == 1 and second.counts.added == 1
    assert len(served.event_fetches()) == 1
    assert svc.votes.votes("+375294444444")[0].org == "peer:ours"


def _synced_then_friendly_dropped(our_feed, partner):
    """The partner syncs our feed at auto; we take FRIENDLY off our list; it syncs again: (its svc, that sync)."""
    svc, _, _ = partner
    our_svc = our_feed[0]
    peer = subscribe(partner, our_feed, "auto")
    partners.sync(svc, "cli:pavel", peer)
    lists.remove(our_svc, "web:anna", FRIENDLY, "a journalist's source after all")
    build(our_svc)
    return svc, partners.sync(svc, "cli:pavel", peer)


def test_a_number_we_take_off_our_list_leaves_the_partners_list_too(our_feed, partner):
    svc, result = _synced_then_friendly_dropped(our_feed, partner)
    assert result.counts.withdrawn == 1
    assert svc.blocklist.get(FRIENDLY) is None and svc.blocklist.get(THREAT) is not None


def test_our_confirmations_and_false_positives_reach_the_partner_as_sightings(ours, partner):
    our_svc = ours[0]
    svc = partner[0]
    listed(our_svc, THREAT)
    our_svc.feed_sightings.record(THREAT, false_positive=False, at=BASE + 100)
    our_svc.feed_sightings.record(THREAT, false_positive=True, at=BASE + 200)
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
    assert reporting.explanation(partner_svc, THREAT).partners == ("peer:ours",)
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
    assert "ours: 3 events fetched, 0 dropped; 3 counted as its evidence (0 now blocked)" in synced.output
    assert "ours: unchanged" in runner.invoke(main, ["peer", "sync", "ours"], env=env).output
    listing = runner.invoke(main, ["peer", "list"], env=env).output
    assert "ours\tauto\t" in listing and "3 events, 3 numbers" in listing
    reverted = runner.invoke(main, ["peer", "revert", "ours"], env=env)
    assert "reverted ours: 3 entries, proposals and numbers' evidence taken back" in reverted.output
    assert svc.blocklist.count() == 0


def test_a_number_phonenumbers_rejects_is_not_counted_and_the_rest_of_the_sync_is(ours, partner):
    our_svc, svc = ours[0], partner[0]
    listed(our_svc, THREAT)
    listed(our_svc, "+19995550123")  # E.164-shaped, no valid number: a partner's feed may hold one
    build(our_svc)
    result = partners.sync(svc, "cli:pavel", subscribe(partner, ours, "auto"))
    assert (result.counts.added, result.counts.invalid) == (1, 1)
    assert svc.blocklist.get(THREAT) is not None and svc.blocklist.get("+19995550123") is None
