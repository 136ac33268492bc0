"""The volunteers' pages off the public edge: only from the networks named, webhooks and health from anywhere."""
from dataclasses import replace

import pytest

from screener import create_app
from screener.config import ConfigError, load_settings, load_web_settings
from tests.conftest import Twilio

VPN = "10.8.0.7"
OUTSIDE = "203.0.113.5"


@pytest.fixture
def edge(env, redis_client, monkeypatch):
    monkeypatch.setenv("SCREENER_PAGE_NETWORKS", "10.8.0.0/24, 2001:db8::/48")
    monkeypatch.setenv("SCREENER_TRUST_PROXY", "1")
    return create_app({"TESTING": True}, settings=load_settings()).test_client()


def _get(client, path, address):
    return client.get(path, headers={"X-Forwarded-For": address})


def test_pages_answer_only_the_networks_named(edge):
    assert _get(edge, "/login", VPN).status_code == 200
    refused = _get(edge, "/login", OUTSIDE)
    assert refused.status_code == 404 and refused.get_data(as_text=True) == "Not Found\n"  # not even our page
    assert _get(edge, "/blocklist/", OUTSIDE).status_code == 404
    assert _get(edge, "/static/app.css", OUTSIDE).status_code == 404
    assert _get(edge, "/login", "2001:db8:0:5::9").status_code == 200
    assert _get(edge, "/login", "2001:db8:1::9").status_code == 404  # outside the /48


def test_health_metrics_and_webhooks_answer_from_anywhere(edge):
    assert _get(edge, "/healthz", OUTSIDE).status_code == 200
    assert _get(edge, "/readyz", OUTSIDE).status_code == 200
    assert _get(edge, "/metrics", OUTSIDE).status_code == 200
    answer = Twilio(edge).call("anonymous", headers={"X-Forwarded-For": OUTSIDE})
    assert answer.status_code == 200 and b"<Response>" in answer.data


def test_a_malformed_network_is_refused_at_start(env, redis_client, monkeypatch):
    monkeypatch.setenv("SCREENER_PAGE_NETWORKS", "10.8.0.0/33")
    with pytest.raises(ConfigError, match="SCREENER_PAGE_NETWORKS"):
        load_web_settings(load_settings())


def test_admins_need_a_second_factor_in_production_unless_the_operator_says_otherwise(env, monkeypatch):
    production = replace(load_settings(), public_url="https://screener.example.org")
    assert load_web_settings(production).require_admin_totp
    assert not load_web_settings(replace(production, public_url="http://127.0.0.1:5000")).require_admin_totp
    monkeypatch.setenv("SCREENER_REQUIRE_ADMIN_TOTP", "0")
    assert not load_web_settings(production).require_admin_totp
