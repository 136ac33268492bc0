"""Partners whose signed feeds we pull: adding one, syncing its feed, reverting everything it brought. Each
with its one audit entry (actor cli:<login>):

    action          target      before                              after
    peer.add        name        None                                {url, key, trust, token: bool}
    peer.sync       name        {events: n known}                   {fetched, removed, added, warned, proposed,
                                                                     already, withdrawn, confirmations,
                                                                     false_positives, skipped}
    peer.refused    name        None                                {file, why}: nothing of the sync applied
    peer.revert     name        the partner's settings              {withdrawn}  (after one evidence.revert)
    peer.release    name        {held: n before}                    {released, added, blocked, already, vetoed,
                                                                     invalid}: held numbers counted as evidence
    peer.discard    name        {held: n}                           None: the held numbers dropped
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable

import requests

from screener import peer_apply, reporting
from screener.federation import misp, signing
from screener.federation.fetch import FeedClient
from screener.sealing import SecretSealer
from screener.store.federation import NAME, TRUST_LEVELS, Peer
from screener.store.reviews import ReviewError

if TYPE_CHECKING:
    from screener.services import Services

Clock = Callable[[], float]


class PeerError(Exception):
    """A partner command that was refused."""


@dataclass
class SyncResult:
    """What one sync did."""

    peer: str
    unchanged: bool = False
    fetched: int = 0  # event files fetched (changed or new)
    removed: int = 0  # events the partner dropped
    skipped: int = 0  # attributes that are not phone numbers we can use
    counts: peer_apply.ApplyCounts = field(default_factory=peer_apply.ApplyCounts)


def _sealer(svc: Services) -> SecretSealer:
    return SecretSealer([svc.settings.secret_key, svc.settings.secret_key_old])


def add(svc: Services, who: str, name: str, url: str, key: str, trust: str, token: str = "",
        clock: Clock = time.time) -> Peer:
    """Start trusting a partner's feed at `trust` (auto, review or warn)."""
    if not NAME.fullmatch(name):
        raise PeerError(f"{name!r}: a partner's name is 1-40 lower-case letters, digits and '-'")
    if trust not in TRUST_LEVELS:
        raise PeerError(f"{trust!r}: trust is one of {', '.join(TRUST_LEVELS)}")
    if not url.startswith(("https://", "http://")):
        raise PeerError(f"{url!r}: the feed's URL must start with https:// (http:// only for a test)")
    try:
        key = signing.check_public_key(key)
    except signing.SignatureError as exc:
        raise PeerError(f"--key: {exc}") from None
    peer = Peer(name, url, key, trust, _sealer(svc).seal(token, f"peer:{name}") if token else "", who, int(clock()))
    if not svc.peers.add(peer):
        raise PeerError(f"{name}: a partner of that name exists already (revert it first to replace it)")
    svc.audit.append(who, "peer.add", name, None, {"url": url, "key": key, "trust": trust, "token": bool(token)})
    return peer


def client_for(svc: Services, peer: Peer, session: requests.Session | None = None) -> FeedClient:
    token = _sealer(svc).open(peer.token_sealed, f"peer:{peer.name}")[0] if peer.token_sealed else ""
    return FeedClient(peer.url, peer.key, token, session)


