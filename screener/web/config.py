"""Settings of the volunteers' web page, read once at start from the environment (or screener.env)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from screener.config import ENV_FILE_NAME, ConfigError, Settings, read_env_file

TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class WebSettings:
    """Session lifetimes, the admin second factor, upload size."""

    require_admin_totp: bool = False
    session_idle_seconds: int = 30 * 60
    session_max_seconds: int = 12 * 3600
    upload_max_bytes: int = 32 * 1024 * 1024
    sync_import_max_bytes: int = 256 * 1024
    two_person_rule: bool = False  # an entry added on the page is active only once a second curator confirms


def load_web_settings(settings: Settings) -> WebSettings:
    fallback = read_env_file(settings.instance_path / ENV_FILE_NAME)

    def get(name: str, default: str) -> str:
        return os.environ.get(name) or fallback.get(name) or default

    def minutes(name: str, default: int) -> int:
        try:
            value = int(get(name, str(default)))
        except ValueError:
            raise ConfigError(f"{name} must be a whole number of minutes") from None
        if value < 1:
            raise ConfigError(f"{name} must be at least 1")
        return value * 60

    return WebSettings(
        require_admin_totp=get("SCREENER_REQUIRE_ADMIN_TOTP", "0").lower() in TRUE,
        session_idle_seconds=minutes("SCREENER_SESSION_IDLE_MINUTES", 30),
        session_max_seconds=minutes("SCREENER_SESSION_MAX_MINUTES", 12 * 60),
        two_person_rule=get("SCREENER_TWO_PERSON_RULE", "0").lower() in TRUE,
    )


def limiter_storage_uri(settings: Settings) -> str:
    """Where Flask-Limiter keeps its counters: the same Redis as everything else."""
    if settings.redis_url:
        url = settings.redis_url
        return "redis+unix://" + url[len("unix://"):] if url.startswith("unix://") else url
    from screener.embedded_redis import socket_path

    return f"redis+unix://{socket_path(settings.instance_path)}"
