"""Benchmark 1: the signed webhook under wrk, against Twilio's sample and a constant endpoint, interleaved."""
from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

from bench import profile_report, web_server, wrk_runner
from bench.callers import valid_numbers
from bench.deployment import block, environment, save_line
from bench.redis_server import start_redis
from bench.stats import median
from screener.store.keys import Keys

SUBJECT = "webhook"
BASELINES = ("twilio_sample", "constant")
APPS = {
    SUBJECT: "screener.wsgi:app",
    "twilio_sample": "bench.baseline_apps:twilio_sample",
    "constant": "bench.baseline_apps:constant",
}
PATH = "/voice/incoming"


# "close": a new connection per request, which is what nginx's proxy_pass does by default and so what
# gunicorn sees in deploy/. "keep-alive": wrk's 16 connections kept open, which gunicorn's gthread
# workers split between them at accept time, often unevenly: noisier, reported as a second view.
MODES = (("close", False), ("keep-alive", True))


def _settings(quick: bool) -> dict:
    if quick:
        return {"seconds": 2, "rounds": {"close": 1, "keep-alive": 1}, "warmup": 1, "list_size": 10_000,
                "profile_seconds": 2}
    return {"seconds": 10, "rounds": {"close": 3, "keep-alive": 2}, "warmup": 3, "list_size": 100_000,
            "profile_seconds": 10}


class _Bench:
    """Three gunicorn servers on one Redis, and an endless supply of distinct signed requests."""

    def __init__(self, cfg: dict, workdir: Path, log) -> None:
        self.cfg, self.workdir, self.log = cfg, workdir, log
        self.rng = random.Random(5)
        self.redis = start_redis()
        self.servers: dict[str, web_server.WebServer] = {}
        self.client = self.redis.client()
        save_line(self.client)
        # Blocked callers are on the list and each calls once; the prefixes match none of the callers.
        self.blocked = valid_numbers(self.rng, cfg["list_size"])
        block(self.client, self.blocked)
        block(self.client, [f"+2348{n:03d}*" for n in range(1000)], reason="prefix of a known robocaller range")
        self.on_list = frozenset(self.blocked)
        env = environment(self.redis.url, workdir / "instance")
        for name, app in APPS.items():
            self.servers[name] = web_server.start(name, app, env, workdir)
        self.urls = {name: server.base + PATH for name, server in self.servers.items()}

    def request_file(self, tag: str, count: int) -> Path:
        """A file of count signed requests that shares no CallSid or caller with any earlier file."""
        if len(self.blocked) < count // 10 + 10:
            raise RuntimeError("out of distinct blocked callers: raise list_size")
        path = self.workdir / f"requests-{tag}.txt"
        ordinary = valid_numbers(self.rng, math.ceil(count * 0.8) + 10, exclude=self.on_list)
        wrk_runner.write_requests(path, self.urls[SUBJECT], count, ordinary, self.blocked, self.rng)
        return path

    def load(self, name: str, path: Path, seconds: float, keep_alive: bool) -> wrk_runner.WrkResult:
        return wrk_runner.run(self.urls[name], path, seconds, self.servers[name].process.pid,
                              self.redis.pid, keep_alive=keep_alive)

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.redis.stop()


def run(quick: bool, workdir: Path, profile: bool = True, log=print) -> dict:
    cfg = _settings(quick)
    workdir.mkdir(parents=True, exist_ok=True)
    bench = _Bench(cfg, workdir, log)
    try:
        bench.client.config_resetstat()  # from here on, commandstats count only what the servers did
        log(f"  webhook: warm-up, {cfg['warmup']} s per app")
        baseline_file = bench.request_file("warmup", 20_000)
        warm = {name: bench.load(name, baseline_file, cfg["warmup"], False) for name in APPS}
        # Enough distinct requests that no measured run of the webhook repeats a CallSid.
        per_run = max(5_000, math.ceil(warm[SUBJECT].rps * cfg["seconds"] * 3))
        out: dict = {
            "settings": {
                **cfg,
                "wrk": f"-t{wrk_runner.THREADS} -c{wrk_runner.CONNECTIONS} -d{cfg['seconds']}s --latency, rotate.lua",
                "gunicorn": " ".join(web_server.GUNICORN_SETTINGS),
                "distinct_requests_per_webhook_run": per_run,
            },
        }
        subject_runs = [warm[SUBJECT]]
        for mode, keep_alive in MODES:
            if not cfg["rounds"].get(mode):
                continue
            runs: dict[str, list[wrk_runner.WrkResult]] = {name: [] for name in APPS}
            order = [SUBJECT, *BASELINES]
            for round_no in range(cfg["rounds"][mode]):
                subject_file = bench.request_file(f"{mode}-{round_no}", per_run)
                for name in order:
                    path = subject_file if name == SUBJECT else baseline_file
                    result = bench.load(name, path, cfg["seconds"], keep_alive)
                    if name == SUBJECT and result.requests > per_run:
                        raise RuntimeError("the webhook run repeated CallSids; the request file was too small")
                    runs[name].append(result)
                    log(f"  webhook [{mode}] round {round_no + 1} {name:13s} {result.rps:6.0f} req/s"
                        f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
                        f"  CPU/req: web {result.server_cpu_ms:.3f} ms, redis {result.redis_cpu_ms:.3f} ms"
                        f"  errors {result.errors}  other processes {result.other_cpu:.2f} cores")
                order = order[1:] + order[:1]  # interleave: each app takes each position in turn
            subject_runs += runs[SUBJECT]
            out[mode] = _summarise(runs)
        out["work_done"] = _work_done(bench.client, subject_runs)
        if profile:
            out["profile"] = {}
            for kind in ("gil", "wall"):
                log(f"  webhook: py-spy profile ({kind}) of the webhook under load [close], {cfg['profile_seconds']} s")
                out["profile"][kind] = _profile(
                    kind, lambda path, s: bench.load(SUBJECT, path, s, False), bench.servers[SUBJECT],
                    bench.request_file(f"profile-{kind}", per_run), cfg["profile_seconds"], workdir)
        return out
    finally:
        bench.stop()


