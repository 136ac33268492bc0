"""`screener api token ...`: tokens of the JSON API under /api/v1/."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from screener import api_tokens
from screener.cli.context import actor, services


@click.group()
def api() -> None:
    """The JSON API under /api/v1/: its tokens."""


@api.group("token")
def token() -> None:
    """Scoped, hashed, revocable API tokens."""


@token.command("add")
@click.argument("owner")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(api_tokens.SCOPES),
              help="What the token may do; repeat for several.")
@click.option("--label", default="", help="Where the token is used, e.g. the partner's bot.")
def token_add(owner, scopes, label) -> None:
    """Make a token for an account (its reports count as that person's). The token is shown only now."""
    try:
        secret, record = api_tokens.create(services(), actor(), owner, list(scopes), label)
    except api_tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(secret)
    click.echo(f"token {record.id} for {owner}: {', '.join(record.scopes)} (shown once: keep it now)", err=True)


@token.command("revoke")
@click.argument("token_id")
def token_revoke(token_id) -> None:
    """Revoke a token by its id (from `screener api token list`); it stops working at once."""
    try:
        api_tokens.revoke(services(), actor(), token_id)
    except api_tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"revoked {token_id}")


@token.command("list")
def token_list() -> None:
    """Every token: id, owner, scopes, label, made, revoked."""
    for record in sorted(services().api_tokens.all().values(), key=lambda t: t.created_at):
        made = datetime.fromtimestamp(record.created_at, timezone.utc).isoformat(timespec="seconds")
        state = "revoked" if record.revoked_at else "active"
        click.echo(f"{record.id}\t{record.owner}\t{','.join(record.scopes)}\t{record.label}\t{made}\t{state}")
