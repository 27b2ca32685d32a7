"""Customer CSV import (``cti-bridge customers import FILE.csv``).

The header names the columns of :data:`COLUMNS` (any order, any case); each record is
upserted by ``external_ref``: a known one updates the customer and *replaces* its phones
(the file is the truth for its columns; ``email`` is left alone), an unknown or empty one
inserts a customer. The same ``external_ref`` twice in one file: the later record wins,
counted as if the records were applied in turn (an insert, then updates).

A bad record is reported with the physical line it starts on (the header is line 1; a
quoted field may span lines) and every good record is kept. Only a file that cannot be
read as a whole (bad header, not UTF-8) raises :class:`CsvFormatError`; a bad header
is found before anything is written. The file is streamed ``batch_size`` records at a
time, one transaction each, so a million rows never sit in memory and work done before a
failure stays done; reading and validation run in a worker thread so that a large import
does not stall a running daemon's event loop.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cti_bridge.store.import_rows import COLUMNS, HEADER, CustomerRecord, parse_record
from cti_bridge.store.models import Customer, CustomerPhone

__all__ = [
    "COLUMNS",
    "HEADER",
    "CsvFormatError",
    "CustomerRecord",
    "ImportReport",
    "RowError",
    "import_customers",
    "parse_record",
    "upsert_records",
]

NOT_UTF8 = "the file is not UTF-8 text (save it as 'CSV UTF-8')"


class CsvFormatError(Exception):
    """The file as a whole cannot be imported. ``report`` holds what was done before the
    problem was found (nothing, for a bad header)."""

    def __init__(self, message: str, report: ImportReport | None = None) -> None:
        super().__init__(message)
        self.report = report or ImportReport()


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ImportReport:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class _Batch:
    records: list[CustomerRecord]
    errors: list[RowError]
    rows_read: int


class _CsvSource:
    """A csv reader that knows the physical line each record starts on."""

    def __init__(
        self, stream: TextIO, validate: Callable[[Mapping[str, str]], CustomerRecord]
    ) -> None:
        # strict: a stray or unclosed quote is an error for that record instead of quietly
        # swallowing the lines after it into one field.
        self.reader = csv.reader(stream, strict=True)
        self._validate = validate
        self._columns = self._read_header()

    def _read_header(self) -> list[str]:
        try:
            header = next(self.reader)
        except StopIteration:
            raise CsvFormatError("the file is empty: expected a header line") from None
        except UnicodeDecodeError:
            raise CsvFormatError(NOT_UTF8) from None
        except csv.Error as exc:
            raise CsvFormatError(f"line 1: unreadable header ({exc})") from None
        # Excel's "CSV UTF-8" starts with a byte-order mark; a caller's own stream keeps it.
        names = [name.strip().lstrip("\ufeff").strip().lower() for name in header]
        missing = [col for col in COLUMNS if col not in names]
        unknown = [name for name in names if name not in COLUMNS]
        repeated = sorted({name for name in names if names.count(name) > 1})
        found = {"missing": missing, "unknown": unknown, "repeated": repeated}
        if any(found.values()):
            details = "; ".join(
                f"{what}: {', '.join(cols)}" for what, cols in found.items() if cols
            )
            raise CsvFormatError(
                f"line 1: the header must name the columns {HEADER} ({details}); "
                "nothing was imported"
            )
        return names

    def read_batch(self, size: int) -> _Batch:
        """Up to ``size`` records, validated; an empty batch at the end of the file."""
        batch = _Batch([], [], 0)
        while batch.rows_read < size:
            # line_num counts physical lines, so a record starts just after the last one.
            line = self.reader.line_num + 1
            try:
                row = next(self.reader, None)
            except csv.Error as exc:
                batch.rows_read += 1
                batch.errors.append(RowError(line, f"unreadable CSV ({exc}){self._span(line)}"))
                continue
            if row is None:
                break
            if not any(cell.strip() for cell in row):
                continue  # blank lines and Excel's ",,,," lines are not records
            batch.rows_read += 1
            try:
                batch.records.append(self._parse(line, row))
            except ValueError as exc:
                batch.errors.append(RowError(line, str(exc)))
        return batch

    def _parse(self, line: int, row: list[str]) -> CustomerRecord:
        width = len(self._columns)
        # Spreadsheets like to pad rows with empty cells; only real extra data is an error.
        if len(row) > width and not any(cell.strip() for cell in row[width:]):
            row = row[:width]
        if any("\x00" in cell for cell in row):
            # PostgreSQL text cannot hold NUL; refusing the row keeps the batch writable.
            raise ValueError("contains a NUL character")
        if len(row) != width:
            found = f"expected {width}, found {len(row)}{self._span(line)}"
            raise ValueError(f"wrong number of fields: {found}")
        return self._validate(dict(zip(self._columns, row, strict=True)))

    def _span(self, first: int) -> str:
        """A hint for a record that runs over several lines: often a quote gone astray."""
        last = self.reader.line_num
        return f"; the record spans lines {first}-{last}, check its quotes" if last > first else ""


async def upsert_records(
    conn: AsyncConnection, records: Sequence[CustomerRecord]
) -> tuple[int, int]:
    """Write ``records`` in the connection's transaction: insert new customers, update
    those whose ``external_ref`` exists (replacing their phones). Returns (inserted,
    updated), counted as if the records were applied one by one."""
    refs = {r.external_ref for r in records if r.external_ref}
    existing = await _ids_by_ref(conn, refs)
    latest: dict[str, CustomerRecord] = {}
    updated = 0
    for record in records:
        if ref := record.external_ref:
            updated += ref in existing or ref in latest
            latest[ref] = record
    new = [r for r in records if r.external_ref is None]
    new += [r for ref, r in latest.items() if ref not in existing]
    changed = [(existing[ref], r) for ref, r in latest.items() if ref in existing]
    phones = await _insert_customers(conn, new)
    phones += await _update_customers(conn, changed)
    if phones:
        await conn.execute(insert(CustomerPhone), phones)
    return len(records) - updated, updated


def _in_list(values: Collection[Any]) -> Any:
    """``IN`` values written into the SQL text. With bound parameters the statement text
    repeats batch after batch, and PostgreSQL's cached generic plan for it, made while the
    table was still small, goes on scanning the whole table once it is large."""
    return bindparam("in_values", list(values), literal_execute=True)


async def _ids_by_ref(conn: AsyncConnection, refs: set[str]) -> dict[str, int]:
    query = select(Customer.external_ref, Customer.id).where(
        Customer.external_ref.in_(_in_list(refs))
    )
    return {ref: id_ for ref, id_ in await conn.execute(query) if ref is not None}


async def _insert_customers(
    conn: AsyncConnection, records: Sequence[CustomerRecord]
) -> list[dict[str, Any]]:
    """Insert customers; returns the phone rows to insert for them."""
    keyed = [r for r in records if r.external_ref]
    unkeyed = [r for r in records if not r.external_ref]
    ids: list[int] = []
    if keyed:
        # A plain executemany, then the new ids by ref: ordered RETURNING would make
        # SQLite insert row by row (it cannot tie new rowids to parameter order).
        await conn.execute(insert(Customer), [r.columns() for r in keyed])
        by_ref = await _ids_by_ref(conn, {r.external_ref for r in keyed if r.external_ref})
        ids = [by_ref[r.external_ref] for r in keyed if r.external_ref]
    if unkeyed:
        # Nothing but the insert order identifies these (row by row on SQLite).
        stmt = insert(Customer).returning(Customer.id, sort_by_parameter_order=True)
        ids += (await conn.execute(stmt, [r.columns() for r in unkeyed])).scalars().all()
    pairs = zip(ids, keyed + unkeyed, strict=True)
    return [row for id_, r in pairs for row in _phone_rows(id_, r)]


async def _update_customers(
    conn: AsyncConnection, changed: Sequence[tuple[int, CustomerRecord]]
) -> list[dict[str, Any]]:
    """Update customers and drop their old phones; returns the phone rows to insert."""
    if not changed:
        return []
    stmt = update(Customer).where(Customer.id == bindparam("target_id"))
    await conn.execute(stmt, [{"target_id": id_, **r.columns()} for id_, r in changed])
    ids = [id_ for id_, _ in changed]
    await conn.execute(delete(CustomerPhone).where(CustomerPhone.customer_id.in_(_in_list(ids))))
    return [row for id_, r in changed for row in _phone_rows(id_, r)]


def _phone_rows(customer_id: int, record: CustomerRecord) -> list[dict[str, Any]]:
    return [
        {"customer_id": customer_id, "e164": p.e164, "match_key": p.match_key, "raw": p.raw}
        for p in record.phones
    ]


async def import_customers(
    engine: AsyncEngine,
    source: TextIO | str | Path,
    *,
    default_region: str,
    match_digits: int = 9,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> ImportReport:
    """Upsert customers from a CSV file (a path, or an open text stream) into the
    database; see the module docstring for the rules. ``progress`` is called with the
    number of records read so far after each committed batch; ``today`` (default: the
    local date) rules out birthdays in the future."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if isinstance(source, str | Path):
        # utf-8-sig drops Excel's byte-order mark; newline="" is what the csv module needs
        # for quoted fields holding line breaks.
        stream: TextIO = await asyncio.to_thread(open, source, encoding="utf-8-sig", newline="")
    else:
        stream = source
    try:
        validate = partial(
            parse_record,
            today=today or date.today(),
            default_region=default_region,
            match_digits=match_digits,
        )
        reader = await asyncio.to_thread(_CsvSource, stream, validate)
        return await _import_batches(engine, reader, batch_size, progress)
    finally:
        if stream is not source:
            stream.close()


async def _import_batches(
    engine: AsyncEngine,
    source: _CsvSource,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> ImportReport:
    """Read, validate and write one batch at a time, committing each."""
    report = ImportReport()
    while True:
        try:
            batch = await asyncio.to_thread(source.read_batch, batch_size)
        except UnicodeDecodeError:
            done = (
                f"; the {report.rows_read} records before were imported" if report.rows_read else ""
            )
            raise CsvFormatError(NOT_UTF8 + done, report) from None
        if batch.rows_read == 0:
            return report
        if batch.records:
            async with engine.begin() as conn:
                inserted, updated = await upsert_records(conn, batch.records)
            report.inserted += inserted
            report.updated += updated
        report.rows_read += batch.rows_read
        report.errors.extend(batch.errors)
        if progress is not None:
            progress(report.rows_read)
