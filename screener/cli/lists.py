"""`screener blocklist` and `screener allowlist`: the shared list and each line's trusted callers."""
from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path
from typing import Callable, Iterator

import click

from screener import lists
from screener.cli.context import actor, number_arg, number_problem, services
from screener.cli.progress import progress_bar
from screener.numbers import EXPLANATIONS, InvalidNumber, parse_entry, prefix_plan
from screener.store.pending import PendingChange


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
    normalised = _entry_arg(entry, region)
    details = lists.Details(reason=reason, category=category, evidence=evidence, source=source, action=action)
    svc = services()
    try:
        lists.add(svc, actor(), normalised, details)
    except lists.AlreadyListed:
        click.echo(f"{normalised} is already on the blocklist")
        return
    except lists.WidePrefix:
        _propose_wide(svc, normalised, details)
        return
    click.echo(f"added {normalised}")


def _propose_wide(svc, entry: str, details: lists.Details) -> None:
    """A prefix covering more than 10,000 numbers waits for a second admin on the page."""
    try:
        lists.propose(svc, actor(), entry, details)
    except lists.AlreadyListed:
        click.echo(f"{entry} is already on the blocklist")
        return
    except lists.AlreadyProposed:
        raise click.ClickException(f"{entry} already waits for a second admin on /blocklist/") from None
    plan = prefix_plan(entry)
    click.echo(f"proposed {entry}: it covers up to {plan.numbers:,} numbers, so it blocks nobody until a second "
               "admin confirms it on the web page (/blocklist/)")


@blocklist.command("remove")
@click.argument("entry")
@click.option("--region", default=None)
def blocklist_remove(entry, region) -> None:
    """Take an entry off the list (its last state stays in the audit log)."""
    normalised = _entry_arg(entry, region)
    try:
        removed = lists.remove_or_propose(services(), actor(), normalised)
    except lists.NotListed:
        raise click.ClickException(f"{normalised} is not on the blocklist") from None
    except lists.AlreadyPending:
        raise click.ClickException(f"the removal of {normalised} already waits for a second person on /blocklist/") from None
    if isinstance(removed, PendingChange):
        click.echo(f"proposed removing {normalised}: it stays blocked until a second person confirms it on the "
                   "web page (/blocklist/)")
        return
    click.echo(f"removed {normalised}")


def _entry_arg(text: str, region: str | None) -> str:
    """The ENTRY argument as a list entry, or a click error."""
    try:
        return parse_entry(text, region)
    except InvalidNumber as exc:
        raise click.BadParameter(number_problem(text, exc), param_hint="ENTRY") from None


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
        raise click.ClickException(f"{file}: not UTF-8 text; save it from your spreadsheet as \"CSV UTF-8\" "
                                   "and import it again") from None
    with progress_bar("checking") as show:
        parsed = read_rows(io.StringIO(text, newline=""), region, progress=show)
    with progress_bar("adding  ") as show:
        added = lists.import_rows(services(), actor(), parsed, filename=file.name,
                                  sha256=hashlib.sha256(data).hexdigest(), source=source or "",
                                  progress=lambda done, _added: show(done, parsed.valid))
    for bad in parsed.rejected:
        click.echo(f"{file.name}:{bad.line}: rejected {bad.text!r}: {bad.reason}", err=True)
    repeated = parsed.rows - parsed.valid - len(parsed.rejected)  # read_rows keeps a number once
    click.echo(f"{parsed.rows} rows: {added} added, {parsed.valid - added} already on the list, "
               + (f"{repeated} repeated in the file, " if repeated else "") + f"{len(parsed.rejected)} rejected")
    if any(bad.reason == EXPLANATIONS["needs_region"] for bad in parsed.rejected):
        click.echo("Numbers in national format need their country: import the file again with --region, "
                   "such as --region BY (rows already added stay as they are).", err=True)
    if parsed.rejected:
        sys.exit(3)


@blocklist.command("export")
def blocklist_export() -> None:
    """Write the whole list as CSV to stdout (formula-safe)."""
    from screener.listfile import export_batches

    blocklist = services().blocklist
    total = blocklist.count()
    sys.stdout.flush()
    out = sys.stdout.buffer  # the rows are UTF-8 bytes already
    with progress_bar("exporting") as show:
        for chunk in export_batches(blocklist.metas(), _shown(blocklist.batches(), lambda done: show(done, total))):
            out.write(chunk)
    out.flush()


def _shown(batches: Iterator[list], show: Callable[[int], None]) -> Iterator[list]:
    done = 0
    for batch in batches:
        yield batch
        done += len(batch)
        show(done)


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
    try:
        caller = lists.allow_or_propose(svc, actor(), line_e164, number)
    except lists.UnknownLine:
        raise click.ClickException(f"no line {line_e164}: add it first with `screener line add`") from None
    except InvalidNumber as exc:
        raise click.BadParameter(number_problem(number, exc), param_hint="NUMBER") from None
    except lists.AlreadyAllowed as exc:
        click.echo(f"{exc.subject} is already on the allowlist of {line_e164}")
        return
    except lists.AlreadyPending as exc:
        raise click.ClickException(f"trusting {exc.subject} on {line_e164} already waits for a second person") from None
    if isinstance(caller, PendingChange):
        click.echo(f"proposed allowlisting {caller.after} on {line_e164}: not trusted until a second person confirms "
                   f"it on the web page (/lines/{line_e164[1:]}/allowlist)")
        return
    click.echo(f"allowlisted {caller} on {line_e164}")
