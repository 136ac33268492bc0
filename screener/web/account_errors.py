"""Why an account change was refused, in the reader's language, from AccountError's reason code."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from screener.store.users import AccountError

_MESSAGES = {
    "name_format": _l("A user name has 2 to 40 characters: lower-case letters, digits, '.', '_' or '-'. "
                      "Choose another."),
    "password_short": _l("The password is too short: use at least %(n)d characters (a few words make a good one)."),
    "password_long": _l("The password is too long: use at most %(n)d characters."),
    "name_taken": _l("There is an account called %(name)s already: choose another name."),
    "admin_pending": _l("An admin account called %(name)s already waits for a second admin: ask them to confirm "
                        "it under Users."),
    "promote_pending": _l("Making %(name)s an admin already waits for a second admin: ask them to confirm it "
                          "under Users."),
    "changed_since": _l("The account %(name)s changed after this was proposed: discard the proposal and propose "
                        "the change again."),
}


def account_error(exc: AccountError) -> str:
    """The refusal as the web page shows it (the English message for a reason it does not know)."""
    message = _MESSAGES.get(getattr(exc, "reason", ""))
    return str(message) % exc.params if message is not None else str(exc)
