"""The `screener` command: one module per command group, put together here.

serve and worker: run.py; line: lines.py; blocklist and allowlist: lists.py; user: users.py; curators and
alerts: alerts.py; evidence, verify and recordings: evidence.py; audit checkpoints: audit.py; calls export: calls.py;
secret rewrap: secret.py; backup and restore: backup.py; reports and the API's tokens: reports.py, api.py;
failed jobs: jobs.py; feed: feed.py; peer: peers.py; demo and call:
dev.py; twilio configure and check: twilio.py. What they share (settings, the Services registry, the acting person, argument parsing)
is context.py.

A command's module is imported only when that command runs (click's lazy-loading pattern), so that
`screener --help` or `screener call` do not load the web app, the stores and Twilio's library first.
"""
from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

import click

# Each command's name: its module in this package and the function click made it from.
COMMANDS = {
    "serve": ("run", "serve"), "worker": ("run", "worker"), "demo": ("dev", "demo"), "call": ("dev", "call"),
    "line": ("lines", "line"), "blocklist": ("lists", "blocklist"), "allowlist": ("lists", "allowlist"),
    "user": ("users", "user"), "curators": ("alerts", "curators"), "alerts": ("alerts", "alerts"),
    "evidence": ("evidence", "evidence"), "verify": ("evidence", "verify"),
    "recordings": ("evidence", "recordings"), "twilio": ("twilio", "twilio"), "audit": ("audit", "audit"),
    "calls": ("calls", "calls"), "secret": ("secret", "secret"),
    "report": ("reports", "report"), "reports": ("reports", "reports"),
    "neverblock": ("reports", "neverblock"), "api": ("api", "api"),
    "backup": ("backup", "backup"), "restore": ("backup", "restore"),
    "jobs": ("jobs", "jobs"),
    "feed": ("feed", "feed"), "peer": ("peers", "peer"),
}


@cache
def command_help(module: str, function: str) -> str:
    """A command's help, read from its module's source without importing it."""
    tree = ast.parse((Path(__file__).parent / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return ast.get_docstring(node) or ""
    raise LookupError(f"screener.cli.{module} has no {function}()")


class LazyGroup(click.Group):
    """A group whose commands are imported when invoked, and listed from their docstrings."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, function = COMMANDS[name]
        return getattr(importlib.import_module(f"screener.cli.{module}"), function)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.Command(name, help=command_help(*COMMANDS[name])).get_short_help_str(limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Call screening for people under threat. Configuration comes from the environment (see README)."""
