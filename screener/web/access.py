"""Who is signed in, what each route needs, and the audit trail of what people change.

Every route of the web blueprints must declare what it needs with `@requires(Role...)` or `@public`;
a route that declares nothing is refused (deny by default), so a forgotten decorator fails closed.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from screener.services import services
from screener.store.users import Role, User

log = logging.getLogger("screener.web")
F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Pages an admin who must still set up a second factor may reach.
ENROLMENT_ENDPOINTS = {"account.totp_setup", "auth.logout", "account.language"}


def requires(role: Role) -> Callable[[F], F]:
    """Declare the least role a route needs."""

    def mark(view: F) -> F:
        view.required_role = role  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    view.required_role = PUBLIC  # type: ignore[attr-defined]
    return view


def current_user() -> User | None:
    return g.get("user")


def actor() -> str:
    """How the audit log names the person acting."""
    user = current_user()
    return f"web:{user.name}" if user else "web:-"


def audit(action: str, target: str, before: Any = None, after: Any = None) -> None:
    services().audit.append(actor(), action, target, before, after)


def load_user() -> None:
    """Resolve the session token to an account (before every web request)."""
    g.user = None
    g.web_session = None
    token = session.get("token")
    if not token:
        return
    web_session = services().sessions.resolve(token)
    user = services().users.get(web_session.name) if web_session else None
    if web_session is None or user is None or user.disabled:
        session.clear()
        return
    g.user, g.web_session = user, web_session


def needs_totp_enrolment(user: User) -> bool:
    return user.role is Role.ADMIN and services().web.require_admin_totp and not user.has_totp


def enforce() -> Any:
    """The before_request of every web blueprint: CSRF token, sign-in, second factor, role."""
    if request.method not in SAFE_METHODS:
        from screener.web.extensions import csrf

        csrf.protect()
    load_user()
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None  # 404/405 are answered by Flask
    # Stylesheets, scripts and icons are public: the sign-in page needs them.
    needed = PUBLIC if (request.endpoint or "").endswith(".static") else getattr(view, "required_role", None)
    if needed is None:
        log.error("route_without_role endpoint=%s", request.endpoint)
        abort(403)
    if needed == PUBLIC:
        return None
    user = current_user()
    if user is None:
        next_path = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=next_path.rstrip("?") if next_path else None))
    if needs_totp_enrolment(user) and request.endpoint not in ENROLMENT_ENDPOINTS:
        return redirect(url_for("account.totp_setup"))
    if not user.role.allows(needed):
        log.warning("forbidden user=%s role=%s endpoint=%s", user.name, user.role.value, request.endpoint)
        abort(403)
    return None


def can(role: str) -> bool:
    """For templates: show a control only to those who may use it (the server checks again)."""
    user = current_user()
    return bool(user and user.role.allows(Role(role)))
