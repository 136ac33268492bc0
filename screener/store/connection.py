"""Open the Redis connection the settings name (or the embedded one)."""
from __future__ import annotations

import redis

from screener.config import Settings

# Errors that mean "the store cannot be reached right now", as opposed to a bug.
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


def connect(settings: Settings, *, for_worker: bool = False) -> redis.Redis:
    """A client with short timeouts for the web process (a ringing phone cannot wait on Redis)."""
    url = settings.redis_url
    if not url:
        from screener.embedded_redis import ensure_running

        url = ensure_running(settings.instance_path)
    timeout = None if for_worker else settings.redis_timeout
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=settings.redis_timeout if not for_worker else 5,
        health_check_interval=30,
    )
