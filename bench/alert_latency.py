"""Benchmark 5: from the webhook's answer to a blocked caller until the SMS reaches the Twilio stand-in.

The real pieces: gunicorn serving the webhook, two `screener worker` processes, Redis, and the local
Twilio Messages API of screener/sms_outbox.py. Blocked calls arrive at a fixed rate (open loop: a
slow answer does not delay the next call), each from a different listed number.
"""
from __future__ import annotations

import math
import random
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from rq import Worker

from bench import web_server
from bench.callers import call_sid, valid_numbers
from bench.cpu import CpuWatch
from bench.deployment import ACCOUNT_SID, AUTH_TOKEN, LINE, ROOT, block, environment, save_line
from bench.redis_server import start_redis
from bench.stats import summary
from screener.dev.simulate import SimulatedCall, signature

try:  # the local Twilio REST stand-in (screener/sms_outbox.py, renamed twilio_standin.py later)
    from screener.dev.twilio_standin import TwilioStandIn as Outbox, start as start_outbox
except ImportError:
    from screener.sms_outbox import Outbox, start as start_outbox

WORKERS = 2
_NUMBER = re.compile(r"\+\d{7,15}")


def _settings(quick: bool) -> dict:
    return {"rate": 50, "seconds": 1 if quick else 10, "drain_timeout": 10 if quick else 120}


class _Arrivals:
    """SMS arrival times at the stand-in, keyed by the caller number the text names."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_number: dict[str, float] = {}
        self.in_order: list[float] = []

    def __call__(self, message: dict[str, str]) -> None:
        now = time.monotonic()
        with self.lock:
            self.in_order.append(now)
            for number in _NUMBER.findall(message.get("body", "")):
                self.by_number.setdefault(number, now)


def run(quick: bool, workdir: Path, log=print) -> dict:
    cfg = _settings(quick)
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(21)
    calls = cfg["rate"] * cfg["seconds"]
    callers = valid_numbers(rng, calls + 20)
    arrivals = _Arrivals()
    outbox = Outbox(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, on_message=arrivals)
    outbox_server = start_outbox(outbox)
    redis = start_redis()
    web = None
    workers: list[subprocess.Popen] = []
    try:
        client = redis.client()
        save_line(client)
        block(client, callers)
        env = environment(redis.url, workdir / "instance", api_base=f"http://127.0.0.1:{outbox_server.server_address[1]}")
        web = web_server.start("alerts-webhook", "screener.wsgi:app", env, workdir)
        for n in range(WORKERS):
            workers.append(subprocess.Popen([sys.executable, "-m", "screener", "worker"], cwd=ROOT, env=env,
                                            stdout=(workdir / f"worker-{n}.log").open("ab"), stderr=subprocess.STDOUT))
        _wait_for_workers(client, workers)
        url = web.base + "/voice/incoming"
        # Warm-up: the first jobs pay for imports in the workers.
        warm = [_call(url, callers.pop(), rng) for _ in range(10)]
        _wait(lambda: all(c in arrivals.by_number for c, _, _ in warm) or len(arrivals.in_order) >= len(warm), 30)
        arrivals.by_number.clear()
        arrivals.in_order.clear()
        log(f"  alerts: {calls} blocked calls at {cfg['rate']}/s to the webhook, {WORKERS} workers delivering")
        with CpuWatch() as watch:
            answered = _load(url, callers[:calls], cfg["rate"], rng)
            _wait(lambda: len(arrivals.in_order) >= len(answered), cfg["drain_timeout"])
        return _report(cfg, answered, arrivals, watch.result.others, log)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        if web:
            web.stop()
        outbox_server.shutdown()
        redis.stop()


def _wait_for_workers(client, workers: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a `screener worker` process exited; see its log in the work folder")
        if len(Worker.all(connection=client)) >= len(workers):
            return
        time.sleep(0.1)
    raise RuntimeError("the workers did not register with Redis")


def _wait(done, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done():
        time.sleep(0.02)


_local = threading.local()


def _call(url: str, caller: str, rng: random.Random) -> tuple[str, float, float]:
    """Post one signed blocked call; (caller, seconds the webhook took, monotonic time of the answer)."""
    session = getattr(_local, "session", None) or requests.Session()
    _local.session = session
    form = SimulatedCall(from_=caller, to=LINE, account_sid=ACCOUNT_SID, sid=call_sid(rng)).incoming_form()
    headers = {"X-Twilio-Signature": signature(AUTH_TOKEN, url, form), "Connection": "close"}
    started = time.monotonic()
    response = session.post(url, data=form, headers=headers, timeout=10)
    answered = time.monotonic()
    if response.status_code != 200:
        raise RuntimeError(f"the webhook answered {response.status_code}: {response.text[:200]}")
    return caller, answered - started, answered


def _load(url: str, callers: list[str], rate: float, rng: random.Random) -> list[tuple[str, float, float]]:
    start = time.monotonic() + 0.2
    seeds = [rng.random() for _ in callers]

    def scheduled(i: int) -> tuple[str, float, float]:
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return _call(url, callers[i], random.Random(seeds[i]))

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(scheduled, range(len(callers))))


def _report(cfg: dict, answered: list[tuple[str, float, float]], arrivals: _Arrivals, other_cpu: float, log) -> dict:
    by_number = dict(arrivals.by_number)
    pairs = [(at, by_number.get(c)) for c, _, at in answered]
    method = "by caller number in the SMS text"
    if not by_number and arrivals.in_order:
        # The texts do not name the caller: pair answers and arrivals in order instead.
        sent = sorted(at for _, _, at in answered)
        got = sorted(arrivals.in_order)
        pairs = [(at, got[i] if i < len(got) else None) for i, at in enumerate(sent)]
        method = "answers and SMS paired in arrival order (the texts name no caller)"
    # An SMS that never came counts as infinitely late, so the percentiles cannot flatter the result.
    latencies = [(sms - at) * 1000 if sms is not None else math.inf for at, sms in pairs]
    delivered = [v for v in latencies if v != math.inf]
    span = max(at for _, _, at in answered) - min(at for _, _, at in answered)
    times = sorted(arrivals.in_order)
    out = {
        "settings": {**cfg, "workers": WORKERS},
        "calls": len(answered),
        "achieved_call_rate": (len(answered) - 1) / span if span else 0.0,
        "sms_received": len(arrivals.in_order),
        "delivered_within_window": len(delivered),
        "sms_per_second_delivered": (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0,
        "pairing": method,
        "webhook_ms": {k: v * 1000 if k != "count" else v for k, v in summary([d for _, d, _ in answered]).items()},
        "other_processes_cpu_cores": other_cpu,
        "alert_latency_ms": {k: (None if v == math.inf else v) for k, v in summary(latencies).items() if k != "mean"},
    }
    lat = out["alert_latency_ms"]
    show = lambda v: "not delivered" if v is None else f"{v:.0f} ms"  # noqa: E731
    log(f"  alerts: {len(delivered)}/{len(answered)} SMS within {cfg['drain_timeout']} s of the last call"
        f" ({out['sms_per_second_delivered']:.1f} SMS/s); answer -> SMS p50 {show(lat['p50'])},"
        f" p99 {show(lat['p99'])}")
    return out
