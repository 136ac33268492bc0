"""Open the Redis connection the settings name: a URL, the master that Sentinels point at, or the
embedded server."""
from __future__ import annotations

from urllib.parse import urlsplit

import redis
from redis.sentinel import MasterNotFoundError, Sentinel

from screener.config import Settings

# Errors that mean "the store cannot be reached right now", as opposed to a bug. MasterNotFoundError
# is what a Sentinel-backed client raises while a failover is under way.
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError, MasterNotFoundError)
# What Redis answers a write with when it is at its maxmemory and evicts nothing (deploy/redis.conf):
# reads still work, so a caller can still be decided from the lists.
FULL = redis.exceptions.OutOfMemoryError


class NoRedisConfigured(RuntimeError):
    """REDIS_URL is unset and no embedded Redis runs: only `screener demo` starts one."""


def connect(settings: Settings, *, for_worker: bool = False) -> redis.Redis:
    """A client with short timeouts for the web process (a ringing phone cannot wait on Redis).

    With REDIS_SENTINELS the client asks the Sentinels for the current master on every new
    connection, so after a failover it follows the promoted replica; REDIS_URL then only supplies
    the password and database number."""
    timeout = None if for_worker else settings.redis_timeout
    connect_timeout = 5 if for_worker else settings.redis_timeout
    if settings.redis_sentinels:
        url = urlsplit(settings.redis_url or "redis://")
        database = int(url.path.lstrip("/") or 0)
        sentinel = Sentinel(list(settings.redis_sentinels), socket_timeout=connect_timeout,
                            sentinel_kwargs={"socket_timeout": connect_timeout})
        return sentinel.master_for(settings.redis_sentinel_master, socket_timeout=timeout,
                                   socket_connect_timeout=connect_timeout, db=database,
                                   password=url.password, username=url.username)
    url = settings.redis_url
    if not url:
        # Never started behind anyone's back: a command that finds no Redis says so.
        from screener.store.embedded_redis import running_url

        url = running_url(settings.instance_path)
        if url is None:
            raise NoRedisConfigured(f"REDIS_URL is unset and no screener demo runs in {settings.instance_path}: "
                                    "start one there (./scripts/demo), or set REDIS_URL")
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=connect_timeout,
                                health_check_interval=30)
