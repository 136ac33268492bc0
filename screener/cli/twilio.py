"""`screener twilio`: point each line's Twilio number at this service, and check that it still is."""
from __future__ import annotations

import sys

import click

from screener import twilio_numbers
from screener.cli.context import number_arg, services, settings


@click.group()
def twilio() -> None:
    """The webhooks set on the lines' Twilio numbers (REST IncomingPhoneNumbers)."""


def _numbers(number: str | None) -> list[str]:
    """The number given, or every configured line's number."""
    if number:
        return [number_arg(number, None, "--number")]
    found = sorted(services().lines.all())
    if not found:
        raise click.ClickException("no lines are configured: add one with `screener line add` first")
    return found


def _run(action, number: str):
    try:
        return action(settings(), number)
    except twilio_numbers.NotConfigurable as exc:
        raise click.ClickException(str(exc)) from None
    except twilio_numbers.NumberNotFound as exc:
        raise click.ClickException(f"{exc} (check TWILIO_ACCOUNT_SID and the number)") from None
    except twilio_numbers.TwilioUnavailable as exc:
        raise click.ClickException(f"{number}: {exc}") from None


@twilio.command("configure")
@click.option("--number", default=None, help="Only this line's Twilio number (E.164); default: every line's.")
def configure(number: str | None) -> None:
    """Set VoiceUrl, StatusCallback and VoiceFallbackUrl (all POST) on the numbers; print what changed."""
    for item in _numbers(number):
        changed = _run(twilio_numbers.configure, item)
        if not changed:
            click.echo(f"{item}: already configured")
        for setting in changed:
            click.echo(f"{item}: {setting.field}: {setting.actual or '(empty)'} -> {setting.expected}")


@twilio.command("check")
@click.option("--number", default=None, help="Only this line's Twilio number (E.164); default: every line's.")
def check(number: str | None) -> None:
    """Exit 1, naming each setting that differs, unless the numbers are set as `configure` sets them."""
    wrong = 0
    for item in _numbers(number):
        differing = [s for s in _run(twilio_numbers.check, item) if not s.matches]
        wrong += len(differing)
        for setting in differing:
            click.echo(f"{item}: {setting.field}: expected {setting.expected or '(empty)'}, "
                       f"actual {setting.actual or '(empty)'}")
        if not differing:
            click.echo(f"{item}: ok")
    if wrong:
        click.echo(f"{wrong} setting(s) differ: run `screener twilio configure`", err=True)
        sys.exit(1)
