"""The Services of this worker process: built once when the worker starts (run_worker binds them), not
per job. A job run by a worker started some other way (e.g. rq's own `rq worker`) builds them on first
use, on that worker's connection."""
from __future__ import annotations

from rq import get_current_job

from screener.config import load_settings
from screener.services import Services

_services: Services | None = None


def bind(svc: Services) -> None:
    """Make `svc` what this process's jobs use (run_worker calls this before it works the queues)."""
    global _services
    _services = svc


def services() -> Services:
    """This worker process's Services."""
    global _services
    if _services is None:
        _services = Services.build(load_settings(), client=get_current_job().connection)
    return _services
