"""Run the WSGI app under gunicorn from Python (`screener serve`, `screener demo`)."""
from __future__ import annotations

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


def serve(host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    """Serve until interrupted."""
    GunicornServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "accesslog": None,
            "timeout": 30,
            "graceful_timeout": 10,
        }
    ).run()
