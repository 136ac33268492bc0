"""`screener blocklist` and `screener allowlist`: the shared list and each line's trusted callers."""
from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import click

from screener.cli.context import actor, number_arg, services
from screener.numbers import InvalidNumber, parse_entry
from screener.store.blocklist import EntryMeta, now


@click.group()
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
    svc = services()
    meta = EntryMeta(category=category, reason=reason, evidence=evidence, source=source, added_by=actor(),
                     added_at=now(), action=action)
    if not svc.blocklist.add_many([normalised], meta):
        click.echo(f"{normalised} is already on the blocklist")
        return
    svc.audit.append(actor(), "blocklist.add", normalised, None, meta.to_json())
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
    svc = services()
    removed = svc.blocklist.remove(normalised)
    if removed is None:
        raise click.ClickException(f"{normalised} is not on the blocklist")
    svc.audit.append(actor(), "blocklist.remove", normalised, removed.meta.to_json(), None)
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
    svc = services()
    stamp, who = now(), actor()
    added = 0
    for (reason, category), entries in parsed.groups.items():
        meta = EntryMeta(category=category, reason=reason, source=source or f"import:{file.name}", added_by=who, added_at=stamp)
        added += svc.blocklist.add_many(entries, meta)
    svc.audit.append(
        who,
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

    svc = services()
    for chunk in export_rows(svc.blocklist):
        sys.stdout.write(chunk)


@click.group()
def allowlist() -> None:
    """Trusted callers of one line: always forwarded, even if the blocklist matches."""


@allowlist.command("add")
@click.argument("number")
@click.option("--line", "line_number", required=True, help="The line's Twilio number.")
def allowlist_add(number, line_number) -> None:
    """Put a caller on a line's allowlist."""
    svc = services()
    line_e164 = number_arg(line_number, None, "--line")
    line_obj = svc.lines.get(line_e164)
    if line_obj is None:
        raise click.ClickException(f"no line {line_e164}: add it first with `screener line add`")
    caller = number_arg(number, line_obj.country, "NUMBER")
    if svc.lines.allow(line_e164, caller):
        svc.audit.append(actor(), "allowlist.add", f"{line_e164}:{caller}", None, caller)
        click.echo(f"allowlisted {caller} on {line_e164}")
    else:
        click.echo(f"{caller} is already on the allowlist of {line_e164}")
