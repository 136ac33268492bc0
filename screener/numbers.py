"""Raw caller-ID text -> Caller (E.164 or a typed non-number), and list-entry parsing, via phonenumbers."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

import phonenumbers
from phonenumbers import PhoneNumber

MAX_RAW_LENGTH = 64


class CallerKind(str, Enum):
    """What a caller ID turned out to be."""

    NUMBER = "number"
    ANONYMOUS = "anonymous"
    WITHHELD = "withheld"
    RESTRICTED = "restricted"
    UNKNOWN = "unknown"
    INVALID = "invalid"


@dataclass(frozen=True)
class Caller:
    """A normalised caller: `e164` is set only for kind NUMBER."""

    kind: CallerKind
    e164: str | None = None

    @property
    def is_number(self) -> bool:
        return self.kind is CallerKind.NUMBER


# Why a number or prefix was refused, by reason code, in the English the CLI prints; the web page says the
# same in the reader's language (screener/web/number_errors.py, checked against this table by the tests).
EXPLANATIONS: dict[str, str] = {
    "invalid": "Not a valid number for its country.",
    "empty": "Enter a number.",
    "too_long": "Too long to be a phone number.",
    "unreadable": "Not a phone number. Write it in international format, such as +375 29 123 45 67.",
    "needs_region": "A number in national format needs its country: write it with + and the country code, "
                    "such as +375 29 123 45 67.",
    "prefix_star": "A prefix ends with *.",
    "prefix_format": "A prefix is + and digits in international format, then *, such as +375 17*.",
    "prefix_country": "A prefix must start with a country calling code.",
    "prefix_length": "A prefix has 3 to 14 digits.",
    "prefix_too_wide": "A prefix must give more than the country code and one digit (for +1: more than the "
                       "area code and one digit).",
}


class InvalidNumber(ValueError):
    """Text that is not a valid phone number or prefix. `reason` is a stable code (the web page shows it
    in the reader's language); the message is the English text for the CLI and logs."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# Twilio sends a withheld caller ID as a word ("anonymous", "unknown" or another description) or, where a
# carrier translated it, as the word's keypad digits (ANONYMOUS = 266696687), also behind a +, a 1 or a +1
# (+17378742833 is RESTRICTED, though it looks like a valid US number).
_WITHHELD_WORDS: dict[str, CallerKind] = {
    "anonymous": CallerKind.ANONYMOUS,
    "restricted": CallerKind.RESTRICTED,
    "blocked": CallerKind.WITHHELD,
    "private": CallerKind.WITHHELD,
    "withheld": CallerKind.WITHHELD,
    "unknown": CallerKind.UNKNOWN,
    "unavailable": CallerKind.UNKNOWN,
}
_KEYPAD = str.maketrans("abcdefghijklmnopqrstuvwxyz", "22233344455566677778889999")


def _withheld_spellings() -> dict[str, CallerKind]:
    table = {"": CallerKind.UNKNOWN}
    for word, kind in _WITHHELD_WORDS.items():
        digits = word.translate(_KEYPAD)
        table.update({spelling: kind for spelling in (word, digits, "+" + digits, "1" + digits, "+1" + digits)})
    return table


_SPECIAL_IDS = _withheld_spellings()

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_PREFIX_CHARS = re.compile(r"[\s().\-/]")


def _clean(text: str) -> str:
    text = text.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    return text


def _valid_e164(text: str) -> bool | None:
    """Validity of text already in strict E.164 form, without phonenumbers' full parse (about 4x faster:
    the import of a million rows and every call take this path). None when the fast path cannot tell."""
    digits = text[1:]
    for length in (1, 2, 3):
        code = int(digits[:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[length:]
            if not national or national[0] == "0":
                return None  # leading zeros (Italy, ...) need the full parse to be kept
            return phonenumbers.is_valid_number(PhoneNumber(country_code=code, national_number=int(national)))
    return False


def parse_number(text: str, region: str | None = None) -> str:
    """Normalise a number typed the way people paste it to E.164, or raise InvalidNumber."""
    if _E164.fullmatch(text):
        valid = _valid_e164(text)
        if valid:
            return text
        if valid is False:
            raise InvalidNumber(EXPLANATIONS["invalid"], "invalid")
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidNumber(EXPLANATIONS["empty"], "empty")
    if len(cleaned) > MAX_RAW_LENGTH:
        raise InvalidNumber(EXPLANATIONS["too_long"], "too_long")
    try:
        parsed = phonenumbers.parse(cleaned, region.upper() if region else None)
    except phonenumbers.NumberParseException as exc:
        # phonenumbers' own message ("(0) Missing or invalid default region.") is for programmers.
        national = exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE and not region \
            and not cleaned.startswith("+") and any(c.isdigit() for c in cleaned)
        reason = "needs_region" if national else "unreadable"
        raise InvalidNumber(EXPLANATIONS[reason], reason) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(EXPLANATIONS["invalid"], "invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_prefix(text: str) -> str:
    """Normalise a prefix entry such as `+375 17*` to `+37517*`, or raise InvalidNumber."""
    cleaned = _PREFIX_CHARS.sub("", _clean(text))
    if not cleaned.endswith("*"):
        raise InvalidNumber(EXPLANATIONS["prefix_star"], "prefix_star")
    digits = cleaned[:-1]
    if not digits.startswith("+") or not digits[1:].isdigit():
        raise InvalidNumber(EXPLANATIONS["prefix_format"], "prefix_format")
    body = digits[1:]
    if not any(
        phonenumbers.region_code_for_country_code(int(body[:n])) != "ZZ"
        for n in range(1, min(3, len(body)) + 1)
    ):
        raise InvalidNumber(EXPLANATIONS["prefix_country"], "prefix_country")
    if len(body) < 3 or len(body) > 14:
        raise InvalidNumber(EXPLANATIONS["prefix_length"], "prefix_length")
    plan = prefix_plan("+" + body + "*")
    if plan.given <= plan.country_digits:
        raise InvalidNumber(EXPLANATIONS["prefix_too_wide"], "prefix_too_wide")
    return "+" + body + "*"


# A prefix leaving more open digits than this (covering more than 10,000 numbers) waits for a second admin.
MAX_OPEN_DIGITS = 4
# NANP (+1) countries and US states are told apart by the 3-digit area code: +1 and an area code is as
# wide as another country's code alone, so the area code counts as part of the country code.
_COUNTRY_PART = {1: 3}


@dataclass(frozen=True)
class PrefixPlan:
    """What the numbering plan says about a prefix: `given` national digits (after the country code) of
    a national number at most `longest` digits long, so at most 10**open_digits numbers start with it.
    `country_digits` is how many national digits only name the country (+1: the area code) and one more."""

    entry: str
    country_code: int
    regions: tuple[str, ...]
    given: int
    longest: int
    country_digits: int

    @property
    def open_digits(self) -> int:
        return max(self.longest - self.given, 0)

    @property
    def numbers(self) -> int:
        """How many numbers the prefix covers at most."""
        return 10 ** self.open_digits

    @property
    def needs_second_admin(self) -> bool:
        return self.open_digits > MAX_OPEN_DIGITS


def _longest_national(code: int) -> int:
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    lengths = []
    for region in regions:
        meta = (phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code) if region == "001"
                else phonenumbers.PhoneMetadata.metadata_for_region(region))
        if meta is not None:
            lengths.extend(n for n in meta.general_desc.possible_length if n > 0)
    return max(lengths, default=15 - len(str(code)))


def prefix_plan(entry: str) -> PrefixPlan:
    """The numbering plan's view of a normalised prefix (`+37529*`), or raise InvalidNumber."""
    body = entry.lstrip("+").rstrip("*")
    for length in (1, 2, 3):
        code = int(body[:length]) if body[:length].isdigit() else 0
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return PrefixPlan(entry=entry, country_code=code,
                              regions=tuple(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code]),
                              given=len(body) - length, longest=_longest_national(code),
                              country_digits=_COUNTRY_PART.get(code, 0) + 1)
    raise InvalidNumber(EXPLANATIONS["prefix_country"], "prefix_country")


def needs_second_admin(entry: str) -> bool:
    """True for a prefix entry that covers more than 10,000 numbers."""
    return is_prefix(entry) and prefix_plan(entry).needs_second_admin


def parse_entry(text: str, region: str | None = None) -> str:
    """Normalise a list entry: an E.164 number, or a prefix ending in `*`."""
    if _clean(text).endswith("*"):
        return parse_prefix(text)
    return parse_number(text, region)


def is_prefix(entry: str) -> bool:
    """True for a normalised prefix entry (`+37517*`)."""
    return entry.endswith("*")


def normalise(raw: str | None, region: str | None = None) -> Caller:
    """Classify the `From` value Twilio sent: a valid E.164 number or a typed non-number."""
    text = (raw or "").strip()
    special = _SPECIAL_IDS.get(text.lower())
    if special is not None:
        return Caller(special)
    if len(text) > MAX_RAW_LENGTH:
        return Caller(CallerKind.INVALID)
    if _E164.fullmatch(text):
        # Twilio nearly always sends E.164: check it is a real number without a full parse.
        valid = _valid_e164(text)
        if valid is not None:
            return Caller(CallerKind.NUMBER, text) if valid else Caller(CallerKind.INVALID)
    try:
        return Caller(CallerKind.NUMBER, parse_number(text, region))
    except InvalidNumber:
        return Caller(CallerKind.INVALID)


def mask(e164: str) -> str:
    """A display form that hides the middle of a number: +375 29 ••• •• 67 -> `+3752•••••67`."""
    if len(e164) <= 6:
        return e164[:2] + "•" * (len(e164) - 2)
    return e164[:5] + "•" * (len(e164) - 7) + e164[-2:]
