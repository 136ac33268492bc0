"""`screener evidence export`: an evidence pack for a number or a span of time."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from screener.cli import _actor, _number, _services, main


def _when(text: str | None, param: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use a date or time such as 2026-11-01 or 2026-11-01T18:00",
                                 param_hint=param) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@main.group()
def evidence() -> None:
    """Evidence packs for lawyers, the police or NGOs."""


@evidence.command("export")
@click.option("--number", default=None, help="Every call from this number (any common format).")
@click.option("--since", default=None, help="From this date/time (UTC unless an offset is given).")
@click.option("--until", default=None, help="Up to this date/time.")
@click.option("--region", default=None, help="Country for a number in national format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The ZIP to write.")
def evidence_export(number, since, until, region, output: Path) -> None:
    """Write a ZIP: calls (CSV, JSON; UTC and line time), decrypted recordings, audit entries, SHA-256 manifest."""
    from screener.evidence_pack import PackQuery, build
    from screener.recording_files import RecordingFiles

    if not (number or since or until):
        raise click.UsageError("give --number, or --since/--until, or both")
    query = PackQuery(_number(number, region, "--number") if number else None, _when(since, "--since"),
                      _when(until, "--until"))
    svc = _services()
    data, manifest = build(svc, RecordingFiles.from_settings(svc.settings), query)
    output.write_bytes(data)
    output.chmod(0o600)  # it holds decrypted recordings
    svc.audit.append(_actor(), "evidence.export", str(query.number or "time span"), None, manifest["query"])
    click.echo(f"wrote {output}: {manifest['calls']} calls, {manifest['recordings']} recordings")
    for problem in manifest["problems"]:
        click.echo(f"warning: {problem}", err=True)
