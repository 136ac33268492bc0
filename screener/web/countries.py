"""Country choices as names in the reader's language (Babel's CLDR data), searchable without a script.

The field is a text input tied to a <datalist>: the browser offers the matching names as one types, and
without a script it still works (a name, `Name (CC)` or the code alone are all accepted)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import phonenumbers
from babel import Locale
from flask_babel import get_locale, lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import StringField, ValidationError


@lru_cache(maxsize=8)
def country_names(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) for every country phonenumbers knows, sorted by the name in `locale`."""
    territories = Locale.parse(locale).territories
    names = [(code, territories.get(code, code)) for code in phonenumbers.SUPPORTED_REGIONS]
    return tuple(sorted(names, key=lambda item: item[1].casefold()))


def label(code: str, locale: str) -> str:
    """`Беларусь (BY)`: what the input shows and the list offers."""
    names = dict(country_names(locale))
    return f"{names[code]} ({code})" if code in names else code


def parse_country(text: str, locale: str) -> str | None:
    """The region code a person typed or picked: a code, `Name (CC)`, or a name in their language or
    English. "" for none; None when it names no country."""
    text = " ".join(text.split())
    if not text:
        return ""
    if text.endswith(")") and "(" in text:
        text = text.rsplit("(", 1)[1][:-1].strip()
    if text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    wanted = text.casefold()
    for names in (country_names(locale), country_names("en")):
        for code, name in names:
            if name.casefold() == wanted:
                return code
    return None


def _locale() -> str:
    return str(get_locale() or "en")


class CountryInput:
    """The widget: a text input and the datalist of country names it searches."""

    def __call__(self, field: "CountryField", **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        list_id = f"{field.id}-countries"
        attributes = {"type": "text", "name": field.name, "value": field._value(), "list": list_id,
                      "autocomplete": "off", "spellcheck": "false", **kwargs}
        rendered = " ".join(f'{key.replace("_", "-")}="{escape(value)}"' for key, value in attributes.items()
                            if value is not None and value is not False)
        locale = _locale()
        options = "".join(f'<option value="{escape(f"{name} ({code})")}"></option>'
                          for code, name in country_names(locale))
        return Markup(f'<input {rendered}><datalist id="{list_id}">{options}</datalist>')


class CountryField(StringField):
    """A country by name in the reader's language; `data` is the region code ("" for none)."""

    widget = CountryInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unknown = ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            typed = valuelist[0] or ""
            code = parse_country(typed, _locale())
            self.unknown = typed if code is None else ""
            self.data = typed if code is None else code

    def _value(self) -> str:
        if self.unknown:
            return self.unknown  # not a country: shown back as typed, under its error
        return label(self.data, _locale()) if self.data else ""

    def pre_validate(self, form: Any) -> None:
        if self.unknown:
            raise ValidationError(str(_l("Choose a country from the list (type a few letters of its name), "
                                         "or leave the field empty for numbers that start with +.")))
