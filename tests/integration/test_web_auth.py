"""Sign-in, sign-out, roles, CSRF, security headers, and `screener user add`."""
from __future__ import annotations


import pyotp

from tests.integration.web_support import PASSWORD, WebUser, as_role, csrf_token, make_user, web  # noqa: F401


def test_pages_need_sign_in(client):
    response = client.get("/blocklist/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_and_logout(client, make_user):
    make_user("anna", "viewer")
    user = WebUser(client)
    assert user.login("anna").status_code == 302
    assert client.get("/").status_code == 200
    response = user.post("/logout", follow_redirects=False)
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client, make_user):
    make_user("anna", "viewer")
    response = WebUser(client).login("anna", "not the password")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.get_data(as_text=True)


def test_unknown_user_gets_the_same_answer(client):
    response = WebUser(client).login("nobody", "whatever password")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.get_data(as_text=True)


def test_login_is_rate_limited_per_address(client):
    user = WebUser(client)
    codes = [user.login(f"user{i}", "wrong password!").status_code for i in range(21)]
    assert codes[-1] == 429


def test_logout_signs_the_session_out_on_the_server(app, make_user):
    make_user("anna", "viewer")
    first = WebUser(app.test_client())
    first.login("anna")
    cookie = first.client.get_cookie("session")
    first.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)
    assert replay.get("/").status_code == 302


def test_form_without_csrf_token_is_rejected(as_role):
    curator = as_role("curator")
    response = curator.client.post("/blocklist/new", data={"entry": "+375291234567", "reason": "x",
                                                           "category": "intimidation", "source": "manual"})
    assert response.status_code == 400


def test_login_without_csrf_token_is_rejected(client, make_user):
    make_user("anna", "viewer")
    response = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code == 400


def test_viewer_cannot_edit_the_blocklist(as_role):
    viewer = as_role("viewer")
    response = viewer.post("/blocklist/new", {"entry": "+375291234567", "reason": "x", "category": "c",
                                              "source": "manual"})
    assert response.status_code == 403


def test_curator_cannot_manage_users(as_role):
    curator = as_role("curator")
    assert curator.get("/users").status_code == 403
    assert curator.post("/users", {"name": "mallory", "role": "admin"}).status_code == 403


def test_admin_adds_a_user_and_sees_the_one_time_password_once(as_role, web):
    admin = as_role("admin")
    response = admin.post("/users", {"name": "boris", "role": "curator"}, token_from="/users")
    assert response.status_code == 200
    assert "One-time password for boris" in response.get_data(as_text=True)
    assert web.users.get("boris").role.value == "curator"


def test_every_web_route_declares_a_role(app):
    from screener.web import WEB_BLUEPRINTS

    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in WEB_BLUEPRINTS and not rule.endpoint.endswith(".static"):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, "required_role", None) is not None, rule.endpoint


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_secure_behind_https(env, redis_client, monkeypatch):
    from screener import create_app
    from screener.config import load_settings

    monkeypatch.setenv("SCREENER_PUBLIC_URL", "https://screener.example.org")
    app = create_app({"TESTING": True}, settings=load_settings())
    app.extensions["screener"].users.create("anna", "viewer", PASSWORD)
    client = app.test_client()
    WebUser(client).login("anna")
    cookie = client.get_cookie("session")
    assert cookie.secure and cookie.http_only
    assert "Strict-Transport-Security" in client.get("/login").headers


def test_totp_is_asked_after_the_password(client, make_user, web):
    from dataclasses import replace

    secret = pyotp.random_base32()
    web.users.save(replace(make_user("anna", "admin"), totp_secret=secret))
    user = WebUser(client)
    response = user.login("anna")
    assert response.headers["Location"] == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    assert client.post("/login/code", data={"code": "000000", "csrf_token": csrf_token(page)}).status_code == 401
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_admin_without_totp_must_enrol_when_required(env, redis_client, monkeypatch):
    from screener import create_app
    from screener.config import load_settings

    monkeypatch.setenv("SCREENER_REQUIRE_ADMIN_TOTP", "1")
    app = create_app({"TESTING": True}, settings=load_settings())
    app.extensions["screener"].users.create("root", "admin", PASSWORD)
    client = app.test_client()
    WebUser(client).login("root")
    response = client.get("/users")
    assert response.status_code == 302 and response.headers["Location"] == "/account/code"


def test_cli_user_add_prints_a_one_time_password(cli, svc):
    result = cli("user", "add", "vera", "--role", "curator")
    assert result.exit_code == 0
    password = result.output.strip().splitlines()[-1]
    assert svc.users.authenticate("vera", password) is not None


def test_cli_user_add_reads_the_password_from_stdin(cli, svc):
    result = cli("user", "add", "vera", "--role", "viewer", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0
    assert PASSWORD not in result.output
    assert svc.users.authenticate("vera", PASSWORD) is not None
    assert svc.audit.entries()[-1]["action"] == "user.add"


def test_stylesheet_is_served_before_sign_in(client):
    response = client.get("/static/web/app.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
