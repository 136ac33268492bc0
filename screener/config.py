"""Settings read from the environment once at start, validated, and frozen."""
from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"
ENV_FILE_NAME = "screener.env"


TRUE = {"1", "true", "yes", "on"}


class ConfigError(ValueError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Everything the processes read from the environment."""

    instance_path: Path
    redis_url: str | None
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_base: str
    public_url: str | None
    secret_key: str
    key_prefix: str = "scr:"
    trust_proxy: bool = False
    redis_timeout: float = 0.25
    recording_keys: tuple[str, ...] = ()
    recordings_dir: Path | None = None
    recordings_s3: str = ""  # s3://bucket/prefix: keep recordings (encrypted) in S3-compatible storage
    s3_endpoint_url: str = ""  # for S3-compatible services other than AWS (MinIO, Ceph, ...)
    campaign_window: int = 3600
    campaign_lines: int = 3
    campaign_calls: int = 5
    smtp_url: str = ""
    alert_email_from: str = "screener@localhost"
    alert_sms_from: str = ""
    alert_webhook_secret: str = ""
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str = "screener"
    log_level: str = "INFO"  # DEBUG adds one line per call decision to the service log
    hold_music_url: str = ""  # what a screened caller hears while the press secretary decides; "" = Twilio's
    fallback_url: str = ""  # the numbers' VoiceFallbackUrl: static TwiML on another host; "" = PUBLIC_URL/voice/fallback
    checkpoint_key: Path | None = None  # the Ed25519 key that signs checkpoints; None = instance/checkpoint.key
    checkpoints_file: Path | None = None  # where checkpoints are appended; None = instance/checkpoints.jsonl
    checkpoint_every: int = 50  # audit entries between the checkpoints the changes themselves set off
    checkpoint_email: tuple[str, ...] = ()  # addresses each checkpoint is mailed to (not in Redis, on purpose)
    secret_key_old: str = ""  # during a change of SCREENER_SECRET_KEY: the value before it, still accepted
    twilio_auth_token_old: str = ""  # during a change of TWILIO_AUTH_TOKEN: webhooks signed with it still pass
    redis_memory_percent: int = 80  # past this share of Redis's limit: no uploads or imports, admins alerted
    redis_memory_limit_mb: int = 0  # the limit when Redis has no maxmemory; 0 = the machine's memory
    spool_max_mb: int = 64  # each web process's spool of what Redis could not take (screener/spool.py)
    redis_wait_replicas: int = 0  # replicas a call's record must reach (WAIT) before it counts as safe
    redis_wait_ms: int = 50  # how long the webhook waits for them; short of them, the record is also spooled
    feed_key: Path | None = None  # the minisign secret key that signs our MISP feed (outside the instance folder)
    feed_dir: Path | None = None  # where `screener feed build` writes the feed; None = instance/feed
    feed_org: str = "screener"  # our organisation's name in the feed (MISP's Orgc)

    @property
    def recordings_path(self) -> Path:
        """Where encrypted recordings are kept (SCREENER_RECORDINGS_DIR, else instance/recordings)."""
        return self.recordings_dir or self.instance_path / "recordings"

    @property
    def checkpoint_key_path(self) -> Path:
        """The checkpoint signing key (SCREENER_CHECKPOINT_KEY, else instance/checkpoint.key): never in Redis."""
        return self.checkpoint_key or self.instance_path / "checkpoint.key"

    @property
    def checkpoints_path(self) -> Path:
        """The append-only file of signed checkpoints (SCREENER_CHECKPOINTS, else instance/checkpoints.jsonl)."""
        return self.checkpoints_file or self.instance_path / "checkpoints.jsonl"

    @property
    def feed_path(self) -> Path:
        """Where the feed is built and served from (SCREENER_FEED_DIR, else instance/feed)."""
        return self.feed_dir or self.instance_path / "feed"

    @property
    def embedded_redis(self) -> bool:
        """True when neither REDIS_URL nor REDIS_SENTINELS is configured: the embedded Redis is used."""
        return not self.redis_url and not self.redis_sentinels


def read_env_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines written by `screener demo`; blank lines and # comments are skipped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment, falling back to the instance folder's screener.env."""
    env = dict(os.environ if environ is None else environ)
    instance = Path(env.get("SCREENER_INSTANCE") or Path.cwd() / "instance").resolve()
    fallback = read_env_file(instance / ENV_FILE_NAME)

    def get(name: str, default: str = "") -> str:
        value = env.get(name)
        if value is None or value == "":
            value = fallback.get(name, default)
        return value

    public_url = get("SCREENER_PUBLIC_URL").rstrip("/") or None
    if public_url and not public_url.startswith(("http://", "https://")):
        raise ConfigError("SCREENER_PUBLIC_URL must start with http:// or https://")
    api_base = get("TWILIO_API_BASE", DEFAULT_TWILIO_API_BASE).rstrip("/")
    if not api_base.startswith(("http://", "https://")):
        raise ConfigError("TWILIO_API_BASE must start with http:// or https://")
    try:
        timeout = float(get("SCREENER_REDIS_TIMEOUT", "0.25"))
    except ValueError as exc:
        raise ConfigError("SCREENER_REDIS_TIMEOUT must be a number of seconds") from exc

    def whole(name: str, default: int) -> int:
        value = get(name, str(default))
        if not value.isdigit() or int(value) < 1:
            raise ConfigError(f"{name} must be a whole number of at least 1")
        return int(value)

    def count(name: str, default: int) -> int:
        value = get(name, str(default))
        if not value.isdigit():
            raise ConfigError(f"{name} must be a whole number (0 or more)")
        return int(value)

    def percent(name: str, default: int) -> int:
        value = whole(name, default)
        if value > 100:
            raise ConfigError(f"{name} must be a percentage, 1 to 100")
        return value

    memory_limit = get("SCREENER_REDIS_MEMORY_LIMIT_MB", "0")
    if not memory_limit.isdigit():
        raise ConfigError("SCREENER_REDIS_MEMORY_LIMIT_MB must be a whole number of megabytes (0: the machine's)")
    memory_limit = int(memory_limit)

    sentinels = []
    for item in filter(None, (part.strip() for part in get("REDIS_SENTINELS").split(","))):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"REDIS_SENTINELS: {item!r} is not host:port")
        sentinels.append((host.strip("[]"), int(port)))

    recordings_s3 = get("SCREENER_RECORDINGS_S3")
    if recordings_s3 and not recordings_s3.startswith("s3://"):
        raise ConfigError("SCREENER_RECORDINGS_S3 must look like s3://bucket/prefix")

    log_level = get("SCREENER_LOG_LEVEL", "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("SCREENER_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    hold_music_url = get("SCREENER_HOLD_MUSIC_URL")
    if hold_music_url and not hold_music_url.startswith("https://"):
        raise ConfigError("SCREENER_HOLD_MUSIC_URL must be an https:// URL (an MP3, a WAV or TwiML)")

    fallback_url = get("SCREENER_FALLBACK_URL")
    if fallback_url and not fallback_url.startswith(("http://", "https://")):
        raise ConfigError("SCREENER_FALLBACK_URL must be a URL (https:// for a real number: static TwiML)")

    smtp_url = get("SCREENER_SMTP_URL")
    if smtp_url and not smtp_url.startswith(("smtp://", "smtps://")):
        raise ConfigError("SCREENER_SMTP_URL must start with smtp:// or smtps://")
    return Settings(
        instance_path=instance,
        redis_url=get("REDIS_URL") or None,
        twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
        twilio_api_base=api_base,
        public_url=public_url,
        secret_key=get("SCREENER_SECRET_KEY"),
        secret_key_old=get("SCREENER_SECRET_KEY_OLD"),
        twilio_auth_token_old=get("TWILIO_AUTH_TOKEN_OLD"),
        key_prefix=get("SCREENER_KEY_PREFIX", "scr:"),
        trust_proxy=get("SCREENER_TRUST_PROXY", "0").lower() in {"1", "true", "yes"},
        redis_timeout=timeout,
        recording_keys=tuple(k.strip() for k in get("SCREENER_RECORDING_KEYS").split(",") if k.strip()),
        recordings_dir=Path(get("SCREENER_RECORDINGS_DIR")).resolve() if get("SCREENER_RECORDINGS_DIR") else None,
        recordings_s3=recordings_s3,
        s3_endpoint_url=get("SCREENER_S3_ENDPOINT_URL"),
        hold_music_url=hold_music_url,
        fallback_url=fallback_url,
        log_level=log_level,
        campaign_window=whole("SCREENER_CAMPAIGN_WINDOW", 3600),
        redis_memory_percent=percent("SCREENER_REDIS_MEMORY_PERCENT", 80),
        redis_memory_limit_mb=memory_limit,
        campaign_lines=whole("SCREENER_CAMPAIGN_LINES", 3),
        campaign_calls=whole("SCREENER_CAMPAIGN_CALLS", 5),
        smtp_url=smtp_url,
        alert_email_from=get("SCREENER_ALERT_EMAIL_FROM", "screener@localhost"),
        alert_sms_from=get("SCREENER_ALERT_SMS_FROM"),
        alert_webhook_secret=get("SCREENER_ALERT_WEBHOOK_SECRET"),
        redis_sentinels=tuple(sentinels),
        redis_sentinel_master=get("REDIS_SENTINEL_MASTER", "screener"),
        checkpoint_key=Path(get("SCREENER_CHECKPOINT_KEY")).resolve() if get("SCREENER_CHECKPOINT_KEY") else None,
        checkpoints_file=Path(get("SCREENER_CHECKPOINTS")).resolve() if get("SCREENER_CHECKPOINTS") else None,
        checkpoint_every=whole("SCREENER_CHECKPOINT_EVERY", 50),
        spool_max_mb=whole("SCREENER_SPOOL_MAX_MB", 64),
        redis_wait_replicas=count("SCREENER_REDIS_WAIT_REPLICAS", 0),
        redis_wait_ms=whole("SCREENER_REDIS_WAIT_MS", 50),
        checkpoint_email=tuple(a.strip() for a in get("SCREENER_CHECKPOINT_EMAIL").split(",") if a.strip()),
        feed_key=Path(get("SCREENER_FEED_KEY")).resolve() if get("SCREENER_FEED_KEY") else None,
        feed_dir=Path(get("SCREENER_FEED_DIR")).resolve() if get("SCREENER_FEED_DIR") else None,
        feed_org=get("SCREENER_FEED_ORG", "screener"),
    )


def require_secrets(settings: Settings) -> None:
    """Refuse to serve webhooks without the secrets that make them safe."""
    missing = [
        name
        for name, value in (
            ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
            ("SCREENER_SECRET_KEY", settings.secret_key),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            "missing required setting(s): " + ", ".join(missing)
            + " (set them in the environment; `screener demo` generates local ones)"
        )
    if len(settings.secret_key) < 32:
        raise ConfigError("SCREENER_SECRET_KEY must be at least 32 characters")
    if settings.secret_key_old and settings.secret_key_old == settings.secret_key:
        raise ConfigError("SCREENER_SECRET_KEY_OLD is the value being replaced: it must differ from SCREENER_SECRET_KEY")


@dataclass(frozen=True)
class WebSettings:
    """Session lifetimes, the admin second factor, upload size."""

    require_admin_totp: bool = False
    session_idle_seconds: int = 30 * 60
    session_max_seconds: int = 12 * 3600
    upload_max_bytes: int = 32 * 1024 * 1024  # one file (413 above it)
    upload_daily_bytes: int = 100 * 1024 * 1024  # what one volunteer may upload per UTC day
    sync_import_max_bytes: int = 256 * 1024
    two_person_rule: bool = False  # what lets an intimidator through lands only once a second person confirms
    # Client networks that may reach the volunteers' pages (empty: any); webhooks and health never filtered.
    page_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()


def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip())
    except ValueError as exc:
        raise ConfigError(f"SCREENER_PAGE_NETWORKS: {exc} (give networks such as 10.8.0.0/24,2001:db8::/48)") from None


def load_web_settings(settings: Settings) -> WebSettings:
    """The web page's settings, from the environment or the instance's screener.env."""
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

    def megabytes(name: str, default: int) -> int:
        try:
            value = int(get(name, str(default)))
        except ValueError:
            raise ConfigError(f"{name} must be a whole number of megabytes") from None
        if value < 1:
            raise ConfigError(f"{name} must be at least 1")
        return value * 1024 * 1024

    return WebSettings(
        # In production (an https public URL) admins need a second factor unless the operator says otherwise.
        require_admin_totp=get("SCREENER_REQUIRE_ADMIN_TOTP",
                               "1" if (settings.public_url or "").startswith("https://") else "0").lower() in TRUE,
        session_idle_seconds=minutes("SCREENER_SESSION_IDLE_MINUTES", 30),
        session_max_seconds=minutes("SCREENER_SESSION_MAX_MINUTES", 12 * 60),
        two_person_rule=get("SCREENER_TWO_PERSON_RULE", "0").lower() in TRUE,
        page_networks=_networks(get("SCREENER_PAGE_NETWORKS", "")),
        upload_max_bytes=megabytes("SCREENER_UPLOAD_MAX_MB", 32),
        upload_daily_bytes=megabytes("SCREENER_UPLOAD_DAILY_MB", 100),
    )


def configure_logging(settings: Settings) -> None:
    """The service log at SCREENER_LOG_LEVEL, for the web process and the worker alike. Twilio's HTTP client
    logs every request, with its call and recording ids, at INFO: only at DEBUG does it reach our log
    (the call log in Redis is the record of calls, and expires; journald would keep them)."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("twilio.http_client").setLevel(logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING)
