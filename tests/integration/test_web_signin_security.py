"""Sign-in against an attacker: throttling per account and address, TOTP codes, sessions, cookies."""
from __future__ import annotations

import pytest
from flask import Flask

from screener import create_app
from screener.config import load_settings
from tests.integration.web_support import PASSWORD, WebUser, csrf_token, make_user, web  # noqa: F401

ATTACKER = "198.51.100.66"
OWNER = "203.0.113.7"


@pytest.fixture
def proxied_app(env, redis_client, monkeypatch) -> Flask:
    """The app as deployed behind nginx: client address and scheme from X-Forwarded-*."""
    monkeypatch.setenv("SCREENER_TRUST_PROXY", "1")
    return create_app({"TESTING": True}, settings=load_settings())


class FromAddress(WebUser):
    """A browser at one client address, as nginx reports it."""

    def __init__(self, app: Flask, address: str, proto: str = "http") -> None:
        super().__init__(app.test_client())
        self.client.environ_base.update({"HTTP_X_FORWARDED_FOR": address, "HTTP_X_FORWARDED_PROTO": proto})


def test_failures_from_one_address_do_not_keep_the_owner_out(proxied_app):
    proxied_app.extensions["screener"].users.create("anna", "admin", PASSWORD)
    attacker = FromAddress(proxied_app, ATTACKER)
    codes = [attacker.login("anna", f"guess number {i}").status_code for i in range(12)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429  # the attacker is slowed down, then refused
    owner = FromAddress(proxied_app, OWNER)
    response = owner.login("anna")
    assert response.status_code == 302
    assert owner.get("/").status_code == 200


def test_reset_password_lets_a_throttled_owner_in_at_once(proxied_app, cli):
    proxied_app.extensions["screener"].users.create("anna", "viewer", PASSWORD)
    owner = FromAddress(proxied_app, OWNER)
    for i in range(5):
        owner.login("anna", f"forgotten password {i}")
    assert owner.login("anna").status_code == 429
    result = cli("user", "reset-password", "anna")
    assert result.exit_code == 0
    response = owner.login("anna", result.output.strip().splitlines()[-1])
    assert response.status_code == 302
