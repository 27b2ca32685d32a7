"""Validation of customer fields as agents and imports send them.

One set of rules for the REST API and the CSV import: a grade is A, B or C, a birthday is a
date in the past, a phone number must normalise. Errors name the field so the desk can put
the message next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from cti_bridge.core.phones import InvalidNumber, normalize_stored

GRADES = ("A", "B", "C")
SEGMENTS = ("most_valuable", "most_growable", "standard", "below_zero")
TEXT_LIMITS = {
    "name": 200,
    "company": 200,
    "region": 64,
    "language": 8,
    "email": 200,
    "notes": 10_000,
    "external_ref": 64,
}
MAX_PHONES = 10


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0", ""):
        return False
    raise FieldError(field, f"expected true or false, got {value!r}")


def parse_birthday(value: Any, today: date) -> date | None:
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise FieldError("birthday", f"expected a date as YYYY-MM-DD, got {value!r}") from exc
    if day > today:
        raise FieldError("birthday", "is in the future")
    return day


def _text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(field, "must be text")
    text = value.strip()
    if len(text) > TEXT_LIMITS[field]:
        raise FieldError(field, f"is longer than {TEXT_LIMITS[field]} characters")
    return text


def _choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    text = str(value).strip()
    if field == "grade":
        text = text.upper()
    if text not in choices:
        raise FieldError(field, f"must be one of {', '.join(choices)}, got {value!r}")
    return text


def normalize_phones(
    values: Any, default_region: str, match_digits: int
) -> list[tuple[str, str, str]]:
    """(e164, match_key, raw) per distinct number; accepts a list or a ``;``-separated text."""
    if isinstance(values, str):
        values = [v for v in values.split(";")]
    if not isinstance(values, list):
        raise FieldError("phones", "must be a list of phone numbers")
    result: dict[str, tuple[str, str, str]] = {}
    for raw in values:
        if not isinstance(raw, str):
            raise FieldError("phones", "must be a list of phone numbers")
        if not raw.strip():
            continue
        try:
            e164, key = normalize_stored(raw, default_region, match_digits)
        except InvalidNumber as exc:
            raise FieldError("phones", f"{raw.strip()!r} is not a valid phone number") from exc
        result.setdefault(e164, (e164, key, raw.strip()))
    if len(result) > MAX_PHONES:
        raise FieldError("phones", f"at most {MAX_PHONES} numbers per customer")
    return list(result.values())


def clean_customer_fields(data: Mapping[str, Any], *, today: date, partial: bool) -> dict[str, Any]:
    """Validated column values for the fields present in ``data`` (phones excluded).

    ``partial`` is for edits: absent fields stay as they are; on creation a name is required.
    """
    unknown = set(data) - set(TEXT_LIMITS) - {"grade", "segment", "vip", "birthday", "phones"}
    if unknown:
        raise FieldError(sorted(unknown)[0], "is not a customer field")
    clean: dict[str, Any] = {}
    for field in TEXT_LIMITS:
        if field in data:
            clean[field] = _text(field, data[field])
    if "external_ref" in clean and not clean["external_ref"]:
        clean["external_ref"] = None
    if "grade" in data:
        clean["grade"] = _choice("grade", data["grade"], GRADES)
    if "segment" in data:
        clean["segment"] = _choice("segment", data["segment"], SEGMENTS)
    if "vip" in data:
        clean["vip"] = parse_bool(data["vip"], "vip")
    if "birthday" in data:
        clean["birthday"] = parse_birthday(data["birthday"], today)
    if ("name" in data or not partial) and not clean.get("name"):
        raise FieldError("name", "is required")
    return clean
