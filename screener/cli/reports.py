"""`screener report`, `screener reports` and `screener neverblock`: reports, the evidence they make, and the
numbers that take none."""
from __future__ import annotations

import getpass
from datetime import datetime, timezone

import click

from screener import never_block, reporting
from screener.cli.context import actor, number_arg, services
from screener.evidence_rules import CATEGORIES
from screener.numbers import InvalidNumber
from screener.store.pending import PendingChange


@click.command()
@click.argument("number")
@click.option("--category", required=True, type=click.Choice(CATEGORIES), help="What the call was.")
@click.option("--note", default="", help="What happened, in a sentence.")
@click.option("--line", "line_number", default="", help="The line that was called (its Twilio number).")
@click.option("--call", "call_sid", default="", help="The CallSid of the call reported.")
@click.option("--region", default=None, help="Country for a number in national format, e.g. BY.")
def report(number, category, note, line_number, call_sid, region) -> None:
    """Report a number: it counts as your evidence (see README "Reports, evidence and thresholds")."""
    svc = services()
    line = number_arg(line_number, None, "--line") if line_number else ""
    try:
        filed = reporting.file_report(svc, getpass.getuser(), number, category, note, line=line, call_sid=call_sid,
                                      region=region, actor=actor())
    except InvalidNumber as exc:
        raise click.BadParameter(f"{number!r}: {exc}", param_hint="NUMBER") from None
    except reporting.ReportError as exc:
        raise click.ClickException(str(exc)) from None
    if filed.outcome == "review":
        click.echo(f"{filed.number}: over your daily quota of {reporting.REPORTS_PER_DAY} reports, so it waits "
                   f"in the review queue (/reviews/, report #{filed.review_id})")
        return
    click.echo(f"reported {filed.number}: now {filed.state.value}")


@click.group()
def reports() -> None:
    """Evidence from reports: show, confirm, false positives, revert a person or partner, probation, ranges."""


def _when(at: int | None) -> str:
    return "never (without new evidence)" if not at else datetime.fromtimestamp(at, timezone.utc).isoformat()


@reports.command("show")
@click.argument("number")
def reports_show(number) -> None:
    """Why a number is in its state: its reports, organisations, confirmations, false positives, ageing."""
    svc = services()
    e164 = number_arg(number, None, "NUMBER")
    found = reporting.explanation(svc, e164)
    click.echo(f"{e164}: {found.state.value}")
    for reason in found.reasons:
        click.echo(f"  because {reason}")
    click.echo(f"  reporters: {', '.join(found.reporters) or '-'}; partners: {', '.join(found.partners) or '-'}")
    click.echo(f"  confirmations: {found.confirmations}; false positives from: {', '.join(found.false_positives) or '-'}")
    changes = f" (to {found.changes_to.value})" if found.changes_to else ""
    click.echo(f"  changes: {_when(found.changes_at)}{changes}")
    for vote in svc.votes.votes(e164):
        flag = " [reverted]" if vote.reverted else ""
        click.echo(f"  #{vote.id} {_when(vote.at)} {vote.kind} {vote.principal} {vote.category} {vote.note}{flag}")


@reports.command("confirm")
@click.argument("number")
@click.option("--note", default="")
def reports_confirm(number, note) -> None:
    """Confirm the evidence on a number (one unit from you)."""
    filed = reporting.confirm(services(), actor(), number_arg(number, None, "NUMBER"), note)
    click.echo(f"confirmed {filed.number}: now {filed.state.value}")


@reports.command("false-positive")
@click.argument("number")
@click.option("--note", default="", help="Who the caller really is, as far as you may say.")
def reports_false_positive(number, note) -> None:
    """Say a number is not an intimidator (one organisation demotes it to warn, two remove it)."""
    filed = reporting.false_positive(services(), actor(), number_arg(number, None, "NUMBER"), note)
    click.echo(f"false positive on {filed.number}: now {filed.state.value}")


@reports.command("revert")
@click.argument("who")
@click.option("--why", default="")
def reports_revert(who, why) -> None:
    """Stop counting everything a volunteer (NAME) or partner (peer:NAME) reported, in one step."""
    numbers = reporting.revert(services(), actor(), who, why)
    click.echo(f"reverted {len(numbers)} numbers reported by {who}")


@reports.command("trust")
@click.argument("who")
def reports_trust(who) -> None:
    """Take a volunteer (NAME) or partner (peer:NAME) out of probation: their reports count in full."""
    changed = reporting.trust(services(), actor(), who)
    click.echo(f"{who} is trusted" + ("" if changed else " already"))


@reports.command("refresh")
def reports_refresh() -> None:
    """Bring every number's state up to date as evidence decays (run it daily, e.g. from a timer)."""
    counts = reporting.refresh(services())
    click.echo(", ".join(f"{state}: {n}" for state, n in sorted(counts.items())) or "no numbers with evidence")


@reports.command("ranges")
@click.option("--propose", is_flag=True, help="Put the unvetoed ones before the curators (/blocklist/).")
def reports_ranges(propose) -> None:
    """Ranges the evidence supports, and what vetoes each."""
    svc = services()
    for found in reporting.ranges(svc):
        veto = f" vetoed by {', '.join(found.vetoed_by)}" if found.vetoed else ""
        click.echo(f"{found.prefix}: {len(found.numbers)} numbers{veto}")
    if propose:
        proposed = reporting.propose_evidence_ranges(svc)
        click.echo(f"proposed {len(proposed)} ranges to the curators")


@click.group()
def neverblock() -> None:
    """Numbers that are never blocked (lawyers, embassies, helplines, newsrooms, relatives)."""


@neverblock.command("add")
@click.argument("number")
@click.option("--why", required=True, help="Whose number it is.")
@click.option("--region", default=None, help="Country for a number in national format, e.g. BY.")
def neverblock_add(number, why, region) -> None:
    """Put a number on the never-block list (under the two-person rule: proposed)."""
    try:
        done = never_block.add_or_propose(services(), actor(), number, why, region=region)
    except InvalidNumber as exc:
        raise click.BadParameter(f"{number!r}: {exc}", param_hint="NUMBER") from None
    except never_block.NeverBlockError as exc:
        raise click.ClickException(str(exc)) from None
    if isinstance(done, PendingChange):
        click.echo(f"proposed {done.target} for the never-block list: a second person confirms it "
                   f"(`screener neverblock confirm {done.id}` or /neverblock/)")
        return
    click.echo(f"{done} is on the never-block list")


@neverblock.command("confirm")
@click.argument("change_id")
def neverblock_confirm(change_id) -> None:
    """Confirm someone else's never-block addition (the two-person rule)."""
    from screener import changes

    try:
        confirmed = changes.confirm(services(), actor(), change_id)
    except (changes.ChangeError, never_block.NeverBlockError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{confirmed.change.target} is on the never-block list")


@neverblock.command("remove")
@click.argument("number")
def neverblock_remove(number) -> None:
    """Take a number off the never-block list."""
    try:
        done = never_block.remove(services(), actor(), number_arg(number, None, "NUMBER"))
    except never_block.NeverBlockError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{done} is off the never-block list")


@neverblock.command("list")
def neverblock_list() -> None:
    """Every number on the never-block list, with why."""
    svc = services()
    for number, record in sorted(svc.never_block.all().items()):
        click.echo(f"{number}\t{record.get('why', '')}")
    for change in svc.pending.all("neverblock.add"):
        click.echo(f"{change.target}\t{change.after.get('why', '')}\t(proposed by {change.proposed_by}: {change.id})")
