"""Protected lines: build a Line from what a person typed, checked field by field, and save it with its
audit entry (`line.save`, target the line's number, before and after as Line JSON). `screener line add`
and the admin page's line form both use these.

Under the two-person rule a change to an existing line's forward-to number or policy (where its calls go,
and who is put through) is only proposed (`line.save.propose`, before and after as Line JSON objects); a
second admin confirms it (screener.changes: `line.save.confirm`) or discards it."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from screener.model import (DEFAULT_POLICY, EMAIL, BlockMode, Line, PolicyError, check_webhook_url, quiet_window,
                            validate_policy)
from screener.numbers import InvalidNumber, parse_number
from screener.voice.prompts import SUPPORTED as SUPPORTED_LANGUAGES
from screener.voice.prompts import VOICES

from screener.store.pending import PendingChange

if TYPE_CHECKING:
    from screener.services import Services

MAX_RETENTION_DAYS = 3650
DEFAULT_LANGUAGES = ("en-US",)


class LineError(ValueError):
    """A line that cannot be saved."""


@dataclass(frozen=True)
class FieldError:
    """Why one setting was refused. `field` is the Line field; `reason` a stable code a page can put in the
    reader's language, with `cause` the InvalidNumber for numbers; the message is English, for the CLI."""

    field: str
    text: str
    reason: str
    message: str
    cause: Exception | None = dataclasses.field(default=None, compare=False, repr=False)


