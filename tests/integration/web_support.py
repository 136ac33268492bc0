"""Fixtures for the web page tests: accounts of each role and a test client that signs in and posts
forms with their CSRF token, the way a browser does."""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from screener.store.users import Role, User
from screener.services import Services

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


class WebUser:
    """A test client acting as one volunteer."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, name: str, password: str = PASSWORD, follow: bool = False):
        page = self.client.get("/login")
        return self.client.post("/login", data={"username": name, "password": password,
                                                "csrf_token": csrf_token(page.get_data(as_text=True))},
                                follow_redirects=follow)

    def token(self, path: str = "/account/") -> str:
        return csrf_token(self.client.get(path).get_data(as_text=True))

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, *, token_from: str = "/account/", **kwargs):
        body = dict(data or {})
        body.setdefault("csrf_token", self.token(token_from))
        return self.client.post(path, data=body, **kwargs)


@pytest.fixture
def web(app) -> Services:
    return app.extensions["screener"]


@pytest.fixture
def make_user(web):
    def make(name: str, role: Role | str, password: str = PASSWORD) -> User:
        return web.users.create(name, Role(role), password)

    return make


@pytest.fixture
def as_role(app, make_user):
    """A signed-in client for a new account of the given role."""

    def sign_in(role: str, name: str | None = None) -> WebUser:
        name = name or f"{role}1"
        make_user(name, role)
        user = WebUser(app.test_client())
        response = user.login(name)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in


@pytest.fixture(name="app")
def app_with_the_two_person_rule(settings, monkeypatch):
    """The app with SCREENER_TWO_PERSON_RULE=1 (import it as `app` where every test needs the rule)."""
    from screener import create_app
    from screener.config import load_settings

    monkeypatch.setenv("SCREENER_TWO_PERSON_RULE", "1")
    return create_app({"TESTING": True}, settings=load_settings())


def signed_in(app, make_user, role: str, names: tuple[str, ...]) -> list[WebUser]:
    """New accounts of one role, each signed in on a browser of its own."""
    users = []
    for name in names:
        make_user(name, role)
        user = WebUser(app.test_client())
        assert user.login(name, PASSWORD).status_code == 302
        users.append(user)
    return users


@pytest.fixture
def curators(app, make_user) -> list[WebUser]:
    """Two curators, anna and boris, signed in."""
    return signed_in(app, make_user, "curator", ("anna", "boris"))


@pytest.fixture
def admins(app, make_user) -> list[WebUser]:
    """Two admins, ada and bea, signed in."""
    return signed_in(app, make_user, "admin", ("ada", "bea"))
