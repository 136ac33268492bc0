"""`screener evidence`, `screener verify`, `screener recordings`: evidence packs, the tamper-evident chains,
recordings at rest."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from screener.cli.context import actor, counted, number_arg, services, when_arg


@click.group()
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

    if not (number or since or until):
        raise click.UsageError("give --number, or --since/--until, or both")
    query = PackQuery(number_arg(number, region, "--number") if number else None, when_arg(since, "--since"),
                      when_arg(until, "--until"))
    svc = services()
    data, manifest = build(svc, svc.recording_files, query)
    output.write_bytes(data)
    output.chmod(0o600)  # it holds decrypted recordings
    svc.audit.append(actor(), "evidence.export", str(query.number or "time span"), None, manifest["query"])
    click.echo(f"wrote {output}: {counted(manifest['calls'], 'call')}, {counted(manifest['recordings'], 'recording')}")
    for problem in manifest["problems"]:
        click.echo(f"warning: {problem}", err=True)


@click.command()
def verify() -> None:
    """Check the audit log and the evidence chain (sealed calls, archived recordings) and both against the
    signed checkpoints; exit 1 on any break."""

    svc = services()
    broken = False
    audit = svc.audit.verify()
    if audit.ok:
        click.echo(f"audit log: {counted(audit.entries, 'entry', 'entries')}, chain verifies")
    else:
        click.echo(f"audit log: chain BROKEN at entry {audit.first_bad} of {audit.entries}", err=True)
        broken = True
    evidence = svc.evidence.verify(svc.recording_files)
    if evidence.chain.ok:
        click.echo(f"evidence: {counted(evidence.chain.entries, 'entry', 'entries')} ({counted(evidence.calls, 'call')}, "
                   f"{counted(evidence.recordings, 'recording')}), chain verifies")
    else:
        click.echo(f"evidence: chain BROKEN at entry {evidence.chain.first_bad} of {evidence.chain.entries}", err=True)
        broken = True
    for problem in evidence.problems:
        click.echo(f"evidence: {problem}", err=True)
    checkpoints = svc.checkpoints.check()
    if checkpoints.latest is None and checkpoints.ok:
        click.echo("checkpoints: none yet, so a cut chain cannot be told (run `screener audit checkpoint`)")
    elif checkpoints.ok:
        click.echo(f"checkpoints: {checkpoints.checkpoints} signed, the latest at {checkpoints.latest.at}; "
                   f"the chains hold every checkpointed entry")
    for problem in checkpoints.problems:
        click.echo(f"checkpoints: {problem}", err=True)
    if broken or evidence.problems or checkpoints.problems:
        sys.exit(1)


@click.group()
def recordings() -> None:
    """Encrypted recordings at rest."""


@recordings.command("rotate")
def recordings_rotate() -> None:
    """Re-encrypt every stored recording with the first key of SCREENER_RECORDING_KEYS."""

    svc = services()
    files = svc.recording_files
    done = 0
    for sid in svc.recordings.all_sids():
        if files.exists(sid):
            files.rotate(sid)
            done += 1
    svc.audit.append(actor(), "recordings.rotate", f"{done} files")
    click.echo(f"re-encrypted {done} recordings with the newest key")
