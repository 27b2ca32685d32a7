"""Validation of one customer record of the CSV import (``cti-bridge customers import``).

Every column arrives as text; :func:`parse_record` turns a record into a
:class:`CustomerRecord` ready to store, or names everything wrong with it. Lenient where
spreadsheets differ harmlessly ("yes", "a", "Most valuable", empty cells take the table's
defaults), strict where a guess could store wrong data (dates, numbers, unknown values).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from functools import partial
from typing import Any, TypeVar

from cti_bridge.core.phones import InvalidNumber, normalize_stored
from cti_bridge.store.models import Grade, Segment

# The header of DESIGN §6.1, in its order (a file may order the columns as it likes).
HEADER = "external_ref,name,company,phones,grade,segment,vip,birthday,region,language,notes"
COLUMNS = tuple(HEADER.split(","))
PHONE_SEPARATOR = ";"

# Column widths of the customers table: a longer value is a row error, never a truncation.
_MAX_LENGTH = {"external_ref": 64, "name": 200, "company": 200, "region": 64, "language": 8}
_MAX_RAW_PHONE = 64
_YES, _NO = ("true", "yes", "y", "1"), ("false", "no", "n", "0", "")
_VIP = dict.fromkeys(_YES, True) | dict.fromkeys(_NO, False)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Allowed values, the default for an empty cell first.
_GRADES = tuple(g.value for g in (Grade.C, Grade.B, Grade.A))
_SEGMENTS = tuple(s.value for s in (Segment.STANDARD, *Segment))

_T = TypeVar("_T")


@dataclass(frozen=True)
class PhoneEntry:
    raw: str
    e164: str
    match_key: str


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
    values: Mapping[str, str], *, default_region: str, match_digits: int = 9
) -> CustomerRecord:
    """Validate one record given as column name → text. Raises ``ValueError`` naming every
    problem in the record, so one pass over a bad file shows all that needs fixing."""
    problems: list[str] = []

    def check(parse: Callable[[], _T], fallback: _T) -> _T:
        try:
            return parse()
        except ValueError as exc:
            problems.append(str(exc))
            return fallback

    text = {col: check(partial(_text, values, col), "") for col in _MAX_LENGTH}
    if not text["name"]:
        problems.append("name is missing")
    record = CustomerRecord(
        external_ref=text["external_ref"] or None,
        name=text["name"],
        company=text["company"],
        phones=check(lambda: _phones(values["phones"], default_region, match_digits), ()),
        grade=check(lambda: _choice(values["grade"], _GRADES, "grade"), _GRADES[0]),
        segment=check(lambda: _choice(values["segment"], _SEGMENTS, "segment"), _SEGMENTS[0]),
        vip=check(lambda: _vip(values["vip"]), False),
        birthday=check(lambda: _birthday(values["birthday"]), None),
        region=text["region"],
        language=text["language"],
        notes=values["notes"].strip(),
    )
    if problems:
        raise ValueError("; ".join(problems))
    return record


def _text(values: Mapping[str, str], column: str) -> str:
    value = values[column].strip()
    if len(value) > _MAX_LENGTH[column]:
        raise ValueError(f"{column} longer than {_MAX_LENGTH[column]} characters")
    return value


def _choice(raw: str, allowed: Sequence[str], what: str) -> str:
    """One of ``allowed`` (the first is the default for an empty cell). Spreadsheets invite
    "a" for "A" and "Most valuable" or "most-valuable" for ``most_valuable``."""
    value = re.sub(r"[\s\-]+", "_", raw.strip()) or allowed[0]
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise ValueError(
        f"unknown {what} {raw.strip()!r} (expected one of {', '.join(sorted(set(allowed)))})"
    )


def _vip(raw: str) -> bool:
    try:
        return _VIP[raw.strip().lower()]
    except KeyError:
        raise ValueError(f"bad vip value {raw.strip()!r} (expected true or false)") from None


def _birthday(raw: str) -> date | None:
    value = raw.strip()
    if not value:
        return None
    # fromisoformat alone would also take "19800101" and week dates; the column is YYYY-MM-DD.
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"bad birthday {value!r} (expected a date as YYYY-MM-DD)")


def _phones(raw: str, default_region: str, match_digits: int) -> tuple[PhoneEntry, ...]:
    entries: dict[str, PhoneEntry] = {}
    for part in raw.split(PHONE_SEPARATOR):
        number = part.strip()
        if not number:
            continue
        try:
            e164, match_key = normalize_stored(number, default_region, match_digits)
        except InvalidNumber:
            raise ValueError(f"invalid phone number {number!r}") from None
        # The same number written twice ("555-0100; (555) 0100") is stored once.
        # (``raw`` is only shown back to people; a cut is harmless, an overflow is not.)
        entries.setdefault(e164, PhoneEntry(number[:_MAX_RAW_PHONE], e164, match_key))
    return tuple(entries.values())
