"""Creating accounts for the volunteers' page: the two-person rule for admins, and the `user.add` audit entry.

Under the two-person rule an admin account is only proposed (`user.add.propose`, after {name, role}); a second
admin confirms it on /users (screener.changes), and the one-time password is issued to that admin."""
from __future__ import annotations

from typing import TYPE_CHECKING

from screener.store.pending import PendingChange
from screener.store.users import AccountError, Role, User, check_name, new_password

if TYPE_CHECKING:
    from screener.services import Services


class AdminPending(AccountError):
    """An admin account with this name waits for a second admin already."""


def add(svc: Services, who: str, name: str, role: Role, password: str) -> User:
    """Create an account at once, with its audit entry (AccountError when the name is taken)."""
    user = svc.users.create(name, Role(role), password)
    svc.audit.append(who, "user.add", user.name, None, user.public())
    return user


def add_or_propose(svc: Services, who: str, name: str, role: Role, password: str) -> User | PendingChange:
    """An account by an admin: under the two-person rule an admin account is only proposed, and nobody can
    sign in with it until a second admin confirms it; any other account is created at once."""
    if Role(role) is not Role.ADMIN or not svc.web.two_person_rule:
        return add(svc, who, name, role, password)
    name = check_name(name)
    if svc.users.get(name) is not None:
        raise AccountError(f"user {name!r} exists already")
    after = {"name": name, "role": Role.ADMIN.value}
    change = svc.pending.propose("user.add", name, None, after, who)
    if change is None:
        raise AdminPending(f"admin {name!r} already waits for a second admin")
    svc.audit.append(who, "user.add.propose", name, None, after)
    return change


def apply_add_admin(svc: Services, change: PendingChange) -> tuple[User, str]:
    """A confirmed admin account: created with a new one-time password, for the confirming admin to hand over."""
    password = new_password()
    return svc.users.create(change.target, Role(change.after["role"]), password), password
