"""The one redis-server launcher that the embedded server, the tests and the benchmarks share."""
import os
import signal
import time

import pytest
import redis

from screener.store.redis_process import RedisProcess, RedisStartError


def process_exists(pid: int) -> bool:
    """True while pid names a process, a zombie that nobody reaped included."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_server_on_a_free_port_answers_ping(tmp_path):
    with RedisProcess(tmp_path) as server:
        client = redis.Redis.from_url(server.url)

        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        assert client.ping() is True
        assert client.config_get("bind")["bind"] == "127.0.0.1"
        client.close()


def test_a_server_on_a_unix_socket_answers_ping_and_listens_on_no_port(tmp_path):
    socket_file = tmp_path / "redis.sock"
    with RedisProcess(tmp_path, unix_socket=socket_file) as server:
        client = redis.Redis.from_url(server.url)

        assert server.url == f"unix://{socket_file}"
        assert client.ping() is True
        assert client.config_get("port")["port"] == "0"
        assert oct(socket_file.stat().st_mode & 0o777) == "0o600"
        client.close()


def test_extra_arguments_reach_the_server(tmp_path):
    with RedisProcess(tmp_path, "--maxmemory", "4mb") as server:
        assert server.client().config_get("maxmemory")["maxmemory"] == str(4 * 1024 * 1024)


@pytest.mark.parametrize("listen", ["port", "unix socket"])
def test_stop_leaves_no_process_behind(tmp_path, listen):
    socket_file = tmp_path / "redis.sock" if listen == "unix socket" else None
    server = RedisProcess(tmp_path, unix_socket=socket_file).start()
    pid = server.pid
    assert process_exists(pid)

    server.stop()

    assert not process_exists(pid)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(server.url, socket_connect_timeout=1).ping()


def test_stop_kills_a_server_that_does_not_exit_in_time(tmp_path):
    server = RedisProcess(tmp_path).start()
    pid = server.pid
    os.kill(pid, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM, as a hung one would not
    began = time.monotonic()

    server.stop(seconds=0.5)

    assert not process_exists(pid)
    assert time.monotonic() - began < 5


def test_a_server_that_cannot_start_is_reported_with_what_it_logged(tmp_path):
    server = RedisProcess(tmp_path, "--no-such-directive", "yes")

    with pytest.raises(RedisStartError, match="no-such-directive"):
        server.start()

    assert not process_exists(server.pid)
