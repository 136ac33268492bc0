"""Redis with Sentinel: the app finds the master through the Sentinels, keeps answering calls while the
master is gone, and follows the promoted replica after the failover."""
import subprocess
import time

import pytest
import redis

from screener import create_app
from screener.config import load_settings
from screener.model import Line
from screener.store.redis_process import RedisProcess, free_port, redis_binary
from tests.conftest import DESTINATION, LINE, Twilio


def wait_until(check, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (redis.RedisError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def sentinel_pair(tmp_path):
    """A master, its replica, and one Sentinel with short timers (quorum 1)."""
    master = RedisProcess(tmp_path / "m").start()
    replica = RedisProcess(tmp_path / "r", "--replicaof", "127.0.0.1", str(master.port)).start()
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(f"sentinel monitor screener 127.0.0.1 {master.port} 1\n"
                    "sentinel down-after-milliseconds screener 500\n"
                    "sentinel failover-timeout screener 3000\n")
    sentinel = subprocess.Popen([redis_binary(prefer_system=True), str(conf), "--sentinel", "--port", str(port),
                                 "--bind", "127.0.0.1", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    wait_until(lambda: redis.Redis(port=replica.port).info("replication")["master_link_status"] == "up",
               "the replica to sync")
    yield master, replica, port
    sentinel.kill()
    sentinel.wait()
    for server in (master, replica):
        server.kill()


@pytest.mark.slow
def test_calls_are_answered_through_a_failover(env, monkeypatch, sentinel_pair):
    master, replica, sentinel_port = sentinel_pair
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.setenv("REDIS_SENTINELS", f"127.0.0.1:{sentinel_port}")
    app = create_app({"TESTING": True}, settings=load_settings())
    app.extensions["screener"].lines.save(Line(LINE, DESTINATION, "US"))
    twilio = Twilio(app.test_client())
    assert b"<Dial" in twilio.call("+442079460123").data
    wait_until(lambda: redis.Redis(port=replica.port).exists("scr:lines"), "the line to reach the replica")

    master.kill()
    during = twilio.call("+442079460123")
    assert during.status_code == 200 and b"<Record" in during.data  # screened, never an error

    promoted = redis.Sentinel([("127.0.0.1", sentinel_port)])
    wait_until(lambda: promoted.discover_master("screener")[1] == replica.port, "the replica's promotion")

    def forwarded():
        response = twilio.call("+442079460123")
        return response if b"<Dial" in response.data else None

    assert wait_until(forwarded, "calls to be forwarded again").status_code == 200
    assert len(app.extensions["screener"].calls.recent()) >= 2  # logged on the new master


@pytest.mark.slow
def test_no_call_record_is_lost_or_doubled_by_a_failover(env, monkeypatch, sentinel_pair):
    """Calls before, during and after the master's death: each one's record is on the promoted replica once.
    Before: written with WAIT for the replica; during: spooled, replayed once the new master answers."""
    master, replica, sentinel_port = sentinel_pair
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.setenv("REDIS_SENTINELS", f"127.0.0.1:{sentinel_port}")
    monkeypatch.setenv("SCREENER_REDIS_WAIT_REPLICAS", "1")
    app = create_app({"TESTING": True}, settings=load_settings())
    svc, outage = app.extensions["screener"], app.extensions["screener.outage"]
    svc.lines.save(Line(LINE, DESTINATION, "US"))
    outage.start(period=0.2)  # as screener/wsgi.py does in every web process
    twilio = Twilio(app.test_client())
    sids = [twilio.call(f"+4420794{i:05d}").sim.sid for i in range(30)]  # every one confirmed by WAIT

    killed = time.monotonic()
    master.kill()
    promoted = redis.Sentinel([("127.0.0.1", sentinel_port)])
    during = 0
    def still_failing_over() -> bool:
        try:
            return promoted.discover_master("screener")[1] != replica.port
        except redis.sentinel.MasterNotFoundError:
            return True

    while still_failing_over():
        sids.append(twilio.call(f"+4420795{len(sids):05d}").sim.sid)
        during += 1
        assert time.monotonic() - killed < 30, "no promotion"
    promoted_after = time.monotonic() - killed
    sids += [twilio.call(f"+4420796{i:05d}").sim.sid for i in range(30)]
    new_master = redis.Redis(port=replica.port)

    def logged() -> list[str]:
        return [f[b"sid"].decode() for _, f in new_master.xrange("scr:calls")]

    wait_until(lambda: set(sids) <= set(logged()), "every call to be on the new master")
    outage.stop()
    in_log = logged()
    lost, doubled = len(set(sids) - set(in_log)), len(in_log) - len(set(in_log))
    print(f"\nfailover: calls={len(sids)} during={during} promoted_after_s={promoted_after:.1f} "
          f"lost={lost} duplicated={doubled}")
    assert during > 0 and (lost, doubled) == (0, 0)