def sync(svc: Services, who: str, peer: Peer, session: requests.Session | None = None,
         clock: Clock = time.time) -> SyncResult:
    """Pull the partner's feed: the manifest if it changed, then only the events whose timestamp changed.
    Every file must carry the partner's signature: one that does not (SignatureError) or cannot be read
    (FeedFormatError) refuses the whole sync, audited, with nothing of it applied."""
    feed = client_for(svc, peer, session)
    state = svc.peers.state(peer.name)
    try:
        manifest_file = feed.fetch("manifest.json", state.etag, state.last_modified)
        if manifest_file.data is None:
            return SyncResult(peer.name, unchanged=True)
        manifest = misp.read_manifest(manifest_file.data)
        known = state.events or {}
        changed = [u for u, ts in manifest.items() if known.get(u) != ts]
        events = [misp.read_event(_data(feed.fetch(f"{u}.json")), u) for u in changed]
    except (signing.SignatureError, misp.FeedFormatError) as exc:
        svc.audit.append(who, "peer.refused", peer.name, None, {"why": str(exc)})
        raise
    result = SyncResult(peer.name, fetched=len(events))
    for gone in [u for u in known if u not in manifest]:
        result.counts.withdrawn += peer_apply.withdraw(svc, peer.name, gone, svc.peers.event_numbers(peer.name, gone))
        svc.peers.record_event_numbers(peer.name, gone, set())
        result.removed += 1
    for event in events:
        numbers = {a.number for a in event.attributes}
        before = svc.peers.event_numbers(peer.name, event.uuid)
        if not numbers <= before:
            svc.peers.record_event_numbers(peer.name, event.uuid, before | numbers)  # first: a revert finds them
        result.counts.withdrawn += peer_apply.withdraw(svc, peer.name, event.uuid, before - numbers)
        result.counts.merge(peer_apply.apply(svc, peer.name, peer.trust, event.attributes, clock))
        if before - numbers:
            svc.peers.record_event_numbers(peer.name, event.uuid, numbers)
        result.skipped += event.skipped
    svc.peers.save_state(peer.name, manifest_file.etag, manifest_file.last_modified, int(clock()), manifest)
    svc.audit.append(who, "peer.sync", peer.name, {"events": len(known)},
                     {"fetched": result.fetched, "removed": result.removed, "skipped": result.skipped,
                      **asdict(result.counts)})
    return result


def _data(fetched) -> bytes:
    if fetched.data is None:  # an unconditional request answered 304: not a feed server we can trust
        raise misp.FeedFormatError("an event file came back `not modified` to a plain request")
    return fetched.data


def revert(svc: Services, who: str, name: str) -> int:
    """Take back everything a partner brought (entries at any trust, proposals, its never-block proposals,
    its reports waiting in the review queue, its evidence: votes flagged reverted and kept) and forget the partner, in one step; the audit log keeps
    its settings and what was taken. Add it again to trust it again."""
    peer = svc.peers.get(name)
    if peer is None:
        raise PeerError(f"{name}: no such partner")
    # Its evidence first, in one step with one audit entry (votes kept, flagged reverted; states follow).
    withdrawn = len(reporting.revert(svc, who, f"peer:{name}", f"partner {name} reverted"))
    for event in svc.peers.recorded_events(name):
        withdrawn += peer_apply.withdraw(svc, name, event, svc.peers.event_numbers(name, event), who)
    for change in svc.pending.all("neverblock.add"):
        if change.proposed_by == f"peer:{name}":
            withdrawn += svc.pending.take(change.id) is not None
    # Its numbers over the weekly quota wait in the review queue: rejected (their numbers erased), as a
    # curator would.
    for report in [r for r in svc.reviews.all_reports() if r.status == "open" and r.reported_by == f"peer:{name}"]:
        try:
            svc.reviews.decide(report.id, accepted=False, by=who, note=f"partner {name} reverted")
            withdrawn += 1
        except ReviewError:
            continue  # decided meanwhile
    withdrawn += svc.peers.discard_held(name)
    svc.peers.remove(name)
    before = {k: v for k, v in asdict(peer).items() if k != "token_sealed"}
    svc.audit.append(who, "peer.revert", name, before, {"withdrawn": withdrawn})
    return withdrawn


def release(svc: Services, who: str, name: str, limit: int, clock: Clock = time.time,
            progress: Callable[[int], None] = lambda n: None) -> peer_apply.ApplyCounts:
    """A curator counts up to `limit` of the numbers held over an auto partner's weekly quota as that
    partner's evidence (each through the report rules, as if within the quota); one audit entry."""
    _known(svc, name)
    before = svc.peers.held_count(name)
    counts = peer_apply.release(svc, name, limit, clock, progress)
    released = before - svc.peers.held_count(name)
    if released:
        svc.audit.append(who, "peer.release", name, {"held": before},
                         {"released": released, "added": counts.added, "blocked": counts.blocked,
                          "already": counts.already, "vetoed": counts.vetoed, "invalid": counts.invalid})
    return counts


def discard(svc: Services, who: str, name: str) -> int:
    """A curator drops every number held over a partner's weekly quota (they never become evidence here;
    the partner's next sync does not send them again unless it changes their event); one audit entry."""
    _known(svc, name)
    dropped = svc.peers.discard_held(name)
    if dropped:
        svc.audit.append(who, "peer.discard", name, {"held": dropped}, None)
    return dropped


def _known(svc: Services, name: str) -> None:
    if svc.peers.get(name) is None:
        raise PeerError(f"{name}: no such partner")
