"""Figures against a small seeded data set whose answers are worked out by hand below.

Period 16-29 November 2026 (ISO weeks 47 and 48), centre time zone UTC, repeat window
7 days, "resolved" is the resolved code.

call  day     queue    agent  outcome    wait  sat  code       customer
c1    Mon 16  support  ann    answered    10    5   resolved   1   (1 calls again 23rd)
c2    Tue 17  support  ann    answered    20    4   follow_up  2
c3    Wed 18  support  -      abandoned   40    -   -          3
c4    Thu 19  sales    bob    answered    30    2   resolved   2
c5    Mon 23  sales    bob    answered    50    -   resolved   1
c6    Tue 24  support  ann    answered    60    3   resolved   4   (4 calls again 1 Dec)
c7    Wed 25  support  -      abandoned   15    -   -          -
c8    Thu 26  support  bob    answered   100    1   resolved   -
c9    Tue 1 Dec (after the period: only a repeat contact of customer 4)
c10   Tue 24  outbound call by ann: not an inbound call, not counted

Complaints: k1 (17th, billing, on c2), k2 (24th, billing, on c6), k3 (26th, delivery,
on c8), k4 (20th, no category, no call, opened by bob); k5 on 1 Dec is outside.

Totals: handled 6 (c1 c2 c4 c5 c6 c8), abandoned 2 -> 2/8 = 25 %; waits 10 20 30 50 60
100 -> average 270/6 = 45.0, p90 = the ceil(0.9*6) = 6th = 100; first contact: c4, c5, c8
(c1 and c6 were followed by a repeat call, c2 is follow_up) -> 3/6 = 50 %; surveys 5 4 2
3 1 -> 3.0; complaints 4 -> 4/6 x 100 = 66.67.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from cti_bridge.core.figures import CallFact, ComplaintFact, compute, p90
from cti_bridge.store.models import Interaction, Ticket, table
from tests.clients import Running
from tests.store.helpers import add_customer
from tests.supervision.helpers import FakeClock, running

ANN, BOB = 101, 102
NAMES = {ANN: "ann", BOB: "bob"}


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# call_id, at, queue, agent, outcome, wait, satisfaction, code, customer (1-4 or None)
CALLS: list[tuple[Any, ...]] = [
    ("c1", at(16), "support", ANN, "answered", 10, 5, "resolved", 1),
    ("c2", at(17), "support", ANN, "answered", 20, 4, "follow_up", 2),
    ("c3", at(18), "support", None, "abandoned", 40, None, None, 3),
    ("c4", at(19), "sales", BOB, "answered", 30, 2, "resolved", 2),
    ("c5", at(23, 9), "sales", BOB, "answered", 50, None, "resolved", 1),
    ("c6", at(24), "support", ANN, "answered", 60, 3, "resolved", 4),
    ("c7", at(25), "support", None, "abandoned", 15, None, None, None),
    ("c8", at(26), "support", BOB, "answered", 100, 1, "resolved", None),
]
FOLLOWUPS: list[tuple[Any, ...]] = [
    ("c9", at(1, 8, month=12), "support", ANN, "answered", 5, None, "resolved", 4),
]
# ticket, created, category, call, opened by
COMPLAINT_FIELDS = ("ticket_id", "at", "category", "call_id", "created_by")
COMPLAINTS: list[tuple[Any, ...]] = [
    (1, at(17, 11), "billing", "c2", ANN),
    (2, at(24, 11), "billing", "c6", ANN),
    (3, at(26, 11), "delivery", "c8", BOB),
    (4, at(20, 11), "", None, BOB),
]

TOTALS = {
    "handled": 6,
    "abandoned": 2,
    "abandon_rate": 25.0,
    "avg_wait": 45.0,
    "p90_wait": 100.0,
    "fcr_rate": 50.0,
    "complaints": 4,
    "complaint_rate": 66.67,
    "satisfaction": 3.0,
    "surveys": 5,
}
# dimension -> key -> the hand-computed fields checked.
EXPECTED: dict[str, dict[str, dict[str, Any]]] = {
    "agent": {
        # ann: c1 c2 c6, waits 10 20 60, surveys 5 4 3, no first-contact resolution, k1 k2.
        str(ANN): {"handled": 3, "avg_wait": 30.0, "p90_wait": 60.0, "satisfaction": 4.0,
                   "fcr_rate": 0.0, "complaints": 2, "complaint_rate": 66.67},
        # bob: c4 c5 c8, waits 30 50 100, surveys 2 1, all resolved first time, k3 and k4.
        str(BOB): {"handled": 3, "avg_wait": 60.0, "p90_wait": 100.0, "satisfaction": 1.5,
                   "fcr_rate": 100.0, "complaints": 2, "complaint_rate": 66.67},
    },
    "queue": {
        # support: c1 c2 c6 c8 handled, c3 c7 abandoned -> 2/6; waits 10 20 60 100
        # (p90 = 4th); surveys 5 4 3 1; only c8 resolved first time; k1 k2 k3.
        "support": {"handled": 4, "abandoned": 2, "abandon_rate": 33.33, "avg_wait": 47.5,
                    "p90_wait": 100.0, "satisfaction": 3.25, "fcr_rate": 25.0,
                    "complaints": 3, "complaint_rate": 75.0},
        "sales": {"handled": 2, "abandoned": 0, "abandon_rate": 0.0, "avg_wait": 40.0,
                  "p90_wait": 50.0, "satisfaction": 2.0, "fcr_rate": 100.0,
                  "complaints": 0, "complaint_rate": 0.0},
        # k4 was opened without a call: no queue, no handled calls to rate it against.
        "(none)": {"handled": 0, "complaints": 1, "complaint_rate": None},
    },
    "week": {
        # W47: c1 c2 c4 handled, c3 abandoned; surveys 5 4 2 = 3.67; c4 resolved; k1 k4.
        "2026-W47": {"handled": 3, "abandoned": 1, "abandon_rate": 25.0, "avg_wait": 20.0,
                     "p90_wait": 30.0, "satisfaction": 3.67, "fcr_rate": 33.33,
                     "complaints": 2, "complaint_rate": 66.67},
        # W48: c5 c6 c8 handled, c7 abandoned; surveys 3 1; c5 c8 resolved; k2 k3.
        "2026-W48": {"handled": 3, "abandoned": 1, "abandon_rate": 25.0, "avg_wait": 70.0,
                     "p90_wait": 100.0, "satisfaction": 2.0, "fcr_rate": 66.67,
                     "complaints": 2, "complaint_rate": 66.67},
    },
    "category": {
        # Rated against all 6 handled calls; satisfaction of the calls complained about.
        "billing": {"handled": 6, "complaints": 2, "complaint_rate": 33.33,
                    "satisfaction": 3.5, "surveys": 2},
        "delivery": {"handled": 6, "complaints": 1, "complaint_rate": 16.67,
                     "satisfaction": 1.0, "surveys": 1},
        "uncategorised": {"handled": 6, "complaints": 1, "complaint_rate": 16.67,
                          "satisfaction": None, "surveys": 0},
    },
}  # fmt: skip


def facts(rows: list[tuple[Any, ...]], customers: dict[int, int]) -> list[CallFact]:
    return [
        CallFact(
            call_id=cid,
            at=when,
            queue=queue,
            agent_id=agent,
            outcome=outcome,
            wait=wait,
            satisfaction=sat,
            code=code,
            customer_id=customers.get(cust or 0),
        )
        for cid, when, queue, agent, outcome, wait, sat, code, cust in rows
    ]


def check(figures: dict[str, Any], agent_keys: dict[int, str]) -> None:
    assert {k: figures["totals"][k] for k in TOTALS} == TOTALS
    for dim, expected in EXPECTED.items():
        rows = {r["key"]: r for r in figures["rows"][dim]}
        for key, fields in expected.items():
            found = agent_keys.get(int(key), key) if dim == "agent" else key
            assert {f: rows[found][f] for f in fields} == fields, (dim, found)
        assert len(rows) == len(expected), dim


def test_figures_by_hand() -> None:
    identity = {n: n for n in range(1, 5)}
    result = compute(
        facts(CALLS, identity),
        [ComplaintFact(**dict(zip(COMPLAINT_FIELDS, row, strict=True))) for row in COMPLAINTS],
        agent_names=NAMES,
        timezone="UTC",
        resolved_codes=("resolved",),
        repeat=timedelta(days=7),
        followups=facts(FOLLOWUPS, identity),
    )
    check(result, {})
    assert [r["label"] for r in result["rows"]["agent"]] == ["ann", "bob"]


@pytest.mark.parametrize(
    ("values", "expected"), [([], None), ([7.0], 7.0), ([5.0, 1.0, 9.0, 3.0], 9.0)]
)
def test_nearest_rank_p90(values: list[float], expected: float | None) -> None:
    assert p90(values) == expected


async def seed(run: Running) -> dict[int, str]:
    """The data set in the database; returns our agent numbers -> real agent ids."""
    engine = run.daemon.engine
    assert engine is not None
    real = {ANN: run.agents["ann"].id, BOB: run.agents["bob"].id}
    customers = {
        n: await add_customer(engine, f"Customer {n}", f"+1555000000{n}") for n in range(1, 5)
    }
    rows = []
    for cid, when, queue, agent, outcome, wait, sat, code, cust in CALLS + FOLLOWUPS:
        rows.append(
            {"call_id": cid, "direction": "inbound", "queue": queue, "agent_id": real.get(agent),
             "offered_at": when, "answered_at": when if outcome == "answered" else None,
             "outcome": outcome, "wait_seconds": wait, "satisfaction": sat,
             "disposition_code": code, "customer_id": customers.get(cust or 0)}
        )  # fmt: skip
    rows.append(
        {"call_id": "c10", "direction": "outbound", "queue": None, "agent_id": real[ANN],
         "offered_at": at(24, 12), "answered_at": at(24, 12), "outcome": "answered",
         "wait_seconds": 1, "satisfaction": 1, "disposition_code": "resolved",
         "customer_id": customers[3]}
    )  # fmt: skip
    tickets = [
        {"customer_id": customers[1], "kind": "complaint", "subject": f"k{n}",
         "category": category, "call_id": call, "created_by_id": real[by],
         "created_at": when, "updated_at": when}
        for n, when, category, call, by in COMPLAINTS
    ]  # fmt: skip
    tickets.append(
        {"customer_id": customers[1], "kind": "complaint", "subject": "k5", "category": "billing",
         "call_id": None, "created_by_id": real[ANN], "created_at": at(1, 9, month=12),
         "updated_at": at(1, 9, month=12)}
    )  # fmt: skip
    tickets.append(
        {"customer_id": customers[2], "kind": "service", "subject": "not a complaint",
         "category": "billing", "call_id": "c4", "created_by_id": real[BOB],
         "created_at": at(19, 11), "updated_at": at(19, 11)}
    )  # fmt: skip
    async with engine.begin() as conn:
        await conn.execute(insert(table(Interaction)), rows)
        await conn.execute(insert(table(Ticket)), [_ticket_defaults(t) for t in tickets])
    return {agent: str(real[agent]) for agent in (ANN, BOB)}


def _ticket_defaults(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "closed", "priority": "normal", "description": "", "responsible_party": "",
        "root_cause": "", "corrective_action": "", "complaint_step": "", "channel": "phone",
        "sla_calendar": "", "sla_consumed": 0.0, "sla_target": "response",
        "sla_state": "on_time", "sla_level": 0, "sla_rev": 0, **values,
    }  # fmt: skip


async def test_reports_api_csv_and_page_on_the_seeded_database(db_url: str) -> None:
    async with running(db_url, FakeClock(at(30, 12).timestamp())) as run:
        keys = await seed(run)
        query = "?from=2026-11-16&to=2026-11-29"
        async with await run.login("ann") as ann:
            assert (await ann.get("/api/reports/figures" + query)).status == 403
        async with await run.login("sue") as sue:
            figures = await (await sue.get("/api/reports/figures" + query)).json()
            assert (figures["from"], figures["to"]) == ("2026-11-16", "2026-11-29")
            check(figures, keys)
            response = await sue.get("/api/reports/figures.csv" + query)
            assert response.headers["Content-Type"].startswith("text/csv")
            table_rows = list(csv.DictReader(io.StringIO(await response.text())))
            total = next(r for r in table_rows if r["dimension"] == "total")
            assert (total["handled"], total["p90_wait"], total["fcr_rate"]) == (
                "6",
                "100.0",
                "50.0",
            )
            support = next(r for r in table_rows if r["key"] == "support")
            assert support["abandon_rate"] == "33.33" and support["complaints"] == "3"
            page = await (await sue.get("/reports" + query)).text()
            assert page.count("<svg") == 6 and 'data-figure="p90_wait">100.0 s' in page
            bad = await sue.get("/api/reports/figures?from=2026-11-30&to=2026-11-01")
            assert bad.status == 400
