"""Creating accounts for the volunteers' page: the two-person rule for admins, and the `user.add` audit entry.

Under the two-person rule an admin account is only proposed (`user.add.propose`, after {name, role}); a second
admin confirms it on /users (screener.changes), and the one-time password is issued to that admin."""
from __future__ import annotations

from dataclasses import replace
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
        raise AccountError(f"user {name!r} exists already", "name_taken", name=name)
    after = {"name": name, "role": Role.ADMIN.value}
    change = svc.pending.propose("user.add", name, None, after, who)
    if change is None:
        raise AdminPending(f"admin {name!r} already waits for a second admin", "admin_pending", name=name)
    svc.audit.append(who, "user.add.propose", name, None, after)
    return change


def apply_add_admin(svc: Services, change: PendingChange) -> tuple[User, str]:
    """A confirmed admin account: created with a new one-time password, for the confirming admin to hand over."""
    password = new_password()
    return svc.users.create(change.target, Role(change.after["role"]), password), password


def edit_or_propose(svc: Services, who: str, user: User, changed: User) -> User | PendingChange:
    """An admin's change of an account's role or access. Under the two-person rule making someone an admin
    is only proposed (`user.promote`), for a second admin to confirm; anything else lands at once, signs
    the account out everywhere and is audited (`user.edit`)."""
    promotion = changed.role is Role.ADMIN and user.role is not Role.ADMIN
    if not (promotion and svc.web.two_person_rule):
        return _save_edit(svc, who, user, changed)
    before = {"role": user.role.value, "disabled": user.disabled}
    after = {"role": changed.role.value, "disabled": changed.disabled}
    change = svc.pending.propose("user.promote", user.name, before, after, who)
    if change is None:
        raise AdminPending(f"making {user.name!r} an admin already waits for a second admin", "promote_pending",
                           name=user.name)
    svc.audit.append(who, "user.promote.propose", user.name, before, after)
    return change


def apply_promote(svc: Services, change: PendingChange) -> User:
    """A confirmed promotion: lands only if the account is still as it was proposed."""
    user = svc.users.get(change.target)
    if user is None or {"role": user.role.value, "disabled": user.disabled} != change.before:
        raise AccountError(f"{change.target!r} changed since this was proposed: discard it and propose again",
                           "changed_since", name=change.target)
    return _save_edit(svc, None, user, replace(user, role=Role(change.after["role"]),
                                               disabled=bool(change.after["disabled"])))


def _save_edit(svc: Services, who: str | None, user: User, changed: User) -> User:
    if changed != user:
        svc.users.save(changed)
        svc.sessions.end_all(user.name)
        if who is not None:  # a confirmed promotion is audited by screener.changes, naming both people
            svc.audit.append(who, "user.edit", user.name, user.public(), changed.public())
    return changed
