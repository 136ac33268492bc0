"""gunicorn serving one WSGI app, with the same settings for the webhook and for both baselines."""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.deployment import ROOT
from screener.store.redis_process import free_port, stop_process

# The settings of `screener serve` (screener/server.py): 2 processes x 4 threads, no access log.
GUNICORN_SETTINGS = ("--workers", "2", "--threads", "4", "--worker-class", "gthread", "--timeout", "30",
                     "--graceful-timeout", "10", "--keep-alive", "5")


@dataclass
class WebServer:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_process(self.process, seconds=20)  # gunicorn's --graceful-timeout is 10 s


def start(name: str, wsgi_app: str, env: dict[str, str], log_dir: Path) -> WebServer:
    """Start gunicorn for wsgi_app ("module:attr") on a free loopback port; return once it answers."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *GUNICORN_SETTINGS, "--bind", f"127.0.0.1:{port}", wsgi_app],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )
    server = WebServer(name, port, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn for {name} exited; see {log_path}")
        try:
            requests.get(server.base + "/bench-ready", timeout=5)
            return server
        except requests.ConnectionError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"gunicorn for {name} did not answer; see {log_path}")
