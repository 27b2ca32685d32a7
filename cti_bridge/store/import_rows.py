"""One record of the customer CSV import, checked with the desk's own field rules.

Every column arrives as text. :func:`parse_record` applies the rules of
:mod:`cti_bridge.core.customers` (the same ones the REST API uses, so an import cannot
store what an agent could not type) and adds only what spreadsheets need: an empty
grade or segment cell takes the table's default, and "Most valuable" or "most-valuable"
mean ``most_valuable``. Every problem of a record is reported, not just the first, so
one pass over a bad file shows all that needs fixing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from cti_bridge.core.customers import FieldError, clean_customer_fields, normalize_phones
from cti_bridge.core.states import Grade, Segment

# The header of DESIGN §6.1, in its order (a file may order the columns as it likes).
HEADER = "external_ref,name,company,phones,grade,segment,vip,birthday,region,language,notes"
COLUMNS = tuple(HEADER.split(","))

# What an empty cell means where the field rules would refuse an empty value.
_EMPTY_MEANS = {"grade": Grade.C.value, "segment": Segment.STANDARD.value}


@dataclass(frozen=True)
class PhoneEntry:
    e164: str
    match_key: str
    raw: str


@dataclass(frozen=True)
class CustomerRecord:
    """One validated customer, ready to write."""

    external_ref: str | None
    name: str
    company: str
    phones: tuple[PhoneEntry, ...]
    grade: str
    segment: str
    vip: bool
    birthday: date | None
    region: str
    language: str
    notes: str

    def columns(self) -> dict[str, Any]:
        """The values for the ``customers`` table: every field but the phones."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "phones"}


def parse_record(
    values: Mapping[str, str], *, today: date, default_region: str, match_digits: int = 9
) -> CustomerRecord:
    """Validate one record given as column name → text (all of :data:`COLUMNS`). Raises
    ``ValueError`` naming every problem; ``today`` rules out birthdays in the future."""
    problems: list[str] = []
    clean: dict[str, Any] = {}
    for column in COLUMNS:
        if column == "phones":
            continue
        # Field by field, so that one bad cell does not hide the next.
        try:
            data = {column: _spreadsheet_value(column, values[column])}
            clean.update(clean_customer_fields(data, today=today, partial=True))
        except FieldError as exc:
            problems.append(str(exc))
    phones: list[tuple[str, str, str]] = []
    try:
        phones = normalize_phones(values["phones"], default_region, match_digits)
    except FieldError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    return CustomerRecord(phones=tuple(PhoneEntry(*phone) for phone in phones), **clean)


def _spreadsheet_value(column: str, text: str) -> str:
    value = text.strip()
    if column in _EMPTY_MEANS and not value:
        return _EMPTY_MEANS[column]
    if column == "segment":
        return re.sub(r"[\s\-]+", "_", value.lower())
    return value
