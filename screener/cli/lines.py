"""`screener line`: protected lines, the Twilio number a public line is forwarded to."""
from __future__ import annotations

import click

from screener import lines
from screener.cli.context import actor, services
from screener.model import BlockMode
from screener.store.pending import PendingChange
from screener.voice.prompts import SUPPORTED as SUPPORTED_LANGUAGES
from screener.voice.prompts import VOICES

# The option that sets each field of a line, for errors that name it.
OPTION_OF = {
    "number": "--number", "forward_to": "--forward-to", "country": "--country", "alert_sms": "--alert-sms",
    "alert_email": "--alert-email", "alert_webhook": "--alert-webhook", "label": "--label",
    "languages": "--language", "block_mode": "--block-mode", "block_message": "--block-message",
    "retention_days": "--retention-days", "timezone": "--timezone", "quiet_hours": "--quiet-hours",
    "policy": "--policy", "voices": "--voice", "transcribe": "--transcribe", "stir_verified": "--stir-verified",
}


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
@click.option("--stir-verified", type=click.Choice(lines.STIR_LEVELS), default="AB", show_default=True,
              help="With --screen-unverified: the STIR/SHAKEN attestation levels that count as verified.")
@click.option("--stir-missing-unverified/--stir-missing-verified", default=True, show_default=True,
              help="With --screen-unverified: a North American (+1) call without a STIR/SHAKEN verdict counts as "
                   "unverified.")
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
@click.option("--voice", "voices", multiple=True, metavar="LANGUAGE=VOICE",
              help="A Twilio voice for one of the languages, e.g. ru-RU=Polly.Maxim (repeatable; " + "; ".join(
                  f"{language}: {', '.join(names)}" for language, names in VOICES.items()) + ").")
def line_add(number, forward_to, country, alert_sms, alert_email, alert_webhook, label, languages, block_mode,
             block_message, record, screen_unverified, stir_verified, stir_missing_unverified, transcribe,
             star_on_forward, retention_days, timezone, quiet_hours, policies, voices) -> None:
    """Add a line, or replace its settings."""
    try:
        line_obj = lines.build(lines.LineInput(
            number=number, forward_to=forward_to, country=country, alert_sms=alert_sms, alert_email=alert_email,
            alert_webhook=alert_webhook, label=label, languages=languages, block_mode=block_mode,
            block_message=block_message or "", recording=record, screen_unverified=screen_unverified,
            stir_verified=stir_verified, stir_missing_unverified=stir_missing_unverified,
            transcribe=transcribe, star_on_forward=star_on_forward, retention_days=retention_days,
            timezone=timezone, quiet_hours=quiet_hours, policy=lines.policy_from_text(policies),
            voices=lines.pairs_from_text(voices, "voices", "LANGUAGE=VOICE")))
    except lines.InvalidLine as exc:
        first = exc.errors[0]
        raise click.BadParameter(first.message, param_hint=OPTION_OF[first.field]) from None
    try:
        before = lines.save_or_propose(services(), actor(), line_obj)
    except lines.LinePending as exc:
        raise click.ClickException(str(exc)) from None
    if isinstance(before, PendingChange):
        click.echo(f"proposed changing line {line_obj.number} (forward-to {before.before['forward_to']} -> "
                   f"{line_obj.forward_to}, or its policy): a second admin must confirm it on the web page "
                   "(/lines)")
        return
    click.echo(f"{'updated' if before else 'added'} line {line_obj.number} -> {line_obj.forward_to}")
    click.echo(f"next: point the Twilio number at this service with `screener twilio configure --number "
               f"{line_obj.number}` (then `screener twilio check`)")


@line.command("list")
def line_list() -> None:
    """List the lines."""
    for number, item in sorted(services().lines.all().items()):
        click.echo(f"{number}\t-> {item.forward_to}\t{item.country}\t{item.label}")
