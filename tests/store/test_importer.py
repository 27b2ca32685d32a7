"""Customer CSV import against real databases (SQLite file and PostgreSQL schema)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import pytest
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.store.importer import (
    HEADER,
    CsvFormatError,
    ImportReport,
    import_customers,
    parse_record,
)
from cti_bridge.store.models import Customer, CustomerPhone

FIXTURES = Path(__file__).parent.parent / "fixtures" / "csv"


async def run_import(
    engine: AsyncEngine,
    source: TextIO | Path,
    *,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    return await import_customers(
        engine, source, default_region="US", batch_size=batch_size, progress=progress
    )


async def customers_by_ref(engine: AsyncEngine) -> dict[str, Row[Any]]:
    """Every customer row keyed by external_ref (customers without one keyed by name)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(Customer.__table__))).all()
    return {row.external_ref or row.name: row for row in rows}


async def phones_of(engine: AsyncEngine, ref: str) -> set[tuple[str, str, str]]:
    query = (
        select(CustomerPhone.e164, CustomerPhone.match_key, CustomerPhone.raw)
        .join(Customer, Customer.id == CustomerPhone.customer_id)
        .where(Customer.external_ref == ref)
    )
    async with engine.connect() as conn:
        return {(e164, key, raw) for e164, key, raw in await conn.execute(query)}


def csv_text(*rows: str) -> io.StringIO:
    return io.StringIO("\n".join((HEADER, *rows)) + "\n", newline="")


async def test_good_file_inserts_customers_with_normalised_phones(engine: AsyncEngine) -> None:
    report = await run_import(engine, FIXTURES / "good.csv")

    assert (report.rows_read, report.inserted, report.updated) == (5, 5, 0)
    assert report.errors == []
    customers = await customers_by_ref(engine)
    assert len(customers) == 4  # two walk-ins share a name but are two customers
    jane = customers["C001"]
    assert (jane.name, jane.company, jane.grade, jane.segment, jane.vip) == (
        "Jane Doe",
        "Acme Corp",
        "A",
        "most_valuable",
        True,
    )
    assert jane.birthday == date(1980, 4, 12)
    assert (jane.region, jane.language, jane.notes) == ("New York", "en", "Prefers email")
    assert await phones_of(engine, "C001") == {
        ("+12125550142", "125550142", "(212) 555-0142"),
        ("+14155550199", "155550199", "+1 415 555 0199"),
    }
    bob = customers["C003"]
    assert (bob.grade, bob.segment, bob.vip, bob.birthday) == ("C", "standard", False, None)
    async with engine.connect() as conn:
        walk_ins = (
            await conn.execute(select(Customer.__table__).where(Customer.name == "Walk-in Caller"))
        ).all()
    assert {(c.external_ref, c.grade, c.segment) for c in walk_ins} == {
        (None, "C", "below_zero"),
        (None, "C", "standard"),
    }


async def test_chinese_text_round_trips(engine: AsyncEngine) -> None:
    await run_import(engine, FIXTURES / "good.csv")

    wang = (await customers_by_ref(engine))["C002"]
    assert (wang.name, wang.company, wang.region) == ("王伟", "北京华信科技有限公司", "北京")
    assert wang.notes == "老客户，喜欢下午联系"  # noqa: RUF001 (a Chinese comma, on purpose)
    assert {p[:2] for p in await phones_of(engine, "C002")} == {
        ("+8613800138000", "800138000"),
        ("+861065521234", "065521234"),
    }


