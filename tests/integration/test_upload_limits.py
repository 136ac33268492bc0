"""Uploads and memory: a blocklist CSV is kept on disk (not in Redis) until committed, within a size cap and a
per-volunteer daily quota, and deleted once committed, discarded or expired."""
from __future__ import annotations

import io
import os
import re
import stat
import time

import pytest

from screener.store.imports import KEEP_SECONDS
from tests.integration.web_support import as_role, make_user, web  # noqa: F401

MB = 1024 * 1024


@pytest.fixture
def env(env, monkeypatch):
    """A 1 MB cap per file and 2 MB a day per volunteer."""
    monkeypatch.setenv("SCREENER_UPLOAD_MAX_MB", "1")
    monkeypatch.setenv("SCREENER_UPLOAD_DAILY_MB", "2")
    return env


def csv_of(size: int) -> bytes:
    """A valid blocklist CSV of about `size` bytes."""
    rows = [f"+37529{i:07d},threats,intimidation\n" for i in range(size // 34 + 1)]
    return ("number,reason,category\n" + "".join(rows)).encode()[:size]


def upload(user, data: bytes):
    token = user.token("/blocklist/import")
    return user.client.post("/blocklist/import", data={"csrf_token": token, "region": "", "source": "",
                                                       "file": (io.BytesIO(data), "list.csv")},
                            content_type="multipart/form-data")


def import_id(response) -> str:
    return re.search(r"/blocklist/import/(\w+)", response.headers["Location"]).group(1)


def used_memory(redis_client) -> int:
    return redis_client.info("memory")["used_memory"]


def test_upload_over_the_cap_is_refused_and_redis_memory_is_unchanged(as_role, redis_client):
    curator = as_role("curator")
    before = used_memory(redis_client)
    response = upload(curator, csv_of(int(1.5 * MB)))
    assert response.status_code == 413
    assert used_memory(redis_client) - before < 256 * 1024


def test_upload_is_kept_under_the_instance_folder_not_in_redis(as_role, svc, redis_client):
    curator = as_role("curator")
    data = csv_of(600 * 1024)
    before = used_memory(redis_client)
    response = upload(curator, data)
    assert response.status_code == 302
    folder = svc.settings.instance_path / "uploads"
    kept = folder / f"{import_id(response)}.csv"
    assert kept.read_bytes() == data
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert used_memory(redis_client) - before < 256 * 1024


def test_uploads_beyond_the_daily_quota_are_refused(as_role):
    curator = as_role("curator")
    assert upload(curator, csv_of(900 * 1024)).status_code == 302
    assert upload(curator, csv_of(900 * 1024)).status_code == 302
    refused = upload(curator, csv_of(900 * 1024))
    assert refused.status_code == 429
    assert "the daily limit is 2 MB" in refused.get_data(as_text=True)


def test_the_daily_quota_is_per_volunteer(as_role):
    first, second = as_role("curator", "anna"), as_role("curator", "boris")
    upload(first, csv_of(900 * 1024))
    upload(first, csv_of(900 * 1024))
    assert upload(second, csv_of(900 * 1024)).status_code == 302


def test_upload_file_is_deleted_once_committed(as_role, svc):
    curator = as_role("curator")
    item = import_id(upload(curator, csv_of(2000)))
    curator.post(f"/blocklist/import/{item}/commit", token_from=f"/blocklist/import/{item}")
    assert svc.imports.get(item).status == "committed"
    assert list((svc.settings.instance_path / "uploads").iterdir()) == []


def test_upload_file_is_deleted_once_discarded(as_role, svc):
    curator = as_role("curator")
    item = import_id(upload(curator, csv_of(2000)))
    curator.post(f"/blocklist/import/{item}/discard", token_from=f"/blocklist/import/{item}")
    assert list((svc.settings.instance_path / "uploads").iterdir()) == []


def test_an_expired_upload_file_is_deleted(as_role, svc):
    curator = as_role("curator")
    item = import_id(upload(curator, csv_of(2000)))
    kept = svc.settings.instance_path / "uploads" / f"{item}.csv"
    old = time.time() - KEEP_SECONDS - 60
    os.utime(kept, (old, old))
    assert svc.imports.sweep() == 1
    assert not kept.exists()
