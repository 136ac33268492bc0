"""CPU per webhook call inside one process, without gunicorn or wrk: a quick, low-noise figure to compare
two versions of the code on a busy machine (`python -m bench.inprocess [--calls N] [--profile FILE] [--rotating]`).

It builds the webhook exactly as `screener.wsgi:app` does, on its own Redis with the benchmark's line and
blocklist, and calls the WSGI app with the same mix of distinct signed requests as benchmark 1 (80%
ordinary, 10% blocked, 10% withheld). The figure is process CPU (time.process_time) per call: the app's
own work plus the Redis client's, not Redis's. The same script run over another checkout's code
(PYTHONPATH=that/checkout) measures the same thing there.
"""
from __future__ import annotations

import argparse
import io
import logging
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from bench.callers import WITHHELD_FROM, call_sid, valid_numbers
from bench.deployment import ACCOUNT_SID, AUTH_TOKEN, LINE, block, save_line, settings_for
from bench.redis_server import start_redis
from screener.dev.simulate import SimulatedCall, signature

HOST = "127.0.0.1:8000"
URL = f"http://{HOST}/voice/incoming"


def environs(count: int, rng: random.Random, blocked: list[str], on_list: frozenset[str]) -> list[dict]:
    ordinary = valid_numbers(rng, count, exclude=on_list)
    out = []
    for i in range(count):
        kind = ("blocked", "withheld", *["ordinary"] * 8)[i % 10]
        caller = {"ordinary": ordinary.pop, "blocked": blocked.pop}.get(kind, lambda: rng.choice(WITHHELD_FROM))()
        form = SimulatedCall(from_=caller, to=LINE, account_sid=ACCOUNT_SID, sid=call_sid(rng)).incoming_form()
        body = urlencode(form).encode()
        out.append({
            "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/voice/incoming", "QUERY_STRING": "",
            "RAW_URI": "/voice/incoming", "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000", "HTTP_HOST": HOST,
            "HTTP_CONNECTION": "close", "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)), "HTTP_X_TWILIO_SIGNATURE": signature(AUTH_TOKEN, URL, form),
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "wsgi.input_terminated": True,
        })
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of one extra round here")
    parser.add_argument("--rotating", action="store_true",
                        help="with SCREENER_SECRET_KEY_OLD set, as during a change of the server secret")
    args = parser.parse_args()
    rng = random.Random(5)
    redis = start_redis()
    try:
        client = redis.client()
        save_line(client)
        blocked = valid_numbers(rng, args.calls * (args.rounds + 2) // 10 + 10)
        block(client, blocked)
        block(client, [f"+2348{n:03d}*" for n in range(1000)], reason="prefix of a known robocaller range")
        on_list = frozenset(blocked)
        from screener import create_app

        instance = Path(tempfile.mkdtemp(prefix="inprocess-"))
        settings = settings_for(redis.url, instance)
        if args.rotating:  # every call also hashes under the old secret and looks for the caller's old index
            settings = replace(settings, secret_key_old="bench-old-secret-key-" + "o" * 40)
        app = create_app(settings=settings)
        log_file = (instance / "app.log").open("w")
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(log_file)
        statuses: dict[str, int] = {}

        def start_response(status, headers, exc_info=None):
            statuses[status] = statuses.get(status, 0) + 1

        def run(batch: list[dict]) -> float:
            started = time.process_time()
            for environ in batch:
                body = app(environ, start_response)
                for _ in body:
                    pass
                getattr(body, "close", lambda: None)()
            return (time.process_time() - started) / len(batch) * 1000

        run(environs(500, rng, blocked, on_list))  # warm-up
        figures = [run(environs(args.calls, rng, blocked, on_list)) for _ in range(args.rounds)]
        print(f"CPU ms per call: {' '.join(f'{f:.3f}' for f in figures)}  (min {min(figures):.3f})  {statuses}")
        if args.profile:
            import cProfile

            batch = environs(args.calls, rng, blocked, on_list)
            profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for Redis
            profiler.runcall(run, batch)
            profiler.dump_stats(args.profile)
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
