"""Redis killed during a steady stream of signed calls to `screener serve` (gunicorn, two workers), then
started again on the same port with its data: every call answered, every blocklisted caller rejected, every
call logged exactly once, every alert sent once. The figures printed here are RELIABILITY.md's."""
import threading
import time

import pytest
import redis
import requests

from screener.config import load_settings
from screener.dev.simulate import SimulatedCall, post_signed
from screener.model import Line
from screener.services import Services
from screener.store.blocklist import EntryMeta
from tests.conftest import ACCOUNT_SID, ALERT_PHONE, AUTH_TOKEN, DESTINATION, LINE
from tests.integration.test_outage import Restartable

CALLS_PER_SECOND = 20
BEFORE, DOWN, AFTER = 2.0, 5.0, 2.0  # seconds of calls before the kill, while Redis is down, after the restart


def caller(i: int) -> tuple[str, bool]:
    """The i-th caller: every fifth a distinct blocklisted number, the others distinct ordinary ones."""
    if i % 5 == 0:
        return f"+3752910{i:05d}", True
    return f"+4420794{i:05d}", False


def send_calls(base: str, stop: threading.Event, sent: list) -> None:
    i = 0
    while not stop.is_set():
        number, blocked = caller(i)
        call = SimulatedCall(from_=number, to=LINE, account_sid=ACCOUNT_SID)
        started = time.monotonic()
        response = post_signed(base, "/voice/incoming", call.incoming_form(), AUTH_TOKEN)
        sent.append((call.sid, blocked, response.status_code, response.text, started))
        i += 1
        time.sleep(max(0.0, 1 / CALLS_PER_SECOND - (time.monotonic() - started)))


def logged(client: redis.Redis, sids: set[str]) -> list[str]:
    """The call stream's entries for these calls (one per logged call)."""
    return [f[b"sid"].decode() for _, f in client.xrange("scr:calls") if f[b"sid"].decode() in sids]


@pytest.mark.slow
def test_nothing_is_lost_when_redis_restarts_during_calls(env, monkeypatch, tmp_path, serve, outbox, run_worker):
    store = Restartable(tmp_path / "redis")
    monkeypatch.setenv("REDIS_URL", store.server.url)
    svc = Services.build(load_settings())
    svc.lines.save(Line(LINE, DESTINATION, "US", alert_sms=(ALERT_PHONE,)))
    svc.blocklist.add_many([caller(i)[0] for i in range(0, 2000, 5)], EntryMeta(reason="threats", added_by="test"))
    base = serve(workers=2)
    time.sleep(3)  # each worker's keeper reads the list once it has started

    stop, sent = threading.Event(), []
    sender = threading.Thread(target=send_calls, args=(base, stop, sent))
    sender.start()
    try:
        time.sleep(BEFORE)
        killed = time.monotonic()
        store.kill()
        time.sleep(DOWN)
        store.start()
        restarted = time.monotonic()
        client = redis.Redis.from_url(store.server.url)
        spooled = {sid for sid, *_ in list(sent)}
        while not spooled <= set(logged(client, spooled)) and time.monotonic() < restarted + 30:
            time.sleep(0.05)
        replayed_after = time.monotonic() - restarted  # until every call of the outage was in the log
        time.sleep(max(0.0, AFTER - replayed_after))
    finally:
        stop.set()
        sender.join()

    sids = {sid for sid, *_ in sent}
    deadline = time.monotonic() + 30
    while len(set(logged(client, sids))) < len(sids) and time.monotonic() < deadline:
        time.sleep(0.2)
    during = [s for s in sent if killed <= s[4] < restarted]
    in_log = logged(client, sids)
    blocked_sids = [sid for sid, blocked, *_ in sent if blocked]
    print(f"\nredis_restart: calls={len(sent)} during_outage={len(during)} answered_200="
          f"{sum(1 for s in sent if s[2] == 200)} logged_once={sum(1 for s in sids if in_log.count(s) == 1)} "
          f"lost={len(sids - set(in_log))} duplicated={len(in_log) - len(set(in_log))} "
          f"blocked={len(blocked_sids)} outage_calls_logged_s_after_restart={replayed_after:.2f}")

    assert during, "no call arrived while Redis was down"
    assert all(code == 200 for _, _, code, _, _ in sent)
    assert all("<Reject" in text for _, blocked, _, text, _ in sent if blocked)  # rejected, even while down
    assert sorted(in_log) == sorted(sids)  # every call logged, none twice
    records = {sid: client.hgetall(f"scr:call:{sid}") for sid in blocked_sids}
    assert all(r[b"action"] == b"block" and r[b"rule"] == b"blocklist" for r in records.values())
    assert any(r.get(b"spooled") == b"redis_unreachable" for r in records.values())

    metrics = requests.get(base + "/metrics", timeout=10).text  # both workers' files, summed
    assert "screener_spool_bytes 0.0" in metrics and 'screener_spooled_total{kind="call"}' in metrics
    assert "screener_local_lists_synced_timestamp_seconds" in metrics

    run_worker()
    tags = [m["body"].rsplit("[alert ", 1)[-1] for m in outbox.messages]
    assert len(outbox.messages) == len(blocked_sids) and len(set(tags)) == len(tags)  # one alert per blocked call
    store.kill()
