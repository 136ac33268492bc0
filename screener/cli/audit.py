"""`screener audit`: signed checkpoints of the audit and evidence chains, and the key that checks them."""
from __future__ import annotations

import json

import click

from screener.checkpoints import CheckpointError
from screener.cli.context import services


@click.group()
def audit() -> None:
    """Signed checkpoints that anchor the audit and evidence chains outside Redis."""


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign both chains' entry counts and head hashes now and append the checkpoint to the file."""
    svc = services()
    try:
        checkpoint = svc.checkpoints.make()
    except CheckpointError as exc:
        raise click.ClickException(f"not signed: {exc}") from None
    click.echo(json.dumps({**checkpoint.body, "signature": checkpoint.signature}, sort_keys=True))
    click.echo(f"appended to {svc.checkpoints.file_path} (line {checkpoint.line})")
    click.echo(f"public key: {checkpoint.body['key']}")


@audit.command("public-key")
def audit_public_key() -> None:
    """Print the public key (base64, raw Ed25519) that checks the checkpoints; made on first use."""
    svc = services()
    click.echo(svc.checkpoints.public_key())
