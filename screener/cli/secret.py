"""`screener secret`: changing SCREENER_SECRET_KEY without losing what was stored under the old value."""
from __future__ import annotations

import sys

import click

from screener.cli.context import actor, services


def _line(what: str, tally, moved: str) -> str:
    parts = [f"{tally.moved} {moved}", f"{tally.current} already under SCREENER_SECRET_KEY"]
    if tally.left:
        parts.append(f"{tally.left} left as they are (nothing to re-key them with, or changed meanwhile)")
    if tally.unreadable:
        parts.append(f"{tally.unreadable} UNREADABLE with either secret")
    return f"{what}: " + ", ".join(parts)


@click.group()
def secret() -> None:
    """Changing SCREENER_SECRET_KEY: move stored data from the old value to the new one."""


@secret.command("rewrap")
def secret_rewrap() -> None:
    """Re-encrypt stored numbers, recordings and TOTP secrets and re-link callers under SCREENER_SECRET_KEY,
    so that SCREENER_SECRET_KEY_OLD can then be dropped; safe to run again or to resume after a stop."""
    from screener.secret_rewrap import rewrap

    svc = services()
    if not svc.settings.secret_key:
        raise click.ClickException("SCREENER_SECRET_KEY is not set: it is the key everything is moved under")
    if not svc.settings.secret_key_old:
        click.echo("SCREENER_SECRET_KEY_OLD is not set: checking that everything is under SCREENER_SECRET_KEY")
    report = rewrap(svc)
    lines = [
        _line("numbers in the call log", report.numbers, "re-encrypted"),
        _line("voicemail transcriptions", report.transcriptions, "re-encrypted"),
        _line("reports in the review queue", report.reports, "re-encrypted or re-linked"),
        _line("callers", report.callers, "re-linked"),
        _line("two-step sign-in secrets", report.totp_secrets, "sealed anew"),
        _line("partners' feed tokens", report.peer_tokens, "sealed anew"),
        "recordings: encrypted with SCREENER_RECORDING_KEYS, not the server secret (see `screener recordings "
        "rotate`)" if report.recordings_own_keys else _line("recordings", report.recordings, "re-encrypted"),
    ]
    for line in lines:
        click.echo(line)
    svc.audit.append(actor(), "secret.rewrap", "SCREENER_SECRET_KEY", None, {
        name: vars(getattr(report, name))
        for name in ("numbers", "transcriptions", "reports", "callers", "recordings", "totp_secrets", "peer_tokens")})
    if not report.ok:
        click.echo("Some items open with neither SCREENER_SECRET_KEY nor SCREENER_SECRET_KEY_OLD: is "
                   "SCREENER_SECRET_KEY_OLD the value used before the change? They were left as they are; keep "
                   "the old value configured until a run reports none.", err=True)
        sys.exit(1)
    if svc.settings.secret_key_old:
        click.echo("Everything readable is under SCREENER_SECRET_KEY now; see README \"Rotating "
                   "SCREENER_SECRET_KEY\" for when to drop SCREENER_SECRET_KEY_OLD.")
