"""`screener calls export`: the call log, one row per call, for an operator or a lawyer."""
from __future__ import annotations

import csv
import json
import re
import sys
from datetime import datetime, timezone

import click

from screener.cli.context import number_arg, services, when_arg
from screener.listfile import safe_cell

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

FIELDS = ("sid", "line", "time_utc", "caller", "decision", "rule", "status", "duration")


def _row(call) -> dict[str, str]:
    """A call as exported: the caller as stored (in full only for a blocked caller, else masked)."""
    return {"sid": call.sid, "line": call.line,
            "time_utc": datetime.fromtimestamp(call.at, timezone.utc).isoformat().replace("+00:00", "Z"),
            "caller": call.caller or call.caller_masked or call.caller_kind, "decision": call.action,
            "rule": call.rule, "status": call.status, "duration": call.duration}


@click.group()
def calls() -> None:
    """The call log."""


@calls.command("export")
@click.option("--line", "line_number", default=None, help="Only the calls to this line (its Twilio number).")
@click.option("--since", default=None, help="From this date/time, ISO 8601 (UTC unless an offset is given).")
@click.option("--format", "form", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="csv: a header and one row per call; json: one JSON object per line.")
def calls_export(line_number: str | None, since: str | None, form: str) -> None:
    """Print the calls, oldest first: sid, line, time, caller as stored, decision, rule, status, duration."""
    line = number_arg(line_number, None, "--line") if line_number else ""
    start = when_arg(since, "--since")
    since_ms = int(start.timestamp() * 1000) if start else 0
    records = services().call_browser.oldest_first(since_ms, line)
    if form == "json":
        for call in records:
            sys.stdout.write(json.dumps(_row(call), ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for call in records:
        # A full number stays as it is; anything else a spreadsheet could run (a masked +3752...) is text.
        writer.writerow({k: v if _E164.fullmatch(v) else safe_cell(v) for k, v in _row(call).items()})
