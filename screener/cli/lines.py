"""`screener line`: protected lines, the Twilio number a public line is forwarded to."""
from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from screener.cli.context import actor, email_arg, number_arg, services, webhook_url_arg
from screener.model import BlockMode, Line, quiet_window
from screener.voice.prompts import SUPPORTED as SUPPORTED_LANGUAGES


@click.group()
def line() -> None:
    """Protected lines: the Twilio number a public line is forwarded to, and what to do with calls."""


@line.command("add")
@click.option("--number", required=True, help="The Twilio number (E.164) the public line is forwarded to.")
@click.option("--forward-to", required=True, help="Where ordinary calls ring (the press secretary's phone).")
@click.option("--country", required=True, help="Two-letter country code for national-format numbers.")
@click.option("--alert-sms", multiple=True, help="A number that gets an SMS when a blocked caller calls (repeatable).")
@click.option("--alert-email", multiple=True, help="An e-mail address for the line's alerts (repeatable).")
@click.option("--alert-webhook", default="", help="An https URL that gets the line's alerts as signed JSON.")
@click.option("--label", default="", help="A name for the line in alerts and pages.")
@click.option("--language", "languages", multiple=True, type=click.Choice(SUPPORTED_LANGUAGES),
              help="Language of the prompts callers hear, in order (repeatable; default en-US).")
@click.option("--block-mode", type=click.Choice([m.value for m in BlockMode]), default="reject", show_default=True,
              help="reject: busy tone; message: say --block-message; record: record the caller as evidence.")
@click.option("--block-message", default=None, help="What a blocked caller hears with --block-mode message.")
@click.option("--record/--no-record", default=False, show_default=True, help="Record forwarded calls (with a notice).")
@click.option("--screen-unverified/--no-screen-unverified", default=False, show_default=True,
              help="Screen callers whose STIR/SHAKEN check failed, even allowlisted ones.")
@click.option("--transcribe/--no-transcribe", default=False, show_default=True, help="Transcribe voicemail.")
@click.option("--star-on-forward/--no-star-on-forward", default=False, show_default=True,
              help="Forwarded calls too can be ended and reported with * (your phone then shows the line's "
                   "number; the caller's number is read out).")
@click.option("--retention-days", default=30, show_default=True, type=click.IntRange(1, 3650),
              help="How long the encrypted numbers of callers on no list are kept.")
@click.option("--timezone", default="UTC", show_default=True, help="The line's time zone (quiet hours, evidence packs).")
@click.option("--quiet-hours", default="", metavar="HH:MM-HH:MM",
              help="In the line's time zone: only trusted callers ring; others reach voicemail (e.g. 22:00-07:00).")
@click.option("--policy", "policies", multiple=True, metavar="CLASS=ACTION", help="e.g. ordinary=screen (repeatable).")
def line_add(number, forward_to, country, alert_sms, alert_email, alert_webhook, label, languages, block_mode,
             block_message, record, screen_unverified, transcribe, star_on_forward, retention_days, timezone,
             quiet_hours, policies) -> None:
    """Add a line, or replace its settings."""
    import phonenumbers

    country = country.upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise click.BadParameter(f"{country!r} is not a country code such as BY, PL, GB", param_hint="--country")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{timezone!r} is not a time zone such as Europe/Vilnius", param_hint="--timezone") from None
    try:
        quiet_window(quiet_hours)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quiet-hours") from None
    line_obj = Line(
        number=number_arg(number, country, "--number"),
        forward_to=number_arg(forward_to, country, "--forward-to"),
        country=country,
        alert_sms=tuple(number_arg(n, country, "--alert-sms") for n in alert_sms),
        alert_email=tuple(email_arg(a) for a in alert_email),
        alert_webhook=webhook_url_arg(alert_webhook) if alert_webhook else "",
        block_mode=BlockMode(block_mode),
        recording=record,
        label=label,
        languages=tuple(languages) or ("en-US",),
        screen_unverified=screen_unverified,
        transcribe=transcribe,
        star_on_forward=star_on_forward,
        retention_days=retention_days,
        timezone=timezone,
        quiet_hours=quiet_hours.strip(),
    )
    if block_message:
        line_obj = replace(line_obj, block_message=block_message)
    try:
        changes = dict(p.split("=", 1) for p in policies)
        line_obj = line_obj.with_policy(**changes)
    except ValueError as exc:
        raise click.BadParameter(str(exc) or "use CLASS=ACTION", param_hint="--policy") from None
    svc = services()
    before = svc.lines.get(line_obj.number)
    svc.lines.save(line_obj)
    svc.audit.append(actor(), "line.save", line_obj.number, before.to_json() if before else None, line_obj.to_json())
    click.echo(f"{'updated' if before else 'added'} line {line_obj.number} -> {line_obj.forward_to}")


@line.command("list")
def line_list() -> None:
    """List the lines."""
    for number, item in sorted(services().lines.all().items()):
        click.echo(f"{number}\t-> {item.forward_to}\t{item.country}\t{item.label}")
