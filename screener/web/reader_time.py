"""Times in the reader's time zone and language: the zone comes from their browser, never from the server.

The page's script (static/timezone.js) puts the browser's IANA zone name in the `tz` cookie. It is kept
on the volunteer's device only: a zone stored with the account would tell whoever seizes the server where
each volunteer lives, and a travelling volunteer's laptop follows them. Without the cookie (no script,
first page) times are in UTC and the page says so.
"""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import request
from flask_babel import format_datetime, get_timezone

COOKIE = "tz"


def reader_timezone() -> str:
    """Flask-Babel's timezone selector: the browser's zone when it names a real one, else UTC."""
    name = request.cookies.get(COOKIE, "") if request else ""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def zone_name() -> str:
    """The zone the page's times are in (for the sentence that says so)."""
    return str(get_timezone())


def local_time(ts: int | float | None) -> str:
    """A Unix time as the reader reads dates: their language's medium format, in their zone."""
    if not ts:
        return "—"
    return format_datetime(datetime.fromtimestamp(float(ts), tz=timezone.utc), "medium")
