"""A redis-server owned by one benchmark: a free port on 127.0.0.1, no persistence, production's listpack limits."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from screener.store.redis_process import STOP_SECONDS, RedisProcess, RedisStartError


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


class RedisServer(RedisProcess):
    """A benchmark's redis-server in a temporary directory of its own; stop() also removes the directory."""

    def used_memory(self) -> int:
        return int(self.client().info("memory")["used_memory"])

    def stop(self, seconds: float = STOP_SECONDS) -> None:
        super().stop(seconds)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis(*extra: str) -> RedisServer:
    """Start redis-server on a free loopback port and wait until it answers.

    No persistence (the figures are about the data set, not the disk), production's listpack limits.
    """
    server = RedisServer(Path(tempfile.mkdtemp(prefix="screener-bench-redis-")), *production_tuning(), *extra)
    try:
        return server.start()
    except RedisStartError:
        server.stop()
        raise
