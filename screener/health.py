"""Liveness, readiness and metrics endpoints for the load balancer and Prometheus."""
from __future__ import annotations

from flask import Blueprint, Response

from screener import metrics
from screener.services import services
from screener.store.connection import UNREACHABLE

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/readyz")
def readyz() -> Response:
    """The process can reach Redis (a web node that cannot should be taken out of rotation)."""
    try:
        services().client.ping()
    except UNREACHABLE as exc:
        return Response(f"redis unreachable: {type(exc).__name__}\n", status=503, mimetype="text/plain")
    return Response("ready\n", mimetype="text/plain")


@bp.get("/metrics")
def metrics_page() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)
