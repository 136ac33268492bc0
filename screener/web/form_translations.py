"""WTForms' own messages ("This field is required.") in the reader's language: WTForms ships Russian,
not Belarusian, so Belarusian comes from our catalogue (translations/be/LC_MESSAGES/wtforms.po)."""
from __future__ import annotations

from pathlib import Path

from babel import support
from flask import g, has_request_context
from flask_babel import get_locale
from wtforms.i18n import messages_path

OURS = Path(__file__).parent / "translations"


def _catalogue() -> support.NullTranslations | None:
    if not has_request_context():
        return None
    catalogue = g.get("wtforms_translations")
    if catalogue is None:
        locale = get_locale()
        catalogue = support.Translations.load(str(OURS), [locale], domain="wtforms")
        if type(catalogue) is support.NullTranslations:  # not ours: WTForms' own, or English
            catalogue = support.Translations.load(messages_path(), [locale], domain="wtforms")
        g.wtforms_translations = catalogue
    return catalogue


class FormTranslations:
    """What a form's Meta.get_translations returns."""

    def gettext(self, string: str) -> str:
        catalogue = _catalogue()
        return string if catalogue is None else catalogue.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalogue = _catalogue()
        if catalogue is None:
            return singular if n == 1 else plural
        return catalogue.ungettext(singular, plural, n)


TRANSLATIONS = FormTranslations()
