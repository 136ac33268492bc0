"""`screener demo` and `screener call`: what a developer or a new operator tries first."""
from __future__ import annotations

import click

from screener.cli.context import services, settings


@click.command()
@click.option("--port", default=5000, show_default=True, type=int)
def demo(port: int) -> None:
    """Embedded Redis, web app, worker and a local SMS outbox, with demo data. Ctrl-C stops it all."""
    from screener.dev.demo import run_demo

    run_demo(port)


@click.command()
@click.option("--from", "from_", required=True, help="Caller ID as Twilio would send it (a number, anonymous, ...).")
@click.option("--to", default=None, help="The line's Twilio number (default: the only configured line).")
@click.option("--url", default=None, help="Where the server runs (default http://127.0.0.1:5000).")
@click.option("--status", "status_", default=None, help="Then post this CallStatus callback (e.g. completed).")
@click.option("--press", "keys", type=click.Choice(["1", "2", "9", "1*"]), default=None,
              help="A screened call: state a name, then the press secretary presses this (1* = accept, then *).")
def call(from_, to, url, status_, keys) -> None:
    """Post a correctly signed simulated Twilio call to a running server and print its TwiML answer."""
    from screener.dev.simulate import SimulatedCall, post_signed, walk_screening

    config = settings()
    if not config.twilio_auth_token:
        raise click.ClickException("TWILIO_AUTH_TOKEN is not set (the server's token signs the request)")
    if to is None:
        numbers = sorted(services().lines.all())
        if len(numbers) != 1:
            raise click.ClickException("give --to: " + (f"lines are {', '.join(numbers)}" if numbers else "no line is configured"))
        to = numbers[0]
    base = (url or "http://127.0.0.1:5000").rstrip("/")
    sim = SimulatedCall(from_=from_, to=to, account_sid=config.twilio_account_sid or "AC" + "0" * 32)
    try:
        response = post_signed(base, "/voice/incoming", sim.incoming_form(), config.twilio_auth_token, config.public_url)
        click.echo(response.text)
        if keys and "/voice/screen/name" in response.text:
            def post(path: str, form: dict[str, str]):
                return post_signed(base, path, form, config.twilio_auth_token, config.public_url)

            def secretary_sid() -> str:
                return (services().calls.get(sim.sid) or {}).get("secretary_sid") or "CA" + "0" * 32

            for step, answer in walk_screening(post, sim, secretary_sid, keys):
                click.secho(f"-- {step}", fg="cyan")
                click.echo(answer)
        elif keys:
            click.echo("(not screened: --press applies to screened callers, e.g. --from anonymous)")
        if status_:
            post_signed(base, "/voice/status", sim.status_form(status_), config.twilio_auth_token, config.public_url)
    except OSError as exc:
        raise click.ClickException(f"cannot reach {base}: {exc}") from None
    if response.status_code != 200:
        raise click.ClickException(f"server answered {response.status_code}")
