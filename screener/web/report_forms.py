"""The forms of the report and evidence pages (Flask-WTF: every POST carries a CSRF token)."""
from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from screener.evidence_rules import CATEGORIES
from screener.web.forms import TranslatedForm


def _regions() -> list[tuple[str, str]]:
    return [("", _l("International format (+…)"))] + [(c, c) for c in sorted(phonenumbers.SUPPORTED_REGIONS)]


class NumberReportForm(TranslatedForm):
    number = StringField(_l("Number"), validators=[DataRequired(), Length(max=64)],
                         render_kw={"inputmode": "tel", "autocomplete": "off"})
    region = SelectField(_l("Country, for a number without +"), choices=_regions, default="")
    category = SelectField(_l("What was the call?"), choices=[(c, c) for c in CATEGORIES], default="threat")
    note = TextAreaField(_l("What happened?"), validators=[Optional(), Length(max=1000)])


class EvidenceNoteForm(TranslatedForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class RevertForm(TranslatedForm):
    who = StringField(_l("Volunteer (their login) or partner (peer:NAME)"),
                      validators=[DataRequired(), Length(max=80)])
    why = StringField(_l("Why?"), validators=[DataRequired(), Length(max=500)])


class NeverBlockForm(TranslatedForm):
    number = StringField(_l("Number"), validators=[DataRequired(), Length(max=64)],
                         render_kw={"inputmode": "tel", "autocomplete": "off"})
    region = SelectField(_l("Country, for a number without +"), choices=_regions, default="")
    why = StringField(_l("Whose number is it?"), validators=[DataRequired(), Length(max=200)])
