"""Caller-ID normalisation and list-entry parsing."""
import pytest

from screener.numbers import (CallerKind, InvalidNumber, mask, needs_second_admin, normalise, parse_entry, parse_number,
                              parse_prefix, prefix_plan)


@pytest.mark.parametrize(
    "raw, kind",
    [
        ("anonymous", CallerKind.ANONYMOUS),
        ("Anonymous", CallerKind.ANONYMOUS),
        ("+266696687", CallerKind.ANONYMOUS),
        ("Restricted", CallerKind.RESTRICTED),
        ("+7378742833", CallerKind.RESTRICTED),
        ("+17378742833", CallerKind.RESTRICTED),  # RESTRICTED on the keypad behind +1: a valid-looking US number
        ("17378742833", CallerKind.RESTRICTED),
        ("+1266696687", CallerKind.ANONYMOUS),
        ("+94844353", CallerKind.WITHHELD),
        ("+86282452253", CallerKind.UNKNOWN),
        ("unavailable", CallerKind.UNKNOWN),
        ("Unknown", CallerKind.UNKNOWN),
        ("", CallerKind.UNKNOWN),
        (None, CallerKind.UNKNOWN),
        ("+2562533", CallerKind.WITHHELD),
        ("private", CallerKind.WITHHELD),
        ("client:alice", CallerKind.INVALID),
        ("+999123", CallerKind.INVALID),
        ("+" + "9" * 200, CallerKind.INVALID),
        ("<script>", CallerKind.INVALID),
    ],
)
def test_withheld_and_junk_caller_ids_are_typed(raw, kind):
    assert normalise(raw).kind is kind
    assert normalise(raw).e164 is None


def test_e164_caller_is_a_number():
    caller = normalise("+375291234567")
    assert caller.kind is CallerKind.NUMBER and caller.e164 == "+375291234567"


def test_national_caller_id_uses_the_line_country():
    assert normalise("8 029 123 45 67", "BY").e164 == "+375291234567"
    assert normalise("8 029 123 45 67").kind is CallerKind.INVALID


@pytest.mark.parametrize(
    "text, region",
    [
        ("+375 (29) 123-45-67", None),
        ("8 029 123 45 67", "BY"),
        ("tel:+375-29-123-45-67", None),
        ("  +375291234567 ", None),
    ],
)
def test_pasted_numbers_normalise_to_e164(text, region):
    assert parse_number(text, region) == "+375291234567"


@pytest.mark.parametrize("text", ["", "hello", "+1", "12345", "=1+2", "+3752912345678901234"])
def test_invalid_numbers_are_refused_with_a_reason(text):
    with pytest.raises(InvalidNumber) as exc:
        parse_number(text)
    assert str(exc.value)


def test_national_number_without_region_says_to_give_its_country():
    with pytest.raises(InvalidNumber) as exc:
        parse_number("029 123 45 67")
    assert exc.value.reason == "needs_region" and "country code" in str(exc.value)


@pytest.mark.parametrize("text, expected", [("+37517*", "+37517*"), ("+375 17 *", "+37517*"), ("+7 (495)*", "+7495*")])
def test_prefixes_normalise(text, expected):
    assert parse_prefix(text) == expected
    assert parse_entry(text) == expected


@pytest.mark.parametrize("text", ["37517*", "+*", "+3*", "+999*", "+37517", "+375abc*"])
def test_bad_prefixes_are_refused(text):
    with pytest.raises(InvalidNumber):
        parse_prefix(text)


def test_mask_hides_the_middle_of_a_number():
    masked = mask("+375291234567")
    assert masked.startswith("+3752") and masked.endswith("67")
    assert "9123456" not in masked and len(masked) == len("+375291234567")


def test_fast_e164_path_agrees_with_the_full_parse_for_every_region():
    import phonenumbers

    from screener.numbers import _valid_e164

    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            for text in (e164, e164[:-1], e164 + "1", e164[:-1] + str((int(e164[-1]) + 5) % 10)):
                full = phonenumbers.parse(text, None)
                expected = phonenumbers.is_valid_number(full) and phonenumbers.format_number(
                    full, phonenumbers.PhoneNumberFormat.E164) == text
                fast = _valid_e164(text)
                assert fast is None or fast == expected, (region, text)
                try:
                    assert (parse_number(text) == text) == expected, (region, text)
                except InvalidNumber:
                    assert not expected, (region, text)
                checked += 1
    assert checked > 1500


# --- prefixes by the numbering plan ---------------------------------------------------------------------


@pytest.mark.parametrize("text", ["+375*", "+3752*", "+486*", "+1202*", "+12025*", "+800*", "+8001*"])
def test_a_prefix_of_only_a_country_code_and_one_digit_is_refused(text):
    with pytest.raises(InvalidNumber) as exc:
        parse_entry(text)
    assert exc.value.reason == "prefix_too_wide"


def test_a_nanp_prefix_needs_more_than_the_area_code_and_one_digit():
    with pytest.raises(InvalidNumber, match="area code"):
        parse_prefix("+1 202 5*")
    assert parse_prefix("+1 202 55*") == "+120255*"


@pytest.mark.parametrize("entry, given, longest, numbers", [
    ("+37529*", 2, 11, 10 ** 9),           # Belarus: the longest national number has 11 digits
    ("+3751720012*", 7, 11, 10 ** 4),
    ("+120255*", 5, 10, 10 ** 5),          # NANP: 10 digits, area code included
    ("+1202555*", 6, 10, 10 ** 4),
    ("+4420794601*", 8, 10, 10 ** 2),
])
def test_the_plan_says_how_many_numbers_a_prefix_covers(entry, given, longest, numbers):
    plan = prefix_plan(entry)
    assert (plan.given, plan.longest, plan.numbers) == (given, longest, numbers)


@pytest.mark.parametrize("entry, wide", [("+37529*", True), ("+3752912*", True), ("+3751720012*", False),
                                         ("+120255*", True), ("+1202555*", False), ("+375291234567", False)])
def test_a_prefix_covering_more_than_10000_numbers_needs_a_second_admin(entry, wide):
    assert needs_second_admin(entry) is wide
