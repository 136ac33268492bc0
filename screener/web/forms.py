"""The web page's forms (Flask-WTF: every POST carries a CSRF token), with their validation."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from screener.model import DEFAULT_POLICY, Action, BlockMode
from screener.voice.prompts import SUPPORTED as SUPPORTED_LANGUAGES
from screener.lines import MAX_RETENTION_DAYS
from screener.voice.prompts import VOICES
from screener.store.users import LOCALES, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, Role
from screener.web.countries import CountryField
from screener.web.form_translations import TRANSLATIONS

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
CATEGORIES = ("intimidation", "impersonation", "surveillance", "spam", "other")
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "be": "Беларуская"}


def clean_text(value: str | None) -> str:
    """Free text as stored: no control characters (they would break CSV and logs), trimmed."""
    return _CONTROL.sub(" ", value or "").strip()


def _role_choices() -> list[tuple[str, str]]:
    return [(Role.VIEWER.value, _l("Viewer: reads everything, changes nothing")),
            (Role.CURATOR.value, _l("Curator: edits the lists, decides reports")),
            (Role.ADMIN.value, _l("Admin: also manages users and lines"))]


def _action_choices() -> list[tuple[str, str]]:
    return [(Action.FORWARD.value, _l("Forward to the destination")),
            (Action.SCREEN.value, _l("Screen: caller records their name")),
            (Action.VOICEMAIL.value, _l("Voicemail")),
            (Action.BLOCK.value, _l("Block"))]



class TranslatedForm(FlaskForm):
    """Flask-WTF's form, with WTForms' own messages in Belarusian too (see form_translations.py)."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):  # noqa: ANN001, ANN201 - WTForms' signature
            return TRANSLATIONS


class LoginForm(TranslatedForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=40)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})


