"""Phone numbers for the benchmarks: valid numbers of many countries, made up but shaped like real ones."""
from __future__ import annotations

import random
from functools import lru_cache

import phonenumbers

REGIONS = ("US", "GB", "DE", "PL", "BY", "UA", "FR", "IT", "ES", "NL", "RU", "TR", "BR", "IN")
_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
_E164 = phonenumbers.PhoneNumberFormat.E164
# What Twilio sends in `From` when the caller ID is withheld, in the spellings it uses.
WITHHELD_FROM = ("anonymous", "Anonymous", "+266696687", "Restricted", "+7378742833", "Unknown", "Blocked")


@lru_cache(maxsize=None)
def seeds(per_type: int = 48) -> tuple[tuple[int, str], ...]:
    """(country code, national number) pairs that are valid, to vary the last digits of."""
    rng = random.Random(1)
    found: list[tuple[int, str]] = []
    for region in REGIONS:
        for kind in _TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            nsn = str(example.national_number)
            kept = 0
            for _ in range(per_type * 20):
                candidate = nsn[:-6] + f"{rng.randrange(10**6):06d}"
                if phonenumbers.is_valid_number(phonenumbers.parse(f"+{example.country_code}{candidate}", None)):
                    found.append((example.country_code, candidate))
                    kept += 1
                    if kept == per_type:
                        break
    return tuple(found)


def shaped_number(rng: random.Random) -> tuple[int, str]:
    """A (country code, national number) with the shape of a real one; usually, not always, valid."""
    code, nsn = rng.choice(seeds())
    return code, nsn[:-4] + f"{rng.randrange(10**4):04d}"


def valid_numbers(rng: random.Random, count: int, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """count distinct valid E.164 numbers, none of them in exclude."""
    out: list[str] = []
    seen = set(exclude)
    while len(out) < count:
        code, nsn = shaped_number(rng)
        e164 = f"+{code}{nsn}"
        if e164 in seen:
            continue
        seen.add(e164)
        if phonenumbers.is_valid_number(phonenumbers.parse(e164, None)):
            out.append(e164)
    return out


def call_sid(rng: random.Random) -> str:
    return "CA" + rng.randbytes(16).hex()
