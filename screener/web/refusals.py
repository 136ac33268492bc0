"""Why a list or line change was refused, in the reader's language (the exceptions speak English to the CLI)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from screener import lines, lists

_WHY = (
    (lists.AlreadyListed, _l("it is on the blocklist already")),
    (lists.NotListed, _l("it is not on the blocklist (any more)")),
    (lists.AlreadyProposed, _l("it waits for a second curator already")),
    (lists.NoProposal, _l("no proposal waits for it (any more)")),
    (lists.OwnProposal, _l("another curator must confirm it")),
    (lists.OwnImport, _l("another person must commit it")),
    (lists.WidePrefix, _l("it covers more than 10,000 numbers: a second admin must confirm it")),
    (lists.AdminMustConfirm, _l("an admin must confirm a prefix this wide")),
    (lists.AlreadyPending, _l("a change to it waits for a second person already")),
    (lists.StaleChange, _l("it changed since it was proposed: discard the proposal and propose it again")),
    (lists.UnknownLine, _l("there is no such line")),
    (lines.StaleLine, _l("the line changed since the change was proposed: discard it and propose it again")),
    (lines.LinePending, _l("a change to the line waits for a second admin already")),
    (lines.LineExists, _l("there is a line with this number already")),
)


def refusal(exc: Exception) -> str:
    """The reason as the page says it; the English message for a refusal it does not know."""
    for kind, why in _WHY:
        if isinstance(exc, kind):
            return str(why)
    return getattr(exc, "says", None) or str(exc)
