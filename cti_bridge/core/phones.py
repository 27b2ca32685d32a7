"""Caller-number normalisation and match keys.

Asterisk hands us whatever the trunk or phone put in the caller id: ``+15551234567``,
``0015551234567``, ``5551234567``, ``(555) 123-4567``, ``anonymous``, ``<unknown>``, an
internal extension ``1001``, or garbage. This module turns it into

- an E.164 number for exact matches against stored customer numbers, and
- a *match key*: the last N digits of the national number, for callers whose number
  arrives without its country code or trunk prefix (and stored numbers we can compare
  with it);

or says the caller is withheld. It never raises on caller input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

# What Asterisk and trunks put in the caller id when there is no number to show.
WITHHELD_MARKERS = frozenset(
    {
        "",
        "anonymous",
        "unknown",
        "<unknown>",
        "unavailable",
        "private",
        "restricted",
        "withheld",
        "blocked",
    }
)

# Internal extensions are short; anything up to this many digits is not a customer number.
MAX_INTERNAL_DIGITS = 6
# No real number has more digits than this (E.164 allows 15).
MAX_DIGITS = 17

_STRIP = re.compile(r"[\s\-./()\[\]]")
_EXTENSION = re.compile(r"(?:;ext=|\s*(?:ext\.?|x|#)\s*)\d+\s*$", re.IGNORECASE)


class CallerKind(StrEnum):
    EXTERNAL = "external"  # a real number we could normalise
    INTERNAL = "internal"  # a short extension inside the PBX
    WITHHELD = "withheld"  # anonymous, empty or not a number at all


@dataclass(frozen=True, slots=True, kw_only=True)
class CallerNumber:
    raw: str
    kind: CallerKind
    e164: str | None = None
    match_key: str | None = None

    @property
    def withheld(self) -> bool:
        return self.kind is CallerKind.WITHHELD

    @property
    def display(self) -> str:
        """The number to show: E.164 when known, else what Asterisk sent."""
        return self.e164 or ("" if self.withheld else self.raw.strip())


class InvalidNumber(ValueError):
    """A number given for storage (import, edit) that is not a valid phone number."""


def match_key_of(number: phonenumbers.PhoneNumber, digits: int) -> str:
    national = phonenumbers.national_significant_number(number)
    return national[-digits:]


def digits_key(raw: str, digits: int) -> str | None:
    """Last ``digits`` digits of a bare digit string, when it is long enough to mean much."""
    only = "".join(ch for ch in raw if ch.isdigit())
    if len(only) < min(digits, 7):
        return None
    return only[-digits:]


def normalize_caller(raw: str | None, default_region: str, match_digits: int = 9) -> CallerNumber:
    """Classify and normalise a caller id as received from Asterisk."""
    text = (raw or "").strip()
    if text.lower() in WITHHELD_MARKERS:
        return CallerNumber(raw=text, kind=CallerKind.WITHHELD)
    cleaned = _STRIP.sub("", _EXTENSION.sub("", text))
    if cleaned.startswith("tel:"):
        cleaned = cleaned[4:]
    body = cleaned[1:] if cleaned.startswith("+") else cleaned
    if not body.isdigit() or len(body) > MAX_DIGITS:
        return CallerNumber(raw=text, kind=CallerKind.WITHHELD)
    if not cleaned.startswith("+") and len(body) <= MAX_INTERNAL_DIGITS:
        return CallerNumber(raw=text, kind=CallerKind.INTERNAL)
    parsed = _parse(cleaned, default_region)
    if parsed is None:
        # Not valid for any plan we know, but long enough: still usable for a suffix match.
        key = digits_key(body, match_digits)
        kind = CallerKind.EXTERNAL if key else CallerKind.WITHHELD
        return CallerNumber(raw=text, kind=kind, e164=None, match_key=key)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return CallerNumber(
        raw=text, kind=CallerKind.EXTERNAL, e164=e164, match_key=match_key_of(parsed, match_digits)
    )


def normalize_stored(raw: str, default_region: str, match_digits: int = 9) -> tuple[str, str]:
    """E.164 and match key for a number we are asked to store; raises :class:`InvalidNumber`."""
    caller = normalize_caller(raw, default_region, match_digits)
    if caller.e164 is None or caller.match_key is None:
        raise InvalidNumber(f"not a valid phone number: {raw!r}")
    return caller.e164, caller.match_key


def _parse(cleaned: str, region: str) -> phonenumbers.PhoneNumber | None:
    """Parse with the default region; ``00``/``011`` international prefixes are handled by
    phonenumbers for the region's own exit code, and ``00`` also tried for any region."""
    candidates = [cleaned]
    if cleaned.startswith("00"):
        candidates.append("+" + cleaned[2:])
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        # "Possible" (right length for the country), not "valid": ranges get assigned faster
        # than the metadata ships, and a CTI must not refuse a real caller's number.
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
            return number
    return None


# What click-to-dial hands to Originate as the number: the dialplan puts it after a channel
# technology, so ``&`` (a second channel), ``/``, ``@`` or ``,`` would change what is rung.
_DIALABLE = re.compile(r"\+[0-9]{1,20}|[0-9*#]{1,32}")
_LAYOUT = re.compile(r"[ \-.()]")


def dialable(raw: str) -> str | None:
    """``raw`` without layout (spaces, dashes, dots, parentheses) if the rest is digits
    with an optional leading ``+``, or digits with ``*`` and ``#`` (feature codes); else
    None."""
    number = _LAYOUT.sub("", raw)
    return number if _DIALABLE.fullmatch(number) else None
