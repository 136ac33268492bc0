"""`screener curators` and `screener alerts`: who gets curators' alerts, and deliveries that failed."""
from __future__ import annotations

import click
from rq import Queue
from rq.registry import FailedJobRegistry

from screener.cli.context import actor, email_arg, number_arg, services, webhook_url_arg
from screener.services import ALERT_QUEUE
from screener.store.alert_log import CuratorContacts


@click.group()
def curators() -> None:
    """Where alerts for the curators go: reports to review and detected campaigns."""


@curators.command("set")
@click.option("--sms", multiple=True, help="A curator's phone number (repeatable).")
@click.option("--email", multiple=True, help="A curator's e-mail address (repeatable).")
@click.option("--webhook", default="", help="An https URL for signed JSON alerts (a Signal/Matrix/Telegram bridge).")
def curators_set(sms, email, webhook) -> None:
    """Replace the curators' contacts."""
    contacts = CuratorContacts(tuple(number_arg(n, None, "--sms") for n in sms), tuple(email_arg(a) for a in email),
                               webhook_url_arg(webhook) if webhook else "")
    svc = services()
    before = svc.alert_log.set_curators(contacts)
    svc.audit.append(actor(), "curators.set", "curators", before.__dict__, contacts.__dict__)
    click.echo(f"curators: {len(contacts.sms)} SMS, {len(contacts.email)} e-mail, "
               f"{'a' if contacts.webhook else 'no'} webhook")


@curators.command("show")
def curators_show() -> None:
    contacts = services().alert_log.curators()
    click.echo(f"sms: {', '.join(contacts.sms) or '-'}\nemail: {', '.join(contacts.email) or '-'}\n"
               f"webhook: {contacts.webhook or '-'}")


@click.group()
def alerts() -> None:
    """Alerts sent and deliveries that failed."""


@alerts.command("list")
@click.option("--count", default=20, show_default=True)
def alerts_list(count: int) -> None:
    """The newest alerts and how each delivery went."""
    svc = services()
    for alert in svc.alert_log.recent(count):
        deliveries = {k[2:]: v for k, v in alert.items() if k.startswith("d:")}
        click.echo(f"#{alert['id']} {alert['kind']} {alert['subject']}")
        for target, state in sorted(deliveries.items()):
            click.echo(f"    {target}: {state}")


def _failed_registry() -> FailedJobRegistry:
    svc = services()
    return FailedJobRegistry(queue=Queue(ALERT_QUEUE, connection=svc.client))


@alerts.command("failed")
def alerts_failed() -> None:
    """Alert jobs that ran out of retries."""
    registry = _failed_registry()
    ids = registry.get_job_ids()
    for job_id in ids:
        job = registry.get_queue().fetch_job(job_id)
        click.echo(f"{job_id}\t{job.description if job else '(expired)'}")
    click.echo(f"{len(ids)} failed")


@alerts.command("retry")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed alert job.")
def alerts_retry(job_ids, retry_all) -> None:
    """Put failed alert jobs back on the queue."""
    registry = _failed_registry()
    targets = registry.get_job_ids() if retry_all else list(job_ids)
    if not targets:
        raise click.UsageError("name JOB_IDS or give --all")
    for job_id in targets:
        registry.requeue(job_id)
    services().audit.append(actor(), "alerts.retry", ",".join(targets))
    click.echo(f"requeued {len(targets)}")
