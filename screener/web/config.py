"""Where the web page's rate limits keep their counters (its settings are screener.config.WebSettings)."""
from __future__ import annotations

from screener.config import Settings


def limiter_storage_uri(settings: Settings) -> str:
    """Where Flask-Limiter keeps its counters: the same Redis as everything else."""
    if settings.redis_url:
        url = settings.redis_url
        return "redis+unix://" + url[len("unix://"):] if url.startswith("unix://") else url
    from screener.store.embedded_redis import socket_path

    return f"redis+unix://{socket_path(settings.instance_path)}"