async def test_reimport_updates_by_external_ref_and_replaces_phones(
    engine: AsyncEngine,
) -> None:
    await run_import(engine, FIXTURES / "good.csv")
    update = csv_text(
        "C001,Jane Doe-Smith,Acme Corp,(646) 555-0177,B,standard,false,,New York,en,moved",
        "C004,New Person,,(646) 555-0178,,,,,,,",
    )

    report = await run_import(engine, update)

    assert (report.rows_read, report.inserted, report.updated) == (2, 1, 1)
    jane = (await customers_by_ref(engine))["C001"]
    assert (jane.name, jane.grade, jane.vip, jane.birthday, jane.notes) == (
        "Jane Doe-Smith",
        "B",
        False,
        None,
        "moved",
    )
    assert await phones_of(engine, "C001") == {("+16465550177", "465550177", "(646) 555-0177")}
    assert len(await customers_by_ref(engine)) == 5


async def test_duplicate_ref_in_one_file_later_row_wins(engine: AsyncEngine) -> None:
    source = csv_text(
        "D001,First Version,,(212) 555-0120,A,,,,,,",
        "D001,Second Version,,(212) 555-0121,B,,,,,,",
    )

    report = await run_import(engine, source)

    assert (report.inserted, report.updated) == (1, 1)
    customers = await customers_by_ref(engine)
    assert (customers["D001"].name, customers["D001"].grade) == ("Second Version", "B")
    assert {p[0] for p in await phones_of(engine, "D001")} == {"+12125550121"}


async def test_broken_rows_are_reported_by_line_and_good_rows_kept(
    engine: AsyncEngine,
) -> None:
    report = await run_import(engine, FIXTURES / "broken.csv")

    by_line = {error.line: error.message for error in report.errors}
    assert sorted(by_line) == [3, 4, 8, 9, 11, 13]
    assert by_line[3] == "grade: must be one of A, B, C, got 'D'"
    assert by_line[4] == "birthday: expected a date as YYYY-MM-DD, got '1990-13-01'"
    # Line 8, not 6: the quoted notes of the record on line 5 span three lines.
    assert by_line[8] == "phones: 'xyz' is not a valid phone number"
    assert by_line[9] == "name: is required"
    assert "wrong number of fields: expected 11, found 5" in by_line[11]
    # Every problem of a record is named, not only the first.
    for problem in ("'12'", "grade", "'Z'", "segment", "'nowhere'", "vip", "31/12/1999"):
        assert problem in by_line[13]
    assert (report.rows_read, report.inserted, report.updated) == (9, 3, 0)
    customers = await customers_by_ref(engine)
    assert set(customers) == {"B001", "B004", "B008"}
    assert customers["B004"].notes == (
        'first line of notes\nsecond line, with a comma\nthird line "quoted"'
    )


async def test_awkward_refs_and_nul_characters(engine: AsyncEngine) -> None:
    awkward = "O'Brien\\%_; DROP"
    source = csv_text(
        f"{awkward},Quote Ref,,(212) 555-0145,A,,,,,,",
        "N001,Nul\x00Name,,(212) 555-0146,A,,,,,,",
    )

    report = await run_import(engine, source)
    again = await run_import(engine, csv_text(f"{awkward},Quote Ref 2,,(212) 555-0147,A,,,,,,"))

    assert [(e.line, e.message) for e in report.errors] == [(3, "contains a NUL character")]
    assert (again.inserted, again.updated) == (0, 1)
    assert (await customers_by_ref(engine))[awkward].name == "Quote Ref 2"


async def test_unclosed_quote_is_reported_at_its_first_line(engine: AsyncEngine) -> None:
    source = csv_text(
        "Q001,Fine,,(212) 555-0130,A,,,,,,ok",
        'Q002,Broken,,(212) 555-0131,A,,,,,,"never closed',
        "Q003,Swallowed,,(212) 555-0132,A,,,,,,",
    )

    report = await run_import(engine, source)

    # The stray quote swallowed the next line; both are reported at the record's start.
    assert [e.line for e in report.errors] == [3]
    assert "unexpected end of data" in report.errors[0].message
    assert "spans lines 3-4" in report.errors[0].message
    assert set(await customers_by_ref(engine)) == {"Q001"}