def _summarise(runs: dict[str, list[wrk_runner.WrkResult]]) -> dict:
    figures = {name: _aggregate(results) for name, results in runs.items()}
    subject, sample, constant = figures[SUBJECT], figures["twilio_sample"], figures["constant"]
    return {
        "figures": figures,
        "ratios": {
            "throughput_vs_twilio_sample": subject["rps"] / sample["rps"],
            "p50_vs_twilio_sample": subject["p50_ms"] / sample["p50_ms"],
            "p99_vs_twilio_sample": subject["p99_ms"] / sample["p99_ms"],
            "cpu_per_request_vs_twilio_sample": subject["server_cpu_ms_per_request"] / sample["server_cpu_ms_per_request"],
            "throughput_vs_constant": subject["rps"] / constant["rps"],
            "p99_vs_constant": subject["p99_ms"] / constant["p99_ms"],
        },
    }


def _aggregate(results: list[wrk_runner.WrkResult]) -> dict:
    return {
        "rps": median([r.rps for r in results]),
        "p50_ms": median([r.p50_ms for r in results]),
        "p99_ms": median([r.p99_ms for r in results]),
        "requests": sum(r.requests for r in results),
        "errors": sum(r.errors for r in results),
        "other_cpu_max": max(r.other_cpu for r in results),
        "server_cpu_ms_per_request": median([r.server_cpu_ms for r in results]),
        "redis_cpu_ms_per_request": median([r.redis_cpu_ms for r in results]),
        "runs": [{"rps": r.rps, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms, "other_cpu": r.other_cpu} for r in results],
    }


def _work_done(client, runs: list[wrk_runner.WrkResult]) -> dict:
    """Evidence that the webhook did the whole job: call-log entries and alert jobs in Redis."""
    keys = Keys()
    answered = sum(r.requests for r in runs)
    calls = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in client.info("commandstats").items()}
    return {
        "webhook_answers": answered,
        "call_log_entries": client.xlen(keys.call_stream()),
        "alert_jobs_enqueued": client.llen("rq:queue:alerts"),
        "redis_commands_per_answer": round(sum(calls.values()) / max(answered, 1), 2),
        "redis_commands": dict(sorted(calls.items(), key=lambda kv: -kv[1])),
    }


def _profile(mode: str, load, server: web_server.WebServer, request_file: Path, seconds: float, workdir: Path) -> dict:
    """py-spy on the gunicorn workers during one more wrk run.

    mode "gil": samples only the thread holding the GIL, i.e. what the interpreter spends its time on
    (the limit of a gthread worker). mode "wall": every thread, waiting included (--idle).
    """
    raw = workdir / f"webhook-profile-{mode}.txt"
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        return {"error": "py-spy is not installed: .venv/bin/pip install py-spy"}
    spy = subprocess.Popen(
        [str(py_spy), "record", "--pid", str(server.process.pid), "--subprocesses",
         "--rate", "200", "--format", "raw", "--output", str(raw), "--duration", str(int(seconds) + 1), "--nonblocking",
         "--gil" if mode == "gil" else "--idle"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        result = load(request_file, seconds)
        _, err = spy.communicate(timeout=seconds + 60)
    finally:
        if spy.poll() is None:
            spy.kill()
            spy.wait()
    if not raw.exists():
        return {"error": f"py-spy produced no profile: {err.strip()[-300:]}"}
    report = profile_report.analyse(raw)
    report["rps_while_profiling"] = result.rps
    report["raw_file"] = str(raw)
    return report
