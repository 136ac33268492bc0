"""A worker killed (SIGKILL) while committing a large import: the next worker carries it on, or Discard takes
off exactly what it had added; the page tells the truth throughout and the audit log has one entry."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pytest

from screener.store.blocklist import EntryMeta
from tests.integration.web_support import as_role, make_user, web  # noqa: F401

pytestmark = pytest.mark.slow

ROWS = 60_000
EARLIER = [f"+37529{1_000_000 + i}" for i in range(0, 2000, 7)]  # on the list before, and in the file too


def _upload(user, text: str):
    token = user.token("/blocklist/import")
    return user.client.post("/blocklist/import", data={"csrf_token": token, "region": "", "source": "",
                                                       "file": (io.BytesIO(text.encode()), "big.csv")},
                            content_type="multipart/form-data")


def _worker(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "screener", "worker", "--queue", "imports", *args],
                            env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def killed_mid_commit(as_role, svc, run_worker):  # noqa: F811 (as_role is the imported fixture)
    """A parsed 60,000-row import whose commit a `screener worker` process was SIGKILLed in the middle
    of. Yields (curator, status URL, import id)."""
    svc.blocklist.add_many(EARLIER, EntryMeta(category="threats", reason="known", source="manual", added_by="web:x"))
    curator = as_role("curator")
    rows = "".join(f"+37529{1_000_000 + i},bulk,spam\n" for i in range(ROWS))
    status_url = _upload(curator, "number,reason,category\n" + rows).headers["Location"]
    import_id = status_url.rsplit("/", 1)[1]
    run_worker()  # parses it
    curator.post(status_url + "/commit", token_from=status_url)
    worker = _worker()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            item = svc.imports.get(import_id)
            if item.applied > 0:
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
            time.sleep(0.001)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait(timeout=30)
    item = svc.imports.get(import_id)
    assert item.status == "committing" and 0 < item.applied < ROWS, "the kill did not land mid-commit"
    print(f"\nkilled at {item.applied} of {ROWS} rows ({item.progress}%), {item.added} entries added")
    yield curator, status_url, import_id


def _imports_audited(svc, action: str) -> int:
    return [e["action"] for e in svc.audit.entries()].count(action)


def test_the_page_says_no_worker_is_applying_a_killed_import(killed_mid_commit, svc):
    curator, status_url, import_id = killed_mid_commit
    html = curator.get(status_url).get_data(as_text=True)
    on_list = svc.blocklist.count() - len(EARLIER)
    assert "No worker is applying it" in html and "Carry on committing" in html
    assert f"Entries this import has on the list now: {svc.imports.get(import_id).added}." in html
    assert 0 < svc.imports.get(import_id).added <= on_list


def test_a_new_worker_carries_a_killed_commit_on_to_the_end(killed_mid_commit, svc):
    curator, status_url, import_id = killed_mid_commit
    started = time.monotonic()
    worker = _worker("--burst")
    assert worker.wait(timeout=300) == 0, worker.stderr.read().decode()[-2000:]
    print(f"carried on to the end by a new worker in {time.monotonic() - started:.1f} s")
    assert svc.blocklist.count() == ROWS
    assert svc.blocklist.get(EARLIER[1]).meta.reason == "known"  # listed before: left as it was
    assert _imports_audited(svc, "blocklist.import") == 1
    assert svc.audit.entries()[-1]["after"]["added"] == ROWS - len(EARLIER)
    assert f"{ROWS - len(EARLIER)} entries were added" in curator.get(status_url).get_data(as_text=True)


def test_discard_after_a_kill_takes_off_only_what_the_import_added(killed_mid_commit, svc, run_worker):
    curator, status_url, import_id = killed_mid_commit
    curator.post(status_url + "/discard", token_from=status_url)
    assert "Taking off the entries" in curator.get(status_url).get_data(as_text=True)
    worker = _worker("--burst")
    assert worker.wait(timeout=300) == 0, worker.stderr.read().decode()[-2000:]
    assert svc.blocklist.count() == len(EARLIER)
    assert all(svc.blocklist.get(e).meta.reason == "known" for e in EARLIER)
    assert _imports_audited(svc, "blocklist.import") == 0
    assert _imports_audited(svc, "blocklist.import.discard") == 1
    html = curator.get(status_url).get_data(as_text=True)
    assert "Discarded:" in html and "entries listed before it stay" in html


def test_commit_pressed_twice_after_a_kill_carries_it_on_once(killed_mid_commit, svc, run_worker):
    curator, status_url, import_id = killed_mid_commit
    curator.post(status_url + "/commit", token_from=status_url)  # queued again: its worker died
    curator.post(status_url + "/commit", token_from=status_url)
    run_worker()
    assert svc.blocklist.count() == ROWS
    assert _imports_audited(svc, "blocklist.import") == 1
    assert svc.imports.get(import_id).status == "committed"
