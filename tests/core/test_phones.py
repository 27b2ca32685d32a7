"""Caller-id normalisation over real-world formats (DESIGN §5)."""

from __future__ import annotations

import pytest

from cti_bridge.core.phones import (
    CallerKind,
    InvalidNumber,
    normalize_caller,
    normalize_stored,
)

EXTERNAL = CallerKind.EXTERNAL
INTERNAL = CallerKind.INTERNAL
WITHHELD = CallerKind.WITHHELD

# (raw caller id, default region, kind, E.164, match key)
CASES = [
    # North America: E.164, national, punctuation of every kind, trunk prefix 1, 011 exit code
    ("+15551234567", "US", EXTERNAL, "+15551234567", "551234567"),
    ("5551234567", "US", EXTERNAL, "+15551234567", "551234567"),
    ("15551234567", "US", EXTERNAL, "+15551234567", "551234567"),
    ("(555) 123-4567", "US", EXTERNAL, "+15551234567", "551234567"),
    ("555.123.4567", "US", EXTERNAL, "+15551234567", "551234567"),
    ("555/123/4567", "US", EXTERNAL, "+15551234567", "551234567"),
    ("+1-555-123-4567", "US", EXTERNAL, "+15551234567", "551234567"),
    ("  +1 555 123 4567  ", "US", EXTERNAL, "+15551234567", "551234567"),
    ("tel:+15551234567", "US", EXTERNAL, "+15551234567", "551234567"),
    ("+1 555 123 4567 ext. 89", "US", EXTERNAL, "+15551234567", "551234567"),
    ("5551234567;ext=22", "US", EXTERNAL, "+15551234567", "551234567"),
    ("555-123-4567 x12", "US", EXTERNAL, "+15551234567", "551234567"),
    ("01144 20 7946 0018", "US", EXTERNAL, "+442079460018", "079460018"),
    # UK: national with trunk 0, the (0) habit, 00 international from elsewhere
    ("020 7946 0018", "GB", EXTERNAL, "+442079460018", "079460018"),
    ("+44 (0)20 7946 0018", "GB", EXTERNAL, "+442079460018", "079460018"),
    ("0044 20 7946 0018", "DE", EXTERNAL, "+442079460018", "079460018"),
    ("07700 900123", "GB", EXTERNAL, "+447700900123", "700900123"),
    # Netherlands (the recorded traces' trunk)
    ("+31150010001", "NL", EXTERNAL, "+31150010001", "150010001"),
    ("0150010001", "NL", EXTERNAL, "+31150010001", "150010001"),
    ("0031150010001", "NL", EXTERNAL, "+31150010001", "150010001"),
    # China: mobile and Beijing/Shanghai landlines, national and international
    ("13812345678", "CN", EXTERNAL, "+8613812345678", "812345678"),
    ("138 1234 5678", "CN", EXTERNAL, "+8613812345678", "812345678"),
    ("+86 138 1234 5678", "CN", EXTERNAL, "+8613812345678", "812345678"),
    ("008613812345678", "US", EXTERNAL, "+8613812345678", "812345678"),
    ("010 6552 9988", "CN", EXTERNAL, "+861065529988", "065529988"),
    ("010-65529988", "CN", EXTERNAL, "+861065529988", "065529988"),
    ("+86 21 6288 1234", "CN", EXTERNAL, "+862162881234", "162881234"),
    ("02162881234", "CN", EXTERNAL, "+862162881234", "162881234"),
    # Internal extensions: short numbers are colleagues, not customers
    ("1001", "US", INTERNAL, None, None),
    ("201", "NL", INTERNAL, None, None),
    ("150010", "NL", INTERNAL, None, None),
    # Withheld, empty and garbage
    ("anonymous", "US", WITHHELD, None, None),
    ("Anonymous", "US", WITHHELD, None, None),
    ("<unknown>", "US", WITHHELD, None, None),
    ("unknown", "US", WITHHELD, None, None),
    ("Restricted", "GB", WITHHELD, None, None),
    ("", "US", WITHHELD, None, None),
    ("   ", "US", WITHHELD, None, None),
    (None, "US", WITHHELD, None, None),
    ("1" * 40, "US", WITHHELD, None, None),
    ("abc", "US", WITHHELD, None, None),
    ("555-CALL-NOW", "US", WITHHELD, None, None),
    ("+", "US", WITHHELD, None, None),
    ("\x00\x01", "US", WITHHELD, None, None),
]


@pytest.mark.parametrize(("raw", "region", "kind", "e164", "key"), CASES)
def test_normalize_caller(
    raw: str | None, region: str, kind: CallerKind, e164: str | None, key: str | None
) -> None:
    caller = normalize_caller(raw, region)
    assert (caller.kind, caller.e164, caller.match_key) == (kind, e164, key)
    assert caller.withheld is (kind is WITHHELD)


def test_at_least_thirty_formats_are_covered() -> None:
    assert len(CASES) >= 30


def test_numbers_too_short_for_a_plan_still_give_a_suffix_key() -> None:
    caller = normalize_caller("1234567890123", "US")  # 13 digits: no plan, but a real number
    assert caller.kind is EXTERNAL
    assert caller.e164 is None
    assert caller.match_key == "567890123"


def test_national_and_international_forms_share_a_match_key() -> None:
    national = normalize_caller("0150010001", "NL")
    foreign = normalize_caller("+31 15 001 0001", "US")
    assert national.match_key == foreign.match_key == "150010001"


def test_display_is_e164_or_the_raw_text() -> None:
    assert normalize_caller("(555) 123-4567", "US").display == "+15551234567"
    assert normalize_caller("1001", "US").display == "1001"
    assert normalize_caller("anonymous", "US").display == ""


def test_match_digits_is_configurable() -> None:
    assert normalize_caller("+15551234567", "US", match_digits=7).match_key == "1234567"


def test_normalize_stored_rejects_what_is_not_a_number() -> None:
    assert normalize_stored("(555) 123-4567", "US") == ("+15551234567", "551234567")
    for bad in ("anonymous", "1001", "hello", "1" * 40):
        with pytest.raises(InvalidNumber):
            normalize_stored(bad, "US")
