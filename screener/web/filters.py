"""Template filters: times in UTC, call durations, audit values as readable JSON."""
from __future__ import annotations

import json
import time
from typing import Any


def isotime(ts: int | float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(ts)))


def shorttime(ts: int | float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(ts))) if ts else "—"


def duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def audit_value(value: Any) -> str:
    """One field's value in the audit log's before/after table: lists as lists, records as compact JSON."""
    from flask_babel import gettext as _

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(audit_value(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def pretty(value: Any) -> str:
    """JSON shown as text (the template escapes it); JSON held in a string is unpacked first."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True)
    return str(value)
