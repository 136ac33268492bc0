"""`/metrics` under `screener serve` with several gunicorn workers: one set of totals, whichever answers."""
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests



@pytest.fixture
def served_by_two_workers(serve):
    return serve(workers=2)


def _refused(text: str) -> float:
    match = re.search(r"^screener_signature_failures_total (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


@pytest.mark.slow
def test_every_worker_reports_the_same_totals(served_by_two_workers):
    base = served_by_two_workers

    def refused_call(_: int) -> int:
        return requests.post(base + "/voice/incoming", data={"CallSid": "CA" + "1" * 32},
                             headers={"Connection": "close"}, timeout=10).status_code

    def metrics_page(_: int) -> float:
        return _refused(requests.get(base + "/metrics", headers={"Connection": "close"}, timeout=10).text)

    # Many at once, on new connections, so that both workers take some (one alone would hide the fault).
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(refused_call, range(40))) == {403}
        seen = set(pool.map(metrics_page, range(40)))
    assert seen == {40.0}
