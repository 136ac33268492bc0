"""An embedded redis-server under the instance folder, for the demo and for REDIS_URL left unset."""
from __future__ import annotations

import subprocess
from pathlib import Path

import redis

from screener.store.redis_process import (RedisAddress, RedisStartError, answers, redis_binary,
                                          server_command, wait_until_answering)


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server could not be started."""


def socket_path(instance: Path) -> Path:
    return instance / "redis.sock"


def _address(instance: Path) -> RedisAddress:
    return RedisAddress(unix_socket=socket_path(instance))


def running_url(instance: Path) -> str | None:
    """The URL of the embedded server when it runs (started by `screener demo`), else None."""
    return _address(instance).url if is_running(instance) else None


def is_running(instance: Path) -> bool:
    """True when the embedded server answers on its socket."""
    return socket_path(instance).exists() and answers(_address(instance).probe(0.5))


def ensure_running(instance: Path) -> str:
    """Start the embedded server (append-only file, unix socket only) unless it runs; return its URL."""
    address = _address(instance)
    if is_running(instance):
        return address.url
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    socket_path(instance).unlink(missing_ok=True)
    try:
        binary = redis_binary()
    except RedisStartError as exc:
        raise EmbeddedRedisError(str(exc)) from None
    # Daemonised, so that it outlives the command that started it: `screener serve`, `screener worker` and
    # the next `screener demo` all use the same server.
    subprocess.run(
        server_command(binary, instance, address, "--daemonize", "yes", "--pidfile", str(instance / "redis.pid"),
                       append_only=True),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if not wait_until_answering(address.probe(0.5)):
        raise EmbeddedRedisError(f"embedded redis-server did not start; see {instance / 'redis.log'}")
    return address.url


def stop(instance: Path) -> None:
    """Ask the embedded server to exit; it writes out its append-only file first."""
    if not is_running(instance):
        return
    try:
        _address(instance).client().shutdown()
    except (redis.ConnectionError, OSError):
        pass  # shutdown closes the connection under us: that is the success case