class TotpForm(TranslatedForm):
    code = StringField(_l("6-digit code from your authenticator app"), validators=[DataRequired(), Length(max=8)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"})


class PasswordForm(TranslatedForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH)],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[EqualTo("new", _l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class LanguageForm(TranslatedForm):
    locale = SelectField(_l("Language"), choices=[(code, LANGUAGE_NAMES[code]) for code in LOCALES])


class ConfirmForm(TranslatedForm):
    """A button that changes something: only the CSRF token."""


class EntryForm(TranslatedForm):
    entry = StringField(_l("Number or prefix"), validators=[DataRequired(), Length(max=64)],
                        description=_l("Any common format, e.g. +375 29 123-45-67; a prefix ends in *, e.g. +37517*"),
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    region = CountryField(_l("Country, for a number without +"), default="")
    category = StringField(_l("Category"), validators=[DataRequired(), Length(max=40)], default="intimidation",
                           render_kw={"list": "categories"})
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    evidence = TextAreaField(_l("Evidence note"), validators=[Optional(), Length(max=1000)],
                             description=_l("Where the evidence is kept; not the recording itself."))
    source = StringField(_l("Source"), validators=[DataRequired(), Length(max=80)], default="manual")


class EditEntryForm(TranslatedForm):
    category = EntryForm.category
    reason = EntryForm.reason
    evidence = EntryForm.evidence
    source = EntryForm.source
    # Turning block into screen lets a caller reach the journalist: under the two-person rule it is proposed.
    action = SelectField(_l("Calls from it are"), validators=[Optional()], default="block",
                         choices=[("block", _l("blocked")), ("screen", _l("screened"))])


class RemoveEntryForm(TranslatedForm):
    why = StringField(_l("Why is it removed?"), validators=[DataRequired(), Length(max=500)])


class ImportForm(TranslatedForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()],
                     description=_l("Columns: number, reason, category (a header row may name them)."))
    region = CountryField(_l("Country, for numbers without +"), default="")
    source = StringField(_l("Source"), validators=[Optional(), Length(max=80)],
                         description=_l("Recorded on each entry; default: the file name."))


class ReportForm(TranslatedForm):
    note = TextAreaField(_l("What happened on this call?"), validators=[DataRequired(), Length(max=1000)])
    category = SelectField(_l("What was the call?"), default="threat", choices=[
        ("threat", _l("Threat")), ("friendly_approach", _l("\"Friendly\" approach")), ("silent_call", _l("Silent call")),
        ("family_pressure", _l("Pressure on family")), ("impersonation", _l("Impersonation"))])


class DecisionForm(TranslatedForm):
    note = StringField(_l("Note"), validators=[Length(max=500)])
    category = StringField(_l("Category"), validators=[Length(max=40)], default="intimidation",
                           render_kw={"list": "categories"})


class RejectForm(TranslatedForm):
    note = StringField(_l("Why is it rejected?"), validators=[DataRequired(), Length(max=500)])


class LineForm(TranslatedForm):
    """A line's settings; screener.lines checks the numbers, addresses, time zone and policy."""

    number = StringField(_l("Twilio number"), validators=[DataRequired()],
                         description=_l("The number the public line is forwarded to."), render_kw={"inputmode": "tel"})
    label = StringField(_l("Name"), validators=[Length(max=80)])
    country = CountryField(_l("Country"), validators=[DataRequired()])
    forward_to = StringField(_l("Destination"), validators=[DataRequired()],
                             description=_l("Where ordinary calls ring."), render_kw={"inputmode": "tel"})
    recording = BooleanField(_l("Record forwarded calls (callers hear a notice)"))
    block_mode = SelectField(_l("Blocked callers"), choices=[
        (BlockMode.REJECT.value, _l("Hear a busy tone")),
        (BlockMode.MESSAGE.value, _l("Hear a message, then the call ends")),
        (BlockMode.RECORD.value, _l("Are told and recorded as evidence, never connected"))])
    block_message = StringField(_l("Message for blocked callers"), validators=[Length(max=300)])
    retention_days = IntegerField(_l("Keep callers' numbers for (days)"), default=30,
                                  validators=[InputRequired(), NumberRange(1, MAX_RETENTION_DAYS)])
    alert_sms = TextAreaField(_l("Alert recipients"), validators=[Length(max=1000)],
                              description=_l("Numbers that get an SMS when a blocked caller calls; one per line."))
    alert_email = TextAreaField(_l("Alert e-mail addresses"), validators=[Length(max=1000)],
                                description=_l("One per line."))
    alert_webhook = StringField(_l("Alert webhook"), validators=[Optional(), Length(max=300)],
                                description=_l("An https address that gets alerts as signed JSON (a Signal or Matrix bridge)."))
    languages = SelectMultipleField(_l("Languages callers hear"), choices=[(code, code) for code in SUPPORTED_LANGUAGES],
                                    validators=[DataRequired()], default=["en-US"])
    screen_unverified = BooleanField(_l("Screen callers whose caller ID failed the STIR/SHAKEN check, even trusted ones"))
    stir_verified = SelectField(_l("Caller IDs that count as verified"), default="AB", choices=[
        ("A", _l("Attestation A only: the carrier knows the caller and their right to the number")),
        ("AB", _l("A or B: the carrier knows the caller")),
        ("ABC", _l("A, B or C: any verdict that passed"))])
    stir_missing_unverified = BooleanField(_l("A North American (+1) call without a verdict counts as unverified"),
                                           default=True)
    transcribe = BooleanField(_l("Transcribe voicemail"))
    star_on_forward = BooleanField(
        _l("Press * to end and report forwarded calls too"),
        description=_l("Your phone then shows this line's number instead of the caller's; the caller's number "
                       "is read out when you answer. Screened calls always offer *."))
    timezone = StringField(_l("Time zone"), default="UTC", validators=[DataRequired(), Length(max=64)],
                           description=_l("For quiet hours and evidence packs, e.g. Europe/Vilnius."))
    quiet_hours = StringField(_l("Quiet hours"), validators=[Optional(), Length(max=11)],
                              description=_l("e.g. 22:00-07:00: only trusted callers ring then; others reach voicemail."))


POLICY_CLASSES = tuple(DEFAULT_POLICY)


def voice_field_name(language: str) -> str:
    return "voice_" + language.replace("-", "_")


for _language, _names in VOICES.items():
    setattr(LineForm, voice_field_name(_language), SelectField(
        _l("Voice for %(language)s", language=_language),
        choices=[("", _l("Twilio's %(voice)s (default)", voice=_names[0]))] + [(name, name) for name in _names[1:]],
        default=""))


def policy_field_name(caller_class: str) -> str:
    return f"policy_{caller_class}"


for _class in POLICY_CLASSES:
    setattr(LineForm, policy_field_name(_class), SelectField(_class, choices=_action_choices))


class AllowForm(TranslatedForm):
    number = StringField(_l("Trusted caller's number"), validators=[DataRequired(), Length(max=64)],
                         render_kw={"inputmode": "tel"})


class UserForm(TranslatedForm):
    name = StringField(_l("User name"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"})
    role = SelectField(_l("Role"), choices=_role_choices, default=Role.VIEWER.value)


class UserEditForm(TranslatedForm):
    role = SelectField(_l("Role"), choices=_role_choices)
    disabled = BooleanField(_l("Disabled (cannot sign in)"))


class EvidenceForm(TranslatedForm):
    """Which calls go in an evidence pack: one number's, or a span of time, or both."""

    number = StringField(_l("Number"), validators=[Optional(), Length(max=40)],
                         description=_l("Every call from this number. Leave empty to take all calls in the dates below."))
    region = CountryField(_l("Country, for a number without +"), default="")
    since = StringField(_l("From (UTC)"), validators=[Optional(), Length(max=25)], description=_l("e.g. 2026-11-01"))
    until = StringField(_l("Until (UTC)"), validators=[Optional(), Length(max=25)], description=_l("e.g. 2026-11-30T23:59"))
