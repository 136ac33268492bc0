"""The `screener` command: one module per command group, put together here.

serve and worker: run.py; line: lines.py; blocklist and allowlist: lists.py; user: users.py; curators and
alerts: alerts.py; evidence, verify and recordings: evidence.py; audit checkpoints: audit.py; demo and call: dev.py; twilio configure and check: twilio.py. What they share
(settings, the Services registry, the acting person, argument parsing) is context.py.
"""
from __future__ import annotations

import click

from screener.cli import alerts, audit, dev, evidence, lines, lists, run, twilio, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Call screening for people under threat. Configuration comes from the environment (see README)."""


for command in (run.serve, run.worker, dev.demo, lines.line, lists.blocklist, lists.allowlist, dev.call,
                evidence.verify, users.user, alerts.curators, alerts.alerts, evidence.recordings, evidence.evidence,
                twilio.twilio, audit.audit):
    main.add_command(command)
