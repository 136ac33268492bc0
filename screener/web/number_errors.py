"""Why a typed number was refused, in the reader's language: numbers.EXPLANATIONS, translated."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from screener.numbers import EXPLANATIONS, InvalidNumber

_MESSAGES = {
    "invalid": _l("Not a valid number for its country."),
    "empty": _l("Enter a number."),
    "too_long": _l("Too long to be a phone number."),
    "unreadable": _l("Not a phone number. Write it in international format, such as +375 29 123 45 67."),
    "needs_region": _l("A number in national format needs its country: write it with + and the country code, "
                       "such as +375 29 123 45 67."),
    "prefix_star": _l("A prefix ends with *."),
    "prefix_format": _l("A prefix is + and digits in international format, then *, such as +375 17*."),
    "prefix_country": _l("A prefix must start with a country calling code."),
    "prefix_length": _l("A prefix has 3 to 14 digits."),
    "prefix_too_wide": _l("A prefix must give more than the country code and one digit (for +1: more than the "
                          "area code and one digit)."),
}


def number_error(exc: InvalidNumber) -> str:
    """The refusal as the web page shows it."""
    message = _MESSAGES.get(exc.reason)
    return str(message) if message is not None else str(exc)


_BY_TEXT = {text: reason for reason, text in EXPLANATIONS.items()}


def rejected_reason(text: str) -> str:
    """Why an import row was refused (stored in English with the import) in the reader's language, when it is
    one of the numbers' reasons; other reasons are shown as stored."""
    reason = _BY_TEXT.get(text)
    return str(_MESSAGES[reason]) if reason in _MESSAGES else text
