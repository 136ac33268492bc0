"""Gunicorn settings for a screener web node: `gunicorn -c gunicorn.conf.py screener.wsgi:app`."""
import os
from pathlib import Path

# Only the local nginx talks to gunicorn; it terminates TLS and adds the X-Forwarded-* headers.
bind = os.environ.get("SCREENER_BIND", "127.0.0.1:8000")

# Webhooks spend their time waiting on Redis, so threads overlap that wait cheaply.
# WEB_CONCURRENCY is gunicorn's own convention for overriding the process count.
worker_class = "gthread"
threads = 4
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)) + 1))

# Each worker must open its own Redis connection pool: sockets shared across fork break.
preload_app = False

# Twilio gives up on a webhook after 15 s; a request still running at 30 s is stuck, not slow.
timeout = 30
graceful_timeout = 20  # below systemd's TimeoutStopSec, so in-flight calls finish on deploy
keepalive = 5
# systemd stops and reloads the node with signals; gunicorn's control socket (a second way in) stays off.
control_socket_disable = True
max_requests = 5000  # recycle workers now and then so a slow leak never takes a node down
max_requests_jitter = 500

# Caller numbers are personal data. Log method, path (no query string), status, size and time;
# no client address, referer or user agent. Gunicorn never logs request bodies.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"


def on_starting(server):
    """Drop metric files of a previous run: prometheus_client would otherwise add them to the totals."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from screener.server import clear_metric_files

        clear_metric_files(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]))


def child_exit(server, worker):
    """Stop reporting the gauges of a worker that has exited."""
    from screener.server import mark_worker_dead

    mark_worker_dead(server, worker)
