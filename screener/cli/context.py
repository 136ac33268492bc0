"""What every `screener` command shares: settings, the Services registry, who is acting, arguments parsed
into numbers, addresses and URLs (a bad one is a click error naming the option)."""
from __future__ import annotations

import getpass
from datetime import datetime, timezone

import click

from typing import TYPE_CHECKING

from screener.config import ConfigError, Settings, load_settings
from screener.model import EMAIL, check_webhook_url
from screener.numbers import InvalidNumber, parse_number

if TYPE_CHECKING:
    from screener.services import Services


def settings() -> Settings:
    """The environment's settings, or a click error saying what is wrong with them."""
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def services() -> Services:
    """The Services registry on a Redis that answers, or a click error saying which Redis did not."""
    from screener.services import Services  # the stores, RQ and Flask: only for commands that need them
    from screener.store.connection import UNREACHABLE, NoRedisConfigured

    config = settings()
    try:
        svc = Services.build(config)
        svc.client.ping()
    except UNREACHABLE as exc:
        where = config.redis_url or "the embedded Redis"
        raise click.ClickException(f"cannot reach Redis at {where}: {exc}") from None
    except NoRedisConfigured as exc:
        raise click.ClickException(str(exc)) from None
    return svc


def require_redis(config: Settings) -> None:
    """For `serve` and `worker`: a production deployment (an https SCREENER_PUBLIC_URL) names its Redis;
    elsewhere an unset REDIS_URL means the running demo's embedded Redis, which they never start."""
    if not config.embedded_redis:
        return
    if (config.public_url or "").startswith("https://"):
        raise click.ClickException("REDIS_URL is unset, and SCREENER_PUBLIC_URL is https (a production "
                                   "deployment): set REDIS_URL (or REDIS_SENTINELS) to its Redis")
    from screener.store.embedded_redis import running_url

    if running_url(config.instance_path) is None:
        raise click.ClickException(f"REDIS_URL is unset and no screener demo runs in {config.instance_path}: "
                                   "start one there (./scripts/demo), or set REDIS_URL")


def actor() -> str:
    """Who the audit log names for a command: cli:<login>."""
    return f"cli:{getpass.getuser()}"


def counted(n: int, one: str, many: str | None = None) -> str:
    """`1 entry`, `2 entries`: a count with its noun in the right form (the command line speaks English)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def number_problem(text: str, exc: InvalidNumber) -> str:
    """Why `text` was refused, as a sentence saying what to do (the page's reason codes, in English)."""
    message = f"{text!r}: {exc}"
    if exc.reason == "needs_region":
        message += " Or give its country with --region, such as --region BY."
    return message


def number_arg(text: str, region: str | None, what: str) -> str:
    """An argument as an E.164 number, or a click error naming the option `what`."""
    try:
        return parse_number(text, region)
    except InvalidNumber as exc:
        raise click.BadParameter(number_problem(text, exc), param_hint=what) from None


def email_arg(text: str) -> str:
    """An argument as an e-mail address, or a click error."""
    address = text.strip()
    if not EMAIL.fullmatch(address):
        raise click.BadParameter(f"{text!r} is not an e-mail address", param_hint="--alert-email")
    return address


def webhook_url_arg(text: str) -> str:
    """An argument as an https webhook URL, or a click error."""
    try:
        return check_webhook_url(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--alert-webhook") from None


def when_arg(text: str | None, param: str) -> datetime | None:
    """An ISO 8601 date or time (UTC unless it names an offset), or a click error naming the option."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use a date or time such as 2026-11-01 or 2026-11-01T18:00",
                                 param_hint=param) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
