"""A screener deployment for the benchmarks: its environment, one protected line, a blocklist."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Iterable

import redis

from screener.config import Settings, load_settings
from screener.model import Line
from screener.store.blocklist import Blocklist, EntryMeta
from screener.store.keys import Keys
from screener.store.lines import Lines

AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "b" * 32
SECRET_KEY = "bench-secret-key-" + "s" * 40
LINE = "+12025550143"
DESTINATION = "+48601234567"
ALERT_PHONE = "+4915112345678"
ROOT = Path(__file__).resolve().parent.parent


def environment(redis_url: str, instance: Path, api_base: str = "http://127.0.0.1:9") -> dict[str, str]:
    """os.environ for a screener process (web, worker, CLI) bound to the benchmark's own Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENER_", "TWILIO_", "REDIS_"))}
    env.update(
        REDIS_URL=redis_url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_API_BASE=api_base,
        SCREENER_SECRET_KEY=SECRET_KEY,
        SCREENER_INSTANCE=str(instance),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    )
    return env


def settings_for(redis_url: str, instance: Path) -> Settings:
    return load_settings(environment(redis_url, instance))


def save_line(client: redis.Redis, keys: Keys = Keys()) -> Line:
    """The protected line every benchmark call goes to, with an SMS alert number."""
    line = Line(LINE, DESTINATION, "US", alert_sms=(ALERT_PHONE,), label="Press office")
    Lines(client, keys).save(line)
    return line


def block(client: redis.Redis, entries: Iterable[str], reason: str = "threatening calls", keys: Keys = Keys()) -> int:
    """Put normalised entries on the blocklist through the store's own write path."""
    meta = EntryMeta(category="intimidation", reason=reason, source="bench", added_by="bench",
                     added_at=int(time.time()))
    return Blocklist(client, keys).add_many(entries, meta)
