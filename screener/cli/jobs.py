"""`screener jobs`: jobs that failed for good on any queue, and retrying them."""
from __future__ import annotations

import time

import click

from screener import failed_jobs
from screener.cli.context import actor, services


@click.group()
def jobs() -> None:
    """Failed jobs on every queue (alerts, bridge moves, recordings, imports), and retrying them."""


@jobs.command("failed")
def jobs_failed() -> None:
    """One line per failed job: queue, job id, what, error, when (UTC); numbers are masked."""
    found = failed_jobs.failed(services().client)
    for job in found:
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(job.at)) if job.at else "-"
        click.echo("\t".join((job.queue, job.id, job.what, job.error or "-", when)))
    click.echo(f"{len(found)} failed")


@jobs.command("retry")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed job.")
def jobs_retry(job_ids: tuple[str, ...], retry_all: bool) -> None:
    """Put failed jobs back on their queues (by id, or --all)."""
    if bool(job_ids) == retry_all:
        raise click.UsageError("name the JOB_IDS to retry, or give --all")
    svc = services()
    if retry_all:
        done = failed_jobs.retry_all(svc.client)
    else:
        unknown = [job_id for job_id in job_ids if job_id not in {job.id for job in failed_jobs.failed(svc.client)}]
        if unknown:
            raise click.ClickException(f"no failed job {', '.join(unknown)} (see `screener jobs failed`); "
                                       "nothing was retried")
        done = [job_id for job_id in job_ids if failed_jobs.retry(svc.client, job_id)]
    if done:
        svc.audit.append(actor(), "jobs.retry", ",".join(done))
    click.echo(f"requeued {len(done)}")
