"""Past the Redis memory threshold: uploads and imports refused with a clear message, the admins alerted
once, /readyz degraded but still in rotation."""
from __future__ import annotations

import io

import pytest

from screener.store.alert_log import CuratorContacts
from tests.conftest import ALERT_PHONE
from tests.integration.web_support import as_role, make_user, web  # noqa: F401

CSV = b"number,reason,category\n+375291234567,threats,intimidation\n"


@pytest.fixture
def env(env, monkeypatch):
    """Alert SMS are sent from the tests' line."""
    monkeypatch.setenv("SCREENER_ALERT_SMS_FROM", "+12025550143")
    return env


@pytest.fixture
def high_memory(svc):
    """Measure Redis against a 1 MB limit (it has no maxmemory): it is past any threshold at once."""
    svc.memory.limit_bytes = 1024 * 1024


def upload(user):
    token = user.token("/blocklist/import")
    return user.client.post("/blocklist/import", data={"csrf_token": token, "region": "", "source": "",
                                                       "file": (io.BytesIO(CSV), "list.csv")},
                            content_type="multipart/form-data")


def test_readyz_says_degraded_but_stays_in_rotation_when_redis_is_full(full_redis):
    app, fill = full_redis
    fill()
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("degraded: redis memory ")
    assert response.headers["X-Screener-Degraded"].startswith("redis memory ")


def test_readyz_says_ready_below_the_threshold(client):
    assert client.get("/readyz").get_data(as_text=True) == "ready\n"


def test_upload_is_refused_past_the_memory_threshold(as_role, svc, high_memory):
    curator = as_role("curator")
    response = upload(curator)
    assert response.status_code == 503
    assert "new uploads and imports are refused" in response.get_data(as_text=True)
    assert not (svc.settings.instance_path / "uploads").exists()


def test_import_commit_is_refused_past_the_memory_threshold(as_role, svc):
    curator = as_role("curator")
    status_url = upload(curator).headers["Location"]
    svc.memory.limit_bytes = 1024 * 1024
    page = curator.post(status_url + "/commit", token_from=status_url, follow_redirects=True)
    assert "new uploads and imports are refused" in page.get_data(as_text=True)
    assert svc.blocklist.count() == 0


def test_admins_are_alerted_once_when_redis_memory_is_high(client, svc, high_memory, run_worker, outbox):
    svc.alert_log.set_curators(CuratorContacts(sms=(ALERT_PHONE,)))
    client.get("/readyz")
    client.get("/readyz")
    run_worker()
    assert [m["to"] for m in outbox.messages] == [ALERT_PHONE]
    assert "Redis memory" in outbox.messages[0]["body"]


def test_threshold_is_configurable(env, monkeypatch, redis_client):
    from screener.config import load_settings

    monkeypatch.setenv("SCREENER_REDIS_MEMORY_PERCENT", "91")
    assert load_settings().redis_memory_percent == 91
