"""Sign-in against an attacker: throttling per account and address, TOTP codes, sessions, cookies."""
from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pyotp
import pytest
from flask import Flask

from screener import create_app
from screener.config import load_settings
from tests.integration.web_support import PASSWORD, WebUser, as_role, csrf_token, make_user, web  # noqa: F401

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


def test_attacker_moving_through_one_ipv6_network_is_slowed_but_not_the_owner(proxied_app):
    proxied_app.extensions["screener"].users.create("anna", "admin", PASSWORD)
    codes = [FromAddress(proxied_app, f"2001:db8:66:1::{i + 1:x}").login("anna", f"guess {i}").status_code
             for i in range(6)]
    assert codes == [401] * 5 + [429]
    assert FromAddress(proxied_app, "2001:db8:7:1::1").login("anna").status_code == 302


@pytest.fixture
def totp_user_on(env, redis_client) -> Iterator[tuple[Flask, str]]:
    """An app without rate limits (they would make the requests queue at Redis before the code is
    checked) and an admin with two-step sign-in on; the app and the TOTP secret."""
    from dataclasses import replace

    from screener.web.extensions import limiter

    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False}, settings=load_settings())
    users = app.extensions["screener"].users
    secret = pyotp.random_base32()
    users.save(replace(users.create("anna", "admin", PASSWORD), totp_secret=secret))
    yield app, secret
    limiter.enabled = True  # the one Limiter keeps the last app's setting as every later app's default


def _past_the_password(app: Flask) -> tuple[WebUser, str]:
    """A browser whose password was right, on the code page; and that page's CSRF token."""
    browser = WebUser(app.test_client())
    assert browser.login("anna").headers["Location"] == "/login/code"
    return browser, csrf_token(browser.get("/login/code").get_data(as_text=True))


def test_one_code_signs_in_only_one_of_four_simultaneous_sign_ins(env, redis_client, totp_user_on):
    app, secret = totp_user_on
    browsers = [_past_the_password(app) for _ in range(4)]
    code = pyotp.TOTP(secret).now()
    start = threading.Barrier(len(browsers) + 1)

    def submit(browser: WebUser, token: str) -> int:
        start.wait()
        return browser.client.post("/login/code", data={"code": code, "csrf_token": token}).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        answers = [pool.submit(submit, *pair) for pair in browsers]
        # Redis holds back writes (reads go on) for a moment: the four sign-ins arrive together, as they
        # would from four machines, instead of one after the other as the GIL tends to run them.
        redis_client.execute_command("CLIENT", "PAUSE", 150, "WRITE")
        start.wait()
        codes = [answer.result() for answer in answers]
    assert sorted(codes) == [302, 401, 401, 401]
    assert [b.get("/").status_code for b, _ in browsers].count(200) == 1


