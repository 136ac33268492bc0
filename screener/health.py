"""Liveness, readiness and metrics endpoints for the load balancer and Prometheus."""
from __future__ import annotations

from flask import Blueprint, Response

from screener import memory, metrics
from screener.queue_metrics import QueueCollector
from screener.services import services
from screener.store.connection import UNREACHABLE

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/readyz")
def readyz() -> Response:
    """The process can reach Redis (a web node that cannot should be taken out of rotation); says
    "degraded" (still 200) when Redis is past its memory threshold."""
    svc = services()
    try:
        use = memory.check(svc)
    except UNREACHABLE as exc:
        return Response(f"redis unreachable: {type(exc).__name__}\n", status=503, mimetype="text/plain")
    if memory.is_high(svc, use):
        # Still 200: this node still decides calls (a full Redis is read-only to it, and every node shares
        # it), so taking it out of rotation would help nobody. The body and a header say what is wrong.
        return Response(f"degraded: redis memory {use.percent}%\n", mimetype="text/plain",
                        headers={"X-Screener-Degraded": f"redis memory {use.percent}%"})
    return Response("ready\n", mimetype="text/plain")


@bp.get("/metrics")
def metrics_page() -> Response:
    svc = services()
    body, content_type = metrics.exposition(QueueCollector(svc.client, svc.recordings))
    return Response(body, content_type=content_type)
