"""What WAIT costs a call (`python -m bench.wait_cost [--calls N]`): the webhook's wall time per call, in one
process, against a master with one replica, with SCREENER_REDIS_WAIT_REPLICAS=1 (the call's record confirmed
on the replica, in the same round trip) and =0 (not waited for), in alternating rounds.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.callers import valid_numbers
from bench.deployment import block, environment, save_line
from bench.inprocess import environs
from bench.redis_server import start_redis
from screener import metrics
from screener.config import load_settings
from screener.store.redis_process import wait_until_answering


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)
    master = start_redis()
    replica = start_redis("--replicaof", "127.0.0.1", str(master.port))
    try:
        client = master.client()
        save_line(client)
        blocked = valid_numbers(rng, args.calls * (args.rounds * 2 + 1) // 10 + 10)
        block(client, blocked)
        wait_until_answering(replica.client())
        from screener import create_app

        apps = {}
        for replicas in ("0", "1"):
            env = {**environment(master.url, Path(tempfile.mkdtemp(prefix="wait-cost-"))),
                   "SCREENER_REDIS_WAIT_REPLICAS": replicas, "SCREENER_LOG_LEVEL": "ERROR"}
            apps[replicas] = create_app(settings=load_settings(env))

        statuses: dict[str, int] = {}

        def start_response(status, headers, exc_info=None):
            statuses[status] = statuses.get(status, 0) + 1

        def run(app, batch: list[dict]) -> list[float]:
            took = []
            for environ in batch:
                started = time.perf_counter()
                body = app(environ, start_response)
                for _ in body:
                    pass
                took.append((time.perf_counter() - started) * 1000)
            return took

        on_list = frozenset(blocked)
        for app in apps.values():
            run(app, environs(200, rng, blocked, on_list))  # warm-up
        times: dict[str, list[float]] = {"0": [], "1": []}
        for _ in range(args.rounds):
            for replicas, app in apps.items():
                times[replicas] += run(app, environs(args.calls, rng, blocked, on_list))
        for replicas, took in times.items():
            took.sort()
            print(f"WAIT replicas={replicas}: p50 {statistics.median(took):.3f} ms, "
                  f"p99 {took[int(len(took) * 0.99)]:.3f} ms per call ({len(took)} calls)")
        print(f"p50 ratio (WAIT 1 / no WAIT): {statistics.median(times['1']) / statistics.median(times['0']):.2f}; "
              f"replicas connected: {master.client().info('replication')['connected_slaves']}; answers: {statuses}; "
              f"records WAIT could not confirm in time (spooled too): {metrics.SPOOLED.labels('call')._value.get():.0f}")
    finally:
        replica.stop()
        master.stop()
        os.environ.pop("SCREENER_REDIS_WAIT_REPLICAS", None)


if __name__ == "__main__":
    main()
