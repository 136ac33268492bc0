"""`screener feed`: our list as a signed MISP feed for partner organisations."""
from __future__ import annotations

import time
from pathlib import Path

import click

from screener.cli.context import actor, number_arg, services, settings


@click.group()
def feed() -> None:
    """Our list as a signed MISP feed for partner organisations (served at /feed/)."""


def _secret():
    from screener.federation import signing

    try:
        return signing.load(settings().feed_key)
    except signing.FeedKeyError as exc:
        raise click.ClickException(str(exc)) from None


@feed.command("keygen")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def feed_keygen(path: Path) -> None:
    """Make a minisign signing key at PATH (mode 600; keep it outside the repository and instance folder)."""
    from screener.federation import signing

    try:
        public = signing.generate(path)
    except FileExistsError:
        raise click.ClickException(f"{path} exists already: it is not overwritten") from None
    click.echo(f"wrote the secret key to {path}; set SCREENER_FEED_KEY={path.resolve()}")
    click.echo(f"public key (give it to partners): {public}")


@feed.command("key")
def feed_key() -> None:
    """Print our feed's public key in minisign's format, for partners (`--key` of their `peer add`)."""
    from screener.federation import signing

    public = signing.public_key_of(_secret())
    click.echo(f"untrusted comment: minisign public key of the {settings().feed_org} feed")
    click.echo(public)


@feed.command("build")
def feed_build() -> None:
    """Write the feed (manifest.json, hashes.csv, one event per batch, each with .minisig) to SCREENER_FEED_DIR."""
    from screener.federation import publish

    config = settings()
    secret = _secret()
    result = publish.build(services(), config.feed_path, secret, config.feed_org)
    click.echo(f"{result.entries} numbers in {result.events} events: {result.written} written, "
               f"{result.events - result.written} unchanged, {result.removed} removed ({config.feed_path})")


@feed.command("sighting")
@click.argument("number")
@click.option("--false-positive", is_flag=True, help="The number is not an intimidator's (a MISP false positive).")
@click.option("--region", default=None, help="Country for a number in national format, e.g. BY.")
def feed_sighting(number, false_positive, region) -> None:
    """Record that we saw NUMBER call again (or that it is a false positive): published as a MISP sighting."""
    e164 = number_arg(number, region, "NUMBER")
    svc = services()
    seen, fp = svc.feed_sightings.record(e164, false_positive=false_positive, at=int(time.time()))
    svc.audit.append(actor(), "feed.sighting", e164, None, {"false_positive": false_positive})
    listed = svc.blocklist.get(e164) is not None
    click.echo(f"{e164}: {seen} confirmations, {fp} false positives ("
               + ("in the next `screener feed build`)" if listed else "published once the number is on our list)"))
