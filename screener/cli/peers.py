"""`screener peer`: partner organisations whose signed feeds we pull, and the tokens partners read ours with."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from screener.cli.context import actor, services
from screener.cli.progress import progress_bar


@click.group()
def peer() -> None:
    """Partner organisations: their signed feeds, and tokens for ours."""


def _refused(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@peer.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The partner's feed, e.g. https://partner.example/feed/")
@click.option("--key", required=True, help="The partner's minisign public key (their `screener feed key`).")
@click.option("--token", default="", help="The bearer token the partner gave us for its /feed/.")
@click.option("--trust", type=click.Choice(["auto", "review", "warn"]), required=True,
              help="auto: its numbers are blocked; review: curators decide each; warn: callers are screened.")
def peer_add(name, url, key, token, trust) -> None:
    """Trust a partner's signed feed."""
    from screener.federation import partners

    try:
        partners.add(services(), actor(), name, url, key, trust, token)
    except partners.PeerError as exc:
        raise _refused(exc) from None
    click.echo(f"added partner {name} ({trust}); pull its feed with `screener peer sync {name}`")


@peer.command("list")
def peer_list() -> None:
    """Partners, their trust, when their feed was last synced and what it brought."""
    svc = services()
    peers = svc.peers.all()
    if not peers:
        click.echo("no partners: add one with `screener peer add`")
    for p in peers:
        state = svc.peers.state(p.name)
        when = _when(state.synced_at) if state.synced_at else "never"
        numbers = svc.peers.number_count(p.name)
        seen, fp = svc.peers.sighting_totals(p.name)
        click.echo(f"{p.name}\t{p.trust}\t{p.url}\tsynced {when}\t{len(state.events or {})} events, "
                   f"{numbers} numbers, {seen} confirmations, {fp} false positives, "
                   f"{svc.peers.held_count(p.name)} held over its quota")
    tokens = svc.feed_tokens.names()
    click.echo(f"partners with a token for our /feed/: {', '.join(tokens) if tokens else 'none'}")


@peer.command("sync")
@click.argument("name", required=False)
def peer_sync(name) -> None:
    """Pull the feed of one partner (or of all): only events that changed are fetched."""
    from screener.federation import misp, partners, signing
    from screener.federation.fetch import FetchError

    svc = services()
    chosen = [svc.peers.get(name)] if name else svc.peers.all()
    if name and chosen[0] is None:
        raise click.ClickException(f"{name}: no such partner")
    if not chosen:
        click.echo("no partners: add one with `screener peer add`")
    failed = False
    for p in chosen:
        try:
            result = partners.sync(svc, actor(), p)
        except (signing.SignatureError, misp.FeedFormatError) as exc:
            click.echo(f"{p.name}: refused, nothing applied: {exc}", err=True)
            failed = True
            continue
        except FetchError as exc:
            click.echo(f"{p.name}: cannot read the feed: {exc}", err=True)
            failed = True
            continue
        if result.unchanged:
            click.echo(f"{p.name}: unchanged")
            continue
        c = result.counts
        click.echo(f"{p.name}: {result.fetched} events fetched, {result.removed} dropped; {c.added} counted as its "
                   f"evidence ({c.blocked} now blocked), {c.warned} screened, {c.proposed} for review, {c.already} "
                   f"already there, {c.withdrawn} withdrawn; {c.confirmations} confirmations, {c.false_positives} "
                   "false positives"
                   + (f"; {c.held} new numbers held over its weekly quota (`screener peer held`)" if c.held else "")
                   + (f"; {c.never_block} never-block numbers proposed to curators" if c.never_block else "")
                   + (f"; {c.vetoed} on our never-block list, not counted" if c.vetoed else "")
                   + (f"; {c.invalid} not valid numbers, not counted" if c.invalid else "")
                   + (f"; {result.skipped} attributes skipped (not phone numbers)" if result.skipped else ""))
    if failed:
        raise SystemExit(1)


@peer.command("revert")
@click.argument("name")
def peer_revert(name) -> None:
    """Take back everything a partner brought (its evidence too) and forget it, in one step (history kept)."""
    from screener.federation import partners

    try:
        withdrawn = partners.revert(services(), actor(), name)
    except partners.PeerError as exc:
        raise _refused(exc) from None
    click.echo(f"reverted {name}: {withdrawn} entries, proposals and numbers' evidence taken back; the partner is "
               "forgotten (its votes are kept, flagged reverted)")


def _when(at: int) -> str:
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@peer.command("held")
@click.argument("name", required=False)
def peer_held(name) -> None:
    """New numbers auto partners sent over their weekly quota, held until a curator decides."""
    svc = services()
    chosen = [name] if name else [p.name for p in svc.peers.all()]
    if name and svc.peers.get(name) is None:
        raise click.ClickException(f"{name}: no such partner")
    shown = False
    for partner in chosen:
        count = svc.peers.held_count(partner)
        if count or name:
            shown = True
            since = f" since {_when(svc.peers.held_since(partner))}" if count else ""
            click.echo(f"{partner}\t{count} held{since}")
    if not shown:
        click.echo("no partner has numbers held over its quota")


@peer.command("release")
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Release at most this many (default: every held number).")
def peer_release(name, limit) -> None:
    """Count numbers held over partner NAME's weekly quota as its evidence (the report rules decide each)."""
    from screener.federation import partners

    svc = services()
    total = svc.peers.held_count(name)
    limit = limit or total
    with progress_bar("releasing") as show:
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            show(done[0], min(limit, total))

        try:
            c = partners.release(svc, actor(), name, limit, progress=advance)
        except partners.PeerError as exc:
            raise _refused(exc) from None
    left = svc.peers.held_count(name)
    click.echo(f"{name}: {done[0]} released; {c.added} counted as its evidence ({c.blocked} now blocked), "
               f"{c.already} already counted" + (f", {c.vetoed} on our never-block list" if c.vetoed else "")
               + (f", {c.invalid} not valid numbers, not counted" if c.invalid else "") + f"; {left} still held")


@peer.command("discard")
@click.argument("name")
def peer_discard(name) -> None:
    """Drop every number held over partner NAME's weekly quota (history kept in the audit log)."""
    from screener.federation import partners

    try:
        dropped = partners.discard(services(), actor(), name)
    except partners.PeerError as exc:
        raise _refused(exc) from None
    click.echo(f"{name}: {dropped} held numbers discarded")


@peer.group("token")
def token() -> None:
    """Bearer tokens partners read our /feed/ with (stored hashed)."""


@token.command("add")
@click.argument("name")
def token_add(name) -> None:
    """Make a token for partner NAME to read our /feed/ (shown once)."""
    from screener.store.federation import NAME

    if not NAME.fullmatch(name):
        raise click.BadParameter("1-40 lower-case letters, digits and '-'", param_hint="NAME")
    svc = services()
    value = svc.feed_tokens.add(name)
    if value is None:
        raise click.ClickException(f"{name} has a token already: revoke it first (`screener peer token revoke`)")
    svc.audit.append(actor(), "feed.token_add", name, None, None)
    click.echo(value)


@token.command("revoke")
@click.argument("name")
def token_revoke(name) -> None:
    """Revoke partner NAME's token: its next request to /feed/ is refused."""
    svc = services()
    if not svc.feed_tokens.revoke(name):
        raise click.ClickException(f"{name} has no token")
    svc.audit.append(actor(), "feed.token_revoke", name, None, None)
    click.echo(f"revoked the token of {name}")
