"""The `screener` command: serve, worker, demo, lines, lists, simulated calls, verification."""
from __future__ import annotations

import getpass
import hashlib
import io
import sys
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from screener.config import ConfigError, Settings, load_settings
from screener.model import EMAIL, BlockMode, Line, check_webhook_url, quiet_window
from screener.voice.prompts import SUPPORTED as SUPPORTED_LANGUAGES
from screener.numbers import InvalidNumber, parse_entry, parse_number
from screener.services import Services
from screener.store.blocklist import EntryMeta, now
from screener.store.connection import UNREACHABLE


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _services() -> Services:
    settings = _settings()
    try:
        svc = Services.build(settings)
        svc.client.ping()
    except UNREACHABLE as exc:
        where = settings.redis_url or "the embedded Redis"
        raise click.ClickException(f"cannot reach Redis at {where}: {exc}") from None
    return svc


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _number(text: str, region: str | None, what: str) -> str:
    try:
        return parse_number(text, region)
    except InvalidNumber as exc:
        raise click.BadParameter(f"{text!r}: {exc}", param_hint=what) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Call screening for people under threat. Configuration comes from the environment (see README)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes")
def serve(host: str, port: int, workers: int) -> None:
    """Run the web app (webhooks and pages) under gunicorn."""
    from screener.config import require_secrets
    from screener.server import serve as run

    settings = _settings()
    try:
        require_secrets(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.embedded_redis:
        from screener.embedded_redis import ensure_running

        click.echo(f"REDIS_URL is unset: using the embedded Redis at {ensure_running(settings.instance_path)}", err=True)
    run(host, port, workers=workers)


@main.command()
@click.option("--burst", is_flag=True, help="Drain the queues and exit.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["alerts", "recordings", "imports"]),
              help="Only these queues (repeatable; default all, alerts first). E.g. a worker for alerts alone.")
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker: alerts, recording archiving, big imports."""
    from workers.main import ALL_QUEUES, run_worker

    _settings()
    run_worker(burst=burst, queue_names=tuple(q for q in ALL_QUEUES if q in queues) if queues else ALL_QUEUES)


@main.command()
@click.option("--port", default=5000, show_default=True, type=int)
def demo(port: int) -> None:
    """Embedded Redis, web app, worker and a local SMS outbox, with demo data. Ctrl-C stops it all."""
    from screener.demo import run_demo

    run_demo(port)


# --- lines -----------------------------------------------------------------------------------------


@main.group()
def line() -> None:
    """Protected lines: the Twilio number a public line is forwarded to, and what to do with calls."""


@line.command("add")
@click.option("--number", required=True, help="The Twilio number (E.164) the public line is forwarded to.")
@click.option("--forward-to", required=True, help="Where ordinary calls ring (the press secretary's phone).")
@click.option("--country", required=True, help="Two-letter country code for national-format numbers.")
@click.option("--alert-sms", multiple=True, help="A number that gets an SMS when a blocked caller calls (repeatable).")
@click.option("--alert-email", multiple=True, help="An e-mail address for the line's alerts (repeatable).")
@click.option("--alert-webhook", default="", help="An https URL that gets the line's alerts as signed JSON.")
@click.option("--label", default="", help="A name for the line in alerts and pages.")
@click.option("--language", "languages", multiple=True, type=click.Choice(SUPPORTED_LANGUAGES),
              help="Language of the prompts callers hear, in order (repeatable; default en-US).")
@click.option("--block-mode", type=click.Choice([m.value for m in BlockMode]), default="reject", show_default=True,
              help="reject: busy tone; message: say --block-message; record: record the caller as evidence.")
@click.option("--block-message", default=None, help="What a blocked caller hears with --block-mode message.")
@click.option("--record/--no-record", default=False, show_default=True, help="Record forwarded calls (with a notice).")
@click.option("--screen-unverified/--no-screen-unverified", default=False, show_default=True,
              help="Screen callers whose STIR/SHAKEN check failed, even allowlisted ones.")
@click.option("--transcribe/--no-transcribe", default=False, show_default=True, help="Transcribe voicemail.")
@click.option("--star-on-forward/--no-star-on-forward", default=False, show_default=True,
              help="Forwarded calls too can be ended and reported with * (your phone then shows the line's "
                   "number; the caller's number is read out).")
@click.option("--retention-days", default=30, show_default=True, type=click.IntRange(1, 3650),
              help="How long the encrypted numbers of callers on no list are kept.")
@click.option("--timezone", default="UTC", show_default=True, help="The line's time zone (quiet hours, evidence packs).")
@click.option("--quiet-hours", default="", metavar="HH:MM-HH:MM",
              help="In the line's time zone: only trusted callers ring; others reach voicemail (e.g. 22:00-07:00).")
@click.option("--policy", "policies", multiple=True, metavar="CLASS=ACTION", help="e.g. ordinary=screen (repeatable).")
def line_add(number, forward_to, country, alert_sms, alert_email, alert_webhook, label, languages, block_mode,
             block_message, record, screen_unverified, transcribe, star_on_forward, retention_days, timezone,
             quiet_hours, policies) -> None:
    """Add a line, or replace its settings."""
    import phonenumbers

    country = country.upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise click.BadParameter(f"{country!r} is not a country code such as BY, PL, GB", param_hint="--country")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{timezone!r} is not a time zone such as Europe/Vilnius", param_hint="--timezone") from None
    try:
        quiet_window(quiet_hours)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quiet-hours") from None
    line_obj = Line(
        number=_number(number, country, "--number"),
        forward_to=_number(forward_to, country, "--forward-to"),
        country=country,
        alert_sms=tuple(_number(n, country, "--alert-sms") for n in alert_sms),
        alert_email=tuple(_email(a) for a in alert_email),
        alert_webhook=_webhook_url(alert_webhook) if alert_webhook else "",
        block_mode=BlockMode(block_mode),
        recording=record,
        label=label,
        languages=tuple(languages) or ("en-US",),
        screen_unverified=screen_unverified,
        transcribe=transcribe,
        star_on_forward=star_on_forward,
        retention_days=retention_days,
        timezone=timezone,
        quiet_hours=quiet_hours.strip(),
    )
    if block_message:
        line_obj = replace(line_obj, block_message=block_message)
    try:
        changes = dict(p.split("=", 1) for p in policies)
        line_obj = line_obj.with_policy(**changes)
    except ValueError as exc:
        raise click.BadParameter(str(exc) or "use CLASS=ACTION", param_hint="--policy") from None
    svc = _services()
    before = svc.lines.get(line_obj.number)
    svc.lines.save(line_obj)
    svc.audit.append(_actor(), "line.save", line_obj.number, before.to_json() if before else None, line_obj.to_json())
    click.echo(f"{'updated' if before else 'added'} line {line_obj.number} -> {line_obj.forward_to}")


def _email(text: str) -> str:
    address = text.strip()
    if not EMAIL.fullmatch(address):
        raise click.BadParameter(f"{text!r} is not an e-mail address", param_hint="--alert-email")
    return address


def _webhook_url(text: str) -> str:
    try:
        return check_webhook_url(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--alert-webhook") from None


@line.command("list")
def line_list() -> None:
    """List the lines."""
    for number, item in sorted(_services().lines.all().items()):
        click.echo(f"{number}\t-> {item.forward_to}\t{item.country}\t{item.label}")


# --- lists -----------------------------------------------------------------------------------------


@main.group()
def blocklist() -> None:
    """The shared blocklist of intimidation numbers and prefixes."""


@blocklist.command("add")
@click.argument("entry")
@click.option("--reason", required=True, help="Why this number is on the list.")
@click.option("--category", default="intimidation", show_default=True)
@click.option("--evidence", default="", help="A note on the evidence (not the recording itself).")
@click.option("--source", default="manual", show_default=True)
@click.option("--region", default=None, help="Country for a number in national format, e.g. BY.")
@click.option("--action", type=click.Choice(["block", "screen"]), default="block", show_default=True,
              help="screen: the caller is screened (asked for a name) instead of blocked.")
def blocklist_add(entry, reason, category, evidence, source, region, action) -> None:
    """Add a number (any common format) or a prefix ending in * (e.g. +37517*)."""
    try:
        normalised = parse_entry(entry, region)
    except InvalidNumber as exc:
        raise click.BadParameter(f"{entry!r}: {exc}", param_hint="ENTRY") from None
    svc = _services()
    meta = EntryMeta(category=category, reason=reason, evidence=evidence, source=source, added_by=_actor(),
                     added_at=now(), action=action)
    if not svc.blocklist.add_many([normalised], meta):
        click.echo(f"{normalised} is already on the blocklist")
        return
    svc.audit.append(_actor(), "blocklist.add", normalised, None, meta.to_json())
    click.echo(f"added {normalised}")


@blocklist.command("remove")
@click.argument("entry")
@click.option("--region", default=None)
def blocklist_remove(entry, region) -> None:
    """Take an entry off the list (its last state stays in the audit log)."""
    try:
        normalised = parse_entry(entry, region)
    except InvalidNumber as exc:
        raise click.BadParameter(f"{entry!r}: {exc}", param_hint="ENTRY") from None
    svc = _services()
    removed = svc.blocklist.remove(normalised)
    if removed is None:
        raise click.ClickException(f"{normalised} is not on the blocklist")
    svc.audit.append(_actor(), "blocklist.remove", normalised, removed.meta.to_json(), None)
    click.echo(f"removed {normalised}")


@blocklist.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--region", default=None, help="Country for numbers in national format, e.g. BY.")
@click.option("--source", default=None, help="Source recorded on each entry (default: the file name).")
def blocklist_import(file: Path, region, source) -> None:
    """Import a CSV of number[,reason,category]: land every valid row, report every rejected one."""
    from screener.listfile import read_rows

    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text") from None
    parsed = read_rows(io.StringIO(text, newline=""), region)
    svc = _services()
    stamp, actor = now(), _actor()
    added = 0
    for (reason, category), entries in parsed.groups.items():
        meta = EntryMeta(category=category, reason=reason, source=source or f"import:{file.name}", added_by=actor, added_at=stamp)
        added += svc.blocklist.add_many(entries, meta)
    svc.audit.append(
        actor,
        "blocklist.import",
        file.name,
        None,
        {"sha256": hashlib.sha256(data).hexdigest(), "rows": parsed.rows, "valid": parsed.valid,
         "added": added, "rejected": len(parsed.rejected)},
    )
    for bad in parsed.rejected:
        click.echo(f"{file.name}:{bad.line}: rejected {bad.text!r}: {bad.reason}", err=True)
    click.echo(
        f"{parsed.rows} rows: {added} added, {parsed.valid - added} already on the list, {len(parsed.rejected)} rejected"
    )
    if parsed.rejected:
        sys.exit(3)


@blocklist.command("export")
def blocklist_export() -> None:
    """Write the whole list as CSV to stdout (formula-safe)."""
    from screener.listfile import export_rows

    svc = _services()
    for chunk in export_rows(svc.blocklist):
        sys.stdout.write(chunk)


@main.group()
def allowlist() -> None:
    """Trusted callers of one line: always forwarded, even if the blocklist matches."""


@allowlist.command("add")
@click.argument("number")
@click.option("--line", "line_number", required=True, help="The line's Twilio number.")
def allowlist_add(number, line_number) -> None:
    """Put a caller on a line's allowlist."""
    svc = _services()
    line_e164 = _number(line_number, None, "--line")
    line_obj = svc.lines.get(line_e164)
    if line_obj is None:
        raise click.ClickException(f"no line {line_e164}: add it first with `screener line add`")
    caller = _number(number, line_obj.country, "NUMBER")
    if svc.lines.allow(line_e164, caller):
        svc.audit.append(_actor(), "allowlist.add", f"{line_e164}:{caller}", None, caller)
        click.echo(f"allowlisted {caller} on {line_e164}")
    else:
        click.echo(f"{caller} is already on the allowlist of {line_e164}")


# --- simulated calls and checks ----------------------------------------------------------------


@main.command()
@click.option("--from", "from_", required=True, help="Caller ID as Twilio would send it (a number, anonymous, ...).")
@click.option("--to", default=None, help="The line's Twilio number (default: the only configured line).")
@click.option("--url", default=None, help="Where the server runs (default http://127.0.0.1:5000).")
@click.option("--status", "status_", default=None, help="Then post this CallStatus callback (e.g. completed).")
@click.option("--press", "keys", type=click.Choice(["1", "2", "9", "1*"]), default=None,
              help="A screened call: state a name, then the press secretary presses this (1* = accept, then *).")
def call(from_, to, url, status_, keys) -> None:
    """Post a correctly signed simulated Twilio call to a running server and print its TwiML answer."""
    from screener.simulate import SimulatedCall, post_signed, walk_screening

    settings = _settings()
    if not settings.twilio_auth_token:
        raise click.ClickException("TWILIO_AUTH_TOKEN is not set (the server's token signs the request)")
    if to is None:
        numbers = sorted(_services().lines.all())
        if len(numbers) != 1:
            raise click.ClickException("give --to: " + (f"lines are {', '.join(numbers)}" if numbers else "no line is configured"))
        to = numbers[0]
    base = (url or "http://127.0.0.1:5000").rstrip("/")
    sim = SimulatedCall(from_=from_, to=to, account_sid=settings.twilio_account_sid or "AC" + "0" * 32)
    try:
        response = post_signed(base, "/voice/incoming", sim.incoming_form(), settings.twilio_auth_token, settings.public_url)
        click.echo(response.text)
        if keys and "/voice/screen/name" in response.text:
            def post(path: str, form: dict[str, str]):
                return post_signed(base, path, form, settings.twilio_auth_token, settings.public_url)

            def secretary_sid() -> str:
                return (_services().calls.get(sim.sid) or {}).get("secretary_sid") or "CA" + "0" * 32

            for step, answer in walk_screening(post, sim, secretary_sid, keys):
                click.secho(f"-- {step}", fg="cyan")
                click.echo(answer)
        elif keys:
            click.echo("(not screened: --press applies to screened callers, e.g. --from anonymous)")
        if status_:
            post_signed(base, "/voice/status", sim.status_form(status_), settings.twilio_auth_token, settings.public_url)
    except OSError as exc:
        raise click.ClickException(f"cannot reach {base}: {exc}") from None
    if response.status_code != 200:
        raise click.ClickException(f"server answered {response.status_code}")


@main.command()
def verify() -> None:
    """Check the audit log and the evidence chain (sealed calls, archived recordings); exit 1 on any break."""
    from screener.recording_files import RecordingFiles

    svc = _services()
    broken = False
    audit = svc.audit.verify()
    if audit.ok:
        click.echo(f"audit log: {audit.entries} entries, chain verifies")
    else:
        click.echo(f"audit log: chain BROKEN at entry {audit.first_bad} of {audit.entries}", err=True)
        broken = True
    evidence = svc.evidence.verify(RecordingFiles.from_settings(svc.settings))
    if evidence.chain.ok:
        click.echo(f"evidence: {evidence.chain.entries} entries ({evidence.calls} calls, "
                   f"{evidence.recordings} recordings), chain verifies")
    else:
        click.echo(f"evidence: chain BROKEN at entry {evidence.chain.first_bad} of {evidence.chain.entries}", err=True)
        broken = True
    for problem in evidence.problems:
        click.echo(f"evidence: {problem}", err=True)
    if broken or evidence.problems:
        sys.exit(1)


from screener.web.cli import user  # noqa: E402 - the web page's `screener user` group, registered last

main.add_command(user)

import screener.cli_alerts  # noqa: E402,F401 - registers `curators`, `alerts`, `recordings` on main
import screener.cli_evidence  # noqa: E402,F401 - registers `evidence` on main
