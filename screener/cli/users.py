"""`screener user`: accounts for the volunteers' web page."""
from __future__ import annotations

import sys

import click

from screener import accounts
from screener.cli.context import actor, services
from screener.store.users import AccountError, Role, Users, new_password


def _users() -> tuple[Users, object]:
    svc = services()
    return svc.users, svc


@click.group()
def user() -> None:
    """Accounts for the web page: admin (users, lines), curator (lists), viewer (read-only)."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of generating one.")
def user_add(name: str, role: str, password_stdin: bool) -> None:
    """Create an account and print its one-time password (or take the password from stdin). Under the
    two-person rule an admin account is only proposed: a second admin confirms it on /users."""
    svc = services()
    if Role(role) is Role.ADMIN and svc.web.two_person_rule:
        try:
            change = accounts.add_or_propose(svc, actor(), name, Role.ADMIN, new_password())
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"proposed admin {change.target}: a second admin must confirm it on the web page (/users), "
                   "where its one-time password is shown")
        return
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = new_password()
    try:
        account = accounts.add(svc, actor(), name, Role(role), password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if password_stdin:
        click.echo(f"added {account.role.value} {account.name}")
    else:
        click.echo(f"added {account.role.value} {account.name}; one-time password (shown once):")
        click.echo(password)


@user.command("list")
def user_list() -> None:
    """List accounts (never their secrets)."""
    users, _ = _users()
    for account in users.all():
        flags = ",".join(f for f, on in (("totp", account.has_totp), ("disabled", account.disabled)) if on)
        click.echo(f"{account.name}\t{account.role.value}\t{flags}")


@user.command("reset-password")
@click.argument("name")
def user_reset_password(name: str) -> None:
    """Give an account a new one-time password, sign it out everywhere and forget its failed sign-ins."""
    from screener.store.users import WebSessions

    users, svc = _users()
    account = users.get(name)
    if account is None:
        raise click.ClickException(f"no user {name!r}")
    password = new_password()
    users.set_password(account, password)
    WebSessions(svc.client, svc.keys, 1, 1).end_all(account.name)
    # Recovery must always work: the owner may be the one who was slowed down, from their own address.
    svc.sign_in_throttle.clear(account.name)
    svc.audit.append(actor(), "user.password_reset", account.name)
    click.echo(password)
