"""`screener backup` and `screener restore`: a consistent copy of the instance, and its return into an empty one."""
from __future__ import annotations

from pathlib import Path

import click

from screener.cli.context import actor, services


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup(folder: Path) -> None:
    """Write a consistent copy of Redis, recordings and checkpoints into FOLDER (new or empty), with a manifest
    of checksums. Never the secret key: keep SCREENER_SECRET_KEY and checkpoint.key elsewhere."""
    from screener.backup import BackupError, take

    svc = services()
    try:
        manifest = take(svc.settings, svc.client, folder)
    except (BackupError, OSError) as exc:
        raise click.ClickException(f"no backup taken: {exc}") from None
    counts = manifest.body["counts"]
    svc.audit.append(actor(), "backup.take", str(folder), None, counts)
    click.echo(f"backed up to {folder}: {counts['redis_keys']} Redis keys ({counts['blocklist_entries']} blocklist "
               f"entries, {counts['audit_entries']} audit and {counts['evidence_entries']} evidence entries), "
               f"{counts['recordings']} recordings, {counts['uploads']} uploads, {counts['checkpoints']} checkpoints")
    if manifest.body["recordings_s3"]:
        click.echo(f"recordings are kept in {manifest.body['recordings_s3']}: back that bucket up too", err=True)


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore(folder: Path) -> None:
    """Restore a backup from FOLDER into an empty instance, after checking every checksum; then run
    `screener verify`."""
    from screener.backup import BackupError, PartialRestore, restore as put_back

    svc = services()
    try:
        manifest = put_back(svc.settings, svc.client, folder)
    except (PartialRestore, OSError) as exc:
        raise click.ClickException(f"restore stopped: {exc}") from None
    except BackupError as exc:
        raise click.ClickException(f"nothing restored: {exc}") from None
    counts = manifest.body["counts"]
    svc.audit.append(actor(), "backup.restore", str(folder), None, counts)
    click.echo(f"restored {counts['redis_keys']} Redis keys, {counts['recordings']} recordings, "
               f"{counts['uploads']} uploads and {counts['checkpoints']} checkpoints from {folder}; "
               "now run `screener verify`")
