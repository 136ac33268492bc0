"""`screener demo`: everything on one machine, with local secrets and demo data, for a first look."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import click
import redis

from screener.config import ENV_FILE_NAME, load_settings, read_env_file
from screener.model import BlockMode, Line
from screener.services import Services
from screener.dev.twilio_standin import TwilioStandIn, start as start_outbox
from screener import lines, lists
from screener.store.users import Role

DEMO_LINE = "+12025550143"
DEMO_DESTINATION = "+48601234567"
DEMO_ALERT = "+4915112345678"
DEMO_BLOCKED = "+375291234567"
DEMO_PREFIX = "+3751720012*"  # narrow enough to land at once (a wider prefix waits for a second admin)
DEMO_FRIEND = "+33612345678"
DEMO_USER = "demo"


def _write_env(instance: Path, outbox_port: int, web_port: int) -> dict[str, str]:
    """Generate local secrets once (kept in instance/screener.env, mode 600), point Twilio's REST client at
    the outbox and name where the demo serves (so `screener twilio configure` has a URL to set)."""
    path = instance / ENV_FILE_NAME
    values = read_env_file(path)
    values.setdefault("TWILIO_ACCOUNT_SID", "AC" + secrets.token_hex(16))
    values.setdefault("TWILIO_AUTH_TOKEN", secrets.token_hex(16))
    values.setdefault("SCREENER_SECRET_KEY", secrets.token_urlsafe(48))
    values.setdefault("DEMO_PASSWORD", secrets.token_urlsafe(12))
    values["TWILIO_API_BASE"] = f"http://127.0.0.1:{outbox_port}"
    values["SCREENER_PUBLIC_URL"] = f"http://127.0.0.1:{web_port}"
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text("# written by `screener demo`: local secrets, never commit\n"
                    + "".join(f"{k}={v}\n" for k, v in sorted(values.items())), encoding="utf-8")
    path.chmod(0o600)
    return values


def seed(svc: Services, demo_password: str) -> None:
    """An admin account, a line, a blocked number, a blocked prefix and a trusted caller (idempotent)."""
    users = svc.users
    if users.get(DEMO_USER) is None:
        users.create(DEMO_USER, Role.ADMIN, demo_password)
        svc.audit.append("demo", "user.add", DEMO_USER, None, {"role": Role.ADMIN.value})
    if svc.lines.get(DEMO_LINE) is None:
        lines.save(svc, "demo", Line(DEMO_LINE, DEMO_DESTINATION, "US", alert_sms=(DEMO_ALERT,),
                                     label="Press office (demo)", block_mode=BlockMode.REJECT), new=True)
    details = lists.Details(reason="threatening calls to the press office", source="demo")
    for entry in (DEMO_BLOCKED, DEMO_PREFIX):
        with suppress(lists.AlreadyListed):
            lists.add(svc, "demo", entry, details)
    with suppress(lists.AlreadyAllowed):
        lists.allow(svc, "demo", DEMO_LINE, DEMO_FRIEND)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_until_serving(url: str, children: list[subprocess.Popen], seconds: float = 60) -> bool:
    """True once url answers; False if a child exits first or it takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and all(child.poll() is None for child in children):
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def run_demo(port: int) -> None:
    """Start it all, print what to try once the web app answers, and stop it all on Ctrl-C, SIGTERM or
    SIGHUP (a closed terminal). Refuses (non-zero) when the port is taken."""
    if not _port_is_free(port):
        raise click.ClickException(f"port {port} is taken (another screener demo?): stop it, or use --port")
    instance = load_settings().instance_path
    outbox = TwilioStandIn(account_sid="", auth_token="")
    server = start_outbox(outbox)
    values = _write_env(instance, server.server_address[1], port)
    outbox.account_sid, outbox.auth_token = values["TWILIO_ACCOUNT_SID"], values["TWILIO_AUTH_TOKEN"]
    outbox.add_number(DEMO_LINE)  # so that `screener twilio configure` and `check` have the line's number
    outbox.on_message = lambda m: click.secho(f"\n[SMS outbox] to {m['to']}: {m['body']}\n", fg="yellow")
    outbox.on_call = lambda c: click.secho(f"\n[Calls] ringing the press secretary {c['To']} from {c['From']}\n",
                                           fg="cyan")

    settings = load_settings()
    started_redis = False
    if settings.embedded_redis:
        from screener.store.embedded_redis import ensure_running, is_running

        started_redis = not is_running(instance)
        ensure_running(instance)
    svc = Services.build(settings)
    try:
        svc.client.ping()
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis: {exc}") from None
    seed(svc, values["DEMO_PASSWORD"])

    env = {**os.environ, "SCREENER_INSTANCE": str(instance)}
    exe = [sys.executable, "-m", "screener"]
    # A SIGTERM (systemd, timeout) or SIGHUP (a closed terminal) cleans up like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    # The children get their own session: Ctrl-C reaches only this process, which stops them in order.
    stopped_on_request = False
    children = [
        subprocess.Popen(exe + ["worker"], env=env, start_new_session=True),
        subprocess.Popen(exe + ["serve", "--port", str(port)], env=env, start_new_session=True),
    ]
    try:
        if not _wait_until_serving(f"http://127.0.0.1:{port}/healthz", children):
            raise click.ClickException(f"the web app did not start on port {port}; see the messages above")
        _print_welcome(port, instance, values["DEMO_PASSWORD"])
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        failed = [" ".join(child.args[3:]) for child in children if child.poll() is not None]
        raise click.ClickException(f"`screener {failed[0]}` stopped unexpectedly; stopping the demo")
    except KeyboardInterrupt:
        click.echo("\nstopping the demo (Ctrl-C or a stop signal)...")
        stopped_on_request = True
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        server.shutdown()
        if started_redis:
            from screener.store.embedded_redis import stop

            stop(instance)
    if stopped_on_request:
        click.secho(f"the demo stopped cleanly; its data stays in {instance} for the next start", fg="green")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print_welcome(port: int, instance: Path, password: str) -> None:
    url = f"http://127.0.0.1:{port}"
    here = "" if instance == (Path.cwd() / "instance").resolve() else f"SCREENER_INSTANCE={instance} "
    click.secho(f"\nscreener demo is running on {url} (Ctrl-C stops it)\n", fg="green", bold=True)
    click.echo(f"Web page: {url}/  sign in as {DEMO_USER} / {password}  (kept in {instance / ENV_FILE_NAME})")
    click.echo(f"Demo line {DEMO_LINE} forwards to {DEMO_DESTINATION}; alerts go to {DEMO_ALERT} (shown here as [SMS outbox]).")
    click.echo(f"Blocklist: {DEMO_BLOCKED} and every number under {DEMO_PREFIX}. Allowlist: {DEMO_FRIEND}.\n")
    click.echo("In another terminal (same folder, with the venv's screener on PATH: . .venv/bin/activate):")
    click.echo(f"  {here}screener call --from {DEMO_BLOCKED}        # blocked: <Reject reason=\"busy\"/>, SMS alert")
    click.echo(f"  {here}screener call --from '+375 17 200 12 34'  # blocked by the prefix {DEMO_PREFIX}")
    click.echo(f"  {here}screener call --from +442079460123        # ordinary caller: <Dial> to {DEMO_DESTINATION}")
    click.echo(f"  {here}screener call --from anonymous            # withheld ID: screened (<Record> the name)")
    click.echo(f"  {here}screener call --from anonymous --press 1*  # the dialogue: hold, whisper, accept, * to report")
    click.echo(f"  {here}screener blocklist add +442079460123 --reason 'demo'   # then call again: blocked")
    click.echo(f"  {here}screener blocklist export | head")
    click.echo(f"  curl -s {url}/metrics | grep screener_calls_total")
    click.echo(f"Then see each call on {url}/calls/ and its alert on {url}/alerts/.\n")