class InvalidLine(LineError):
    """One or more settings were refused; `errors` names each field, in the order they are checked."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


class LineExists(LineError):
    """A new line was to be added, but one with its number exists."""

    def __init__(self, number: str) -> None:
        super().__init__(f"line {number} exists already")
        self.number = number


class LinePending(LineError):
    """A change to this line waits for a second admin already."""

    def __init__(self, number: str) -> None:
        super().__init__(f"a change to line {number} waits for a second admin already")
        self.number = number


class StaleLine(LineError):
    """The line changed since the change was proposed: the second admin would confirm something unseen."""

    def __init__(self, number: str) -> None:
        super().__init__(f"line {number} changed since the change was proposed: discard it and propose it again")
        self.number = number


@dataclass(frozen=True)
class LineInput:
    """A line's settings as typed: numbers in any common format (national ones in `country`), policy
    as caller class -> action for the classes that differ from the defaults."""

    number: str
    forward_to: str
    country: str
    alert_sms: tuple[str, ...] = ()
    alert_email: tuple[str, ...] = ()
    alert_webhook: str = ""
    label: str = ""
    languages: tuple[str, ...] = ()
    block_mode: str = BlockMode.REJECT.value
    block_message: str = ""  # empty: keep the line's message (or the default one)
    recording: bool = False
    screen_unverified: bool = False
    stir_verified: str = "AB"
    stir_missing_unverified: bool = True
    transcribe: bool = False
    star_on_forward: bool = False
    retention_days: int | None = 30
    timezone: str = "UTC"
    quiet_hours: str = ""
    policy: Mapping[str, str] = dataclasses.field(default_factory=dict)
    voices: Mapping[str, str] = dataclasses.field(default_factory=dict)  # speaking language -> Twilio voice


def pairs_from_text(items: Iterable[str], field: str, shape: str) -> dict[str, str]:
    """`NAME=VALUE` items (as given on the command line) as a mapping, or InvalidLine for `field`."""
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidLine([FieldError(field, item, "format", f"{item!r}: use {shape}")])
        pairs[name.strip()] = value.strip()
    return pairs


def policy_from_text(items: Iterable[str]) -> dict[str, str]:
    """`CLASS=ACTION` items (as given on the command line) as a mapping, or InvalidLine for `policy`."""
    return pairs_from_text(items, "policy", "CLASS=ACTION")


def build(raw: LineInput, existing: Line | None = None) -> Line:
    """The Line the input describes, or InvalidLine naming every field that is wrong (in the order
    `screener line add` always checked them). `existing` is the line being edited: its block message is
    kept when none is given."""
    errors: list[FieldError] = []
    country = _country(raw.country, errors)
    timezone = _timezone(raw.timezone, errors)
    quiet_hours = _quiet_hours(raw.quiet_hours, errors)
    number = _number("number", raw.number, country, errors)
    forward_to = _number("forward_to", raw.forward_to, country, errors)
    alert_sms = [_number("alert_sms", text, country, errors) for text in raw.alert_sms]
    alert_email = [_email(text, errors) for text in raw.alert_email]
    alert_webhook = _webhook(raw.alert_webhook, errors)
    policy = _policy(raw.policy, errors)
    block_mode = _block_mode(raw.block_mode, errors)
    _check_languages(raw.languages, errors)
    _check_stir_levels(raw.stir_verified, errors)
    voices = _voices(raw.voices, errors)
    _check_transcription(raw.transcribe, tuple(raw.languages) or DEFAULT_LANGUAGES, errors)
    _check_retention(raw.retention_days, errors)
    if errors:
        raise InvalidLine(errors)
    default = existing or Line(number, forward_to, country)
    return Line(
        number=number, forward_to=forward_to, country=country, alert_sms=tuple(dict.fromkeys(alert_sms)),
        alert_email=tuple(dict.fromkeys(alert_email)), alert_webhook=alert_webhook, label=raw.label,
        languages=tuple(raw.languages) or DEFAULT_LANGUAGES, block_mode=block_mode,
        block_message=raw.block_message or default.block_message, recording=raw.recording,
        screen_unverified=raw.screen_unverified, stir_verified=raw.stir_verified,
        stir_missing_unverified=raw.stir_missing_unverified, transcribe=raw.transcribe,
        star_on_forward=raw.star_on_forward,
        retention_days=int(raw.retention_days or 0), timezone=timezone, quiet_hours=quiet_hours, policy=policy,
        voices=voices,
    )


# Each check returns the value as stored, or records why it is refused in `errors`.


def _country(text: str, errors: list[FieldError]) -> str:
    country = (text or "").strip().upper()
    if country in phonenumbers.SUPPORTED_REGIONS:
        return country
    errors.append(FieldError("country", text or "", "country",
                             f"{country!r} is not a country code such as BY, PL, GB"))
    return ""


def _timezone(text: str, errors: list[FieldError]) -> str:
    timezone = (text or "").strip()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("timezone", timezone, "timezone",
                                 f"{timezone!r} is not a time zone such as Europe/Vilnius"))
    return timezone


def _quiet_hours(text: str, errors: list[FieldError]) -> str:
    quiet_hours = (text or "").strip()
    try:
        quiet_window(quiet_hours)
    except ValueError as exc:
        errors.append(FieldError("quiet_hours", quiet_hours, "quiet_hours", str(exc)))
    return quiet_hours


def _number(name: str, text: str, country: str, errors: list[FieldError]) -> str:
    """A number in E.164 (national ones in the line's country, when that is known)."""
    try:
        return parse_number(text or "", country or None)
    except InvalidNumber as exc:
        errors.append(FieldError(name, text or "", exc.reason, f"{text!r}: {exc}", exc))
        return ""


def _email(text: str, errors: list[FieldError]) -> str:
    if not EMAIL.fullmatch(text.strip()):
        errors.append(FieldError("alert_email", text, "email", f"{text!r} is not an e-mail address"))
    return text.strip()


def _webhook(text: str, errors: list[FieldError]) -> str:
    if not (text or "").strip():
        return ""
    try:
        return check_webhook_url(text)
    except ValueError as exc:
        errors.append(FieldError("alert_webhook", text, "webhook", str(exc)))
        return ""


def _policy(policy: Mapping[str, str], errors: list[FieldError]) -> tuple[tuple[str, str], ...]:
    """The overrides of the default policy: what differs from the defaults only, so the same choices make
    the same line whichever form they come from."""
    try:
        return tuple((c, a) for c, a in validate_policy(dict(policy)) if DEFAULT_POLICY[c].value != a)
    except PolicyError as exc:
        errors.append(FieldError("policy", ",".join(f"{c}={a}" for c, a in policy.items()), "policy", str(exc)))
        return ()


def _block_mode(text: str, errors: list[FieldError]) -> BlockMode:
    try:
        return BlockMode(text)
    except ValueError:
        errors.append(FieldError("block_mode", str(text), "choice",
                                 f"{text!r} is not one of {', '.join(m.value for m in BlockMode)}"))
        return BlockMode.REJECT


def _check_languages(languages: Iterable[str], errors: list[FieldError]) -> None:
    unknown = [code for code in languages if code not in SUPPORTED_LANGUAGES]
    if unknown:
        errors.append(FieldError("languages", ",".join(unknown), "choice",
                                 f"{unknown[0]!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}"))


def _voices(chosen: Mapping[str, str], errors: list[FieldError]) -> tuple[tuple[str, str], ...]:
    """The voices chosen per speaking language, each one Twilio lists for it; blank means the default."""
    kept = {}
    for language, name in chosen.items():
        if not name:
            continue
        if language not in VOICES:
            errors.append(FieldError("voices", f"{language}={name}", "choice",
                                     f"{language!r} is not a language with its own voice: one of {', '.join(VOICES)}"))
        elif name not in VOICES[language]:
            errors.append(FieldError("voices", f"{language}={name}", "choice",
                                     f"{name!r} is not a Twilio voice for {language}: one of {', '.join(VOICES[language])}"))
        elif name != VOICES[language][0]:
            kept[language] = name
    return tuple(sorted(kept.items()))


STIR_LEVELS = ("A", "AB", "ABC")


def _check_stir_levels(levels: str, errors: list[FieldError]) -> None:
    if levels not in STIR_LEVELS:
        errors.append(FieldError("stir_verified", levels, "choice",
                                 f"{levels!r} is not one of {', '.join(STIR_LEVELS)} (the attestation levels trusted)"))


def _check_transcription(transcribe: bool, languages: tuple[str, ...], errors: list[FieldError]) -> None:
    """Twilio transcribes American English only: a line whose callers may speak anything else cannot."""
    others = [code for code in languages if code != "en-US"]
    if transcribe and others:
        errors.append(FieldError("transcribe", ",".join(others), "language",
                                 "Twilio transcribes voicemail in American English only: turn transcription off, "
                                 f"or give the line en-US alone (it also speaks {', '.join(others)})"))


def _check_retention(days: int | None, errors: list[FieldError]) -> None:
    if days is None or not 1 <= days <= MAX_RETENTION_DAYS:
        errors.append(FieldError("retention_days", str(days), "range",
                                 f"{days} is not a number of days from 1 to {MAX_RETENTION_DAYS}"))


def save(svc: Services, who: str, line: Line, *, new: bool = False) -> Line | None:
    """Store a line (`new`: only if no line has its number) with one `line.save` audit entry; return the
    settings it replaced, or None."""
    before = svc.lines.get(line.number)
    if new and before is not None:
        raise LineExists(line.number)
    svc.lines.save(line)
    svc.audit.append(who, "line.save", line.number, before.to_json() if before else None, line.to_json())
    return before


def save_or_propose(svc: Services, who: str, line: Line, *, new: bool = False) -> Line | PendingChange | None:
    """save(), except that under the two-person rule a change to an existing line's forward-to number or
    policy is only proposed: the PendingChange is returned and the line stays as it is."""
    before = svc.lines.get(line.number)
    if new and before is not None:
        raise LineExists(line.number)
    if not (svc.web.two_person_rule and before is not None and _needs_second_admin(before, line)):
        return save(svc, who, line, new=new)
    old, proposed = json.loads(before.to_json()), json.loads(line.to_json())
    change = svc.pending.propose("line.save", line.number, old, proposed, who)
    if change is None:
        raise LinePending(line.number)
    svc.audit.append(who, "line.save.propose", line.number, old, proposed)
    return change


def apply_save(svc: Services, change: PendingChange) -> Line:
    """A confirmed line change: the line gets the proposed settings, if it is still as it was proposed."""
    current = svc.lines.get(change.target)
    if current is None or json.loads(current.to_json()) != change.before:
        raise StaleLine(change.target)
    line = Line.from_json(json.dumps(change.after))
    svc.lines.save(line)
    return line


def _needs_second_admin(before: Line, after: Line) -> bool:
    return before.forward_to != after.forward_to or dict(before.policy) != dict(after.policy)