async def test_stray_quote_mid_file_costs_only_its_records(engine: AsyncEngine) -> None:
    source = csv_text(
        'M001,"Bad" quote,,(212) 555-0140,A,,,,,,',
        "M002,Kept,,(212) 555-0141,A,,,,,,",
    )

    report = await run_import(engine, source)

    assert [e.line for e in report.errors] == [2]
    assert set(await customers_by_ref(engine)) == {"M002"}


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("external_ref,name,company,phone,grade,segment,vip,birthday,region,language", "phones"),
        (HEADER.replace("grade,", ""), "grade"),
    ],
)
async def test_bad_header_raises_and_writes_nothing(
    engine: AsyncEngine, header: str, missing: str
) -> None:
    source = io.StringIO(header + "\nH001,Jane,,(212) 555-0142,A,standard,true,,NY,en,\n")

    with pytest.raises(CsvFormatError, match=f"missing: {missing}") as caught:
        await run_import(engine, source)

    assert "line 1" in str(caught.value)
    assert caught.value.report.inserted == 0
    assert await customers_by_ref(engine) == {}


async def test_bad_header_file_names_unknown_column(engine: AsyncEngine) -> None:
    with pytest.raises(CsvFormatError, match="unknown: phone") as caught:
        await run_import(engine, FIXTURES / "bad_header.csv")
    assert "missing: phones, notes" in str(caught.value)
    assert await customers_by_ref(engine) == {}


async def test_empty_and_non_utf8_files_are_refused(engine: AsyncEngine, tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError, match="empty"):
        await run_import(engine, io.StringIO(""))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "\nL001,José Núñez,,(212) 555-0150,,,,,,,\n").encode("latin-1"))
    with pytest.raises(CsvFormatError, match="not UTF-8"):
        await run_import(engine, latin1)
    assert await customers_by_ref(engine) == {}


async def test_excel_bom_and_crlf_file_imports(engine: AsyncEngine) -> None:
    report = await run_import(engine, FIXTURES / "excel_bom.csv")

    assert (report.inserted, report.errors) == (2, [])
    customers = await customers_by_ref(engine)
    assert customers["X001"].name == "李娜"
    assert customers["X001"].notes == "Excel export, CRLF"
    assert await phones_of(engine, "X001") == {("+862162881234", "162881234", "+86 21 6288 1234")}


async def test_bom_in_a_callers_stream_is_ignored(engine: AsyncEngine) -> None:
    source = io.StringIO("\ufeff" + HEADER + "\nS001,Sam,,(212) 555-0160,,,,,,,\n")

    report = await run_import(engine, source)

    assert (report.inserted, report.errors) == (1, [])


async def test_progress_is_reported_per_batch(engine: AsyncEngine) -> None:
    rows = [f"P{n:03},Person {n},,(212) 555-01{n:02},,,,,,," for n in range(5)]
    seen: list[int] = []

    report = await run_import(engine, csv_text(*rows), batch_size=2, progress=seen.append)

    assert seen == [2, 4, 5]
    assert report.inserted == 5


def test_parse_record_accepts_spreadsheet_spellings() -> None:
    values = dict.fromkeys(HEADER.split(","), "")
    values.update(
        name=" Ann ", phones="2125550170; (212) 555-0170", vip="YES", segment="Most Valuable"
    )

    record = parse_record(values, today=date(2026, 11, 27), default_region="US")

    assert (record.name, record.vip, record.segment, record.grade) == (
        "Ann",
        True,
        "most_valuable",
        "C",
    )
    assert [p.e164 for p in record.phones] == ["+12125550170"]  # one number, written twice
    assert record.external_ref is None


def test_parse_record_refuses_a_birthday_in_the_future() -> None:
    values = dict.fromkeys(HEADER.split(","), "")
    values.update(name="Ann", birthday="2026-11-28")

    with pytest.raises(ValueError, match="birthday: is in the future"):
        parse_record(values, today=date(2026, 11, 27), default_region="US")
