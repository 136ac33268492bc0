"""WSGI entry point for gunicorn: `screener.wsgi:app`.

Each worker process (gunicorn runs without preload_app) also starts its outage keeper: the thread that
keeps the local copy of the lists current and replays the spool (screener/voice/outage.py)."""
from screener import create_app

app = create_app()
app.extensions["screener.outage"].start()