def _enable_totp(browser: WebUser) -> str:
    """Turn on two-step sign-in the way a volunteer does on /account/code; the secret."""
    page = browser.get("/account/code").get_data(as_text=True)
    secret = re.search(r'class="secret mono">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = browser.post("/account/code", {"code": pyotp.TOTP(secret).now()}, token_from="/account/code")
    assert response.status_code == 302
    return secret


def test_turning_on_two_step_sign_in_signs_out_the_other_sessions(app, make_user):
    make_user("anna", "viewer")
    mine, stolen = WebUser(app.test_client()), WebUser(app.test_client())
    mine.login("anna")
    stolen.login("anna")
    _enable_totp(mine)
    assert stolen.get("/").status_code == 302
    assert mine.get("/").status_code == 200


def test_resetting_two_step_sign_in_signs_the_account_out_everywhere(as_role, app, make_user):
    admin = as_role("admin", "root")
    anna = WebUser(app.test_client())
    make_user("anna", "viewer")
    anna.login("anna")
    _enable_totp(anna)
    response = admin.post("/users/anna/code", {}, token_from="/users/anna")
    assert response.status_code == 302
    assert anna.get("/").status_code == 302


def test_session_cookie_is_secure_behind_tls_without_a_public_url(proxied_app):
    proxied_app.extensions["screener"].users.create("anna", "viewer", PASSWORD)
    browser = FromAddress(proxied_app, OWNER, proto="https")
    browser.login("anna")
    cookie = browser.client.get_cookie("session")
    assert cookie.secure and cookie.http_only


def test_session_cookie_ends_with_the_browser(client, make_user):
    make_user("anna", "viewer")
    WebUser(client).login("anna")
    assert client.get_cookie("session").expires is None


def test_totp_secret_is_not_kept_in_clear(app, make_user, redis_client, svc):
    make_user("anna", "viewer")
    browser = WebUser(app.test_client())
    browser.login("anna")
    secret = _enable_totp(browser)
    stored = redis_client.hget(svc.keys.users(), "anna").decode()
    assert secret not in stored
    later, token = _past_the_password(app)
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: the enrolment used this one
    assert later.client.post("/login/code", data={"code": code, "csrf_token": token}).status_code == 302


def test_secret_kept_in_clear_by_an_earlier_version_works_and_is_sealed_at_first_use(app, redis_client, svc):
    secret = pyotp.random_base32()
    account = svc.users.create("anna", "admin", PASSWORD).to_json()
    redis_client.hset(svc.keys.users(), "anna", account.replace('"totp_secret": ""', f'"totp_secret": "{secret}"'))
    browser, token = _past_the_password(app)
    response = browser.client.post("/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert response.status_code == 302
    assert secret not in redis_client.hget(svc.keys.users(), "anna").decode()


def test_secret_sealed_under_another_server_secret_refuses_every_code(app, redis_client, svc):
    from screener.sealing import SecretSealer

    secret = pyotp.random_base32()
    foreign = SecretSealer(["another server's secret key, 32+ characters"]).seal(secret, "anna")
    account = svc.users.create("anna", "admin", PASSWORD).to_json()
    redis_client.hset(svc.keys.users(), "anna", account.replace('"totp_secret": ""', f'"totp_secret": "{foreign}"'))
    browser, token = _past_the_password(app)
    response = browser.client.post("/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert response.status_code == 401


NEW_SECRET_KEY = "the-new-server-secret-" + "y" * 40


@pytest.fixture
def after_key_change(env, redis_client, monkeypatch):
    """Build the app again, as a restart after SCREENER_SECRET_KEY changed with the old value kept."""

    def restart() -> Flask:
        monkeypatch.setenv("SCREENER_SECRET_KEY_OLD", env["SCREENER_SECRET_KEY"])
        monkeypatch.setenv("SCREENER_SECRET_KEY", NEW_SECRET_KEY)
        return create_app({"TESTING": True}, settings=load_settings())

    return restart


def test_signed_in_volunteer_stays_signed_in_through_a_secret_key_change(app, make_user, after_key_change):
    make_user("anna", "viewer")
    before = WebUser(app.test_client())
    before.login("anna")
    after = after_key_change().test_client()
    after.set_cookie("session", before.client.get_cookie("session").value)
    assert after.get("/").status_code == 200


def test_totp_sealed_under_the_old_secret_key_works_and_is_sealed_under_the_new(app, svc, redis_client,
                                                                               after_key_change):
    from dataclasses import replace

    from screener.sealing import SecretSealer

    secret = pyotp.random_base32()
    svc.users.save(replace(svc.users.create("anna", "admin", PASSWORD), totp_secret=secret))
    restarted = after_key_change()
    browser, token = _past_the_password(restarted)
    response = browser.client.post("/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert response.status_code == 302
    stored = json.loads(redis_client.hget(svc.keys.users(), "anna"))["totp_secret"]
    assert SecretSealer([NEW_SECRET_KEY]).open(stored, "anna") == (secret, False)


def test_account_with_a_secret_in_clear_is_still_read_when_redis_refuses_writes(svc, redis_client):
    secret = pyotp.random_base32()
    account = svc.users.create("anna", "admin", PASSWORD).to_json()
    redis_client.hset(svc.keys.users(), "anna", account.replace('"totp_secret": ""', f'"totp_secret": "{secret}"'))
    redis_client.config_set("maxmemory", 1)
    try:
        user = svc.users.get("anna")
    finally:
        redis_client.config_set("maxmemory", 0)
    assert user.totp_secret == secret
