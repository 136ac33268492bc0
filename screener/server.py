"""Run the WSGI app under gunicorn from Python (`screener serve`, `screener demo`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    """Gunicorn with options given in code instead of a config file."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self):
        from screener.wsgi import app

        return app


def clear_metric_files(directory: Path) -> None:
    """Before gunicorn forks its workers: make the multiprocess metrics folder and drop a previous run's
    files (prometheus_client would add them to the totals)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def mark_worker_dead(server: object, worker: Any) -> None:
    """gunicorn's child_exit hook: stop reporting the live gauges of a worker that has exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def serve(host: str, port: int, metrics_dir: Path, workers: int = 2, threads: int = 4) -> None:
    """Serve until interrupted. Every worker counts into one set of metrics (Prometheus's multiprocess
    mode, in `metrics_dir` unless PROMETHEUS_MULTIPROC_DIR names another), so /metrics gives the same
    totals whichever worker answers."""
    # Set before any worker imports prometheus_client, which reads it on import.
    clear_metric_files(Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))))
    GunicornServer(
        {
            "child_exit": mark_worker_dead,
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": None,
            "timeout": 30,
            "graceful_timeout": 10,
            # gunicorn 25's control socket (in $HOME or $XDG_RUNTIME_DIR, shared by every gunicorn of the
            # user) is not used: systemd and the demo stop the server with signals. Off, it neither prints a
            # line at every start nor offers another way to change a running server.
            "control_socket_disable": True,
        }
    ).run()
