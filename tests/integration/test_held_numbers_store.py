"""The numbers held over an auto partner's weekly quota, as Redis keeps them: one appended record per event."""
from __future__ import annotations

from screener.store.federation import HeldNumber, Peer

AT = 1_700_000_000


def _held(event: str, *numbers: str, seen: int = 0) -> dict[str, HeldNumber]:
    return {n: HeldNumber(event, "threat", AT, seen) for n in numbers}


def test_holding_appends_per_event_and_counts(svc):
    svc.peers.hold("ngo", _held("ev-a", "+375291000001", "+375291000002"), AT)
    svc.peers.hold("ngo", {**_held("ev-a", "+375291000003", seen=2), **_held("ev-b", "+375291000004")}, AT + 60)
    assert svc.peers.held_counts("ngo") == {"ev-a": 3, "ev-b": 1} and svc.peers.held_count("ngo") == 4
    assert svc.peers.held_since("ngo") == AT  # the oldest
    assert svc.peers.held_in("ngo", "ev-a")["+375291000003"] == HeldNumber("ev-a", "threat", AT, 2)


def test_unholding_some_keeps_the_rest_and_the_last_one_clears_the_partner(svc):
    svc.peers.hold("ngo", _held("ev-a", "+375291000001", "+375291000002", "+375291000003"), AT)
    taken = svc.peers.unhold("ngo", "ev-a", {"+375291000002", "+375299999999"})
    assert list(taken) == ["+375291000002"]
    assert set(svc.peers.held_in("ngo", "ev-a")) == {"+375291000001", "+375291000003"}
    assert svc.peers.held_count("ngo") == 2
    assert len(svc.peers.unhold("ngo", "ev-a")) == 2
    assert svc.peers.held_counts("ngo") == {} and svc.peers.held_since("ngo") == 0


def test_discarding_and_forgetting_a_partner_leave_no_held_record(svc, redis_client):
    svc.peers.add(Peer("ngo", "https://ngo.example/feed/", "key", "auto"))
    svc.peers.hold("ngo", {**_held("ev-a", "+375291000001"), **_held("ev-b", "+375291000002")}, AT)
    assert svc.peers.discard_held("ngo") == 2
    svc.peers.hold("ngo", _held("ev-c", "+375291000003"), AT)
    svc.peers.remove("ngo")
    assert [k for k in redis_client.keys("*") if b"held" in k] == []
