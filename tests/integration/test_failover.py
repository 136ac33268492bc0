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
