"""`screener serve` and `screener worker`: the service's processes."""
from __future__ import annotations

import click

from screener.cli.context import require_redis, settings
from screener.config import ConfigError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes")
def serve(host: str, port: int, workers: int) -> None:
    """Run the web app (webhooks and pages) under gunicorn."""
    from screener.config import require_secrets
    from screener.server import serve as run

    config = settings()
    try:
        require_secrets(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    require_redis(config)
    run(host, port, config.instance_path / "metrics", workers=workers)


@click.command()
@click.option("--burst", is_flag=True, help="Drain the queues and exit.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["alerts", "recordings", "imports"]),
              help="Only these queues (repeatable; default all, alerts first). E.g. a worker for alerts alone.")
@click.option("--alert-processes", default=5, show_default=True, type=click.IntRange(1, 32),
              help="Processes sending alerts at once (this one included): while Twilio is slow, as many alerts "
                   "wait on it side by side.")
def worker(burst: bool, queues: tuple[str, ...], alert_processes: int) -> None:
    """Run an RQ worker: alerts, recording archiving, big imports."""
    from workers.main import ALL_QUEUES, run_worker

    require_redis(settings())
    run_worker(burst=burst, queue_names=tuple(q for q in ALL_QUEUES if q in queues) if queues else ALL_QUEUES,
               alert_processes=alert_processes)
