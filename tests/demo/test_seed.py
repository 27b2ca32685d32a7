"""Demo seeding against real databases: idempotent, and every case the demo shows is there."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.phones import normalize_caller
from cti_bridge.core.states import OPEN_TICKET_STATUSES
from cti_bridge.demo import DemoSummary, seed_demo
from cti_bridge.demo.history import make_history
from cti_bridge.demo.people import make_customers
from cti_bridge.store.models import (
    Agent,
    AgentInterface,
    Base,
    Customer,
    CustomerPhone,
    Disposition,
    Interaction,
    Ticket,
    TicketEvent,
)

NOW = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
TODAY = NOW.date()
CODES = {"resolved", "follow_up", "complaint", "sale", "info", "wrong_number"}
# Cheap argon2 parameters: the test checks the hasher is used, not its strength.
HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


async def seed(engine: AsyncEngine) -> DemoSummary:
    return await seed_demo(engine, today=TODAY, now=NOW, hash_password=HASHER.hash)


async def rows(engine: AsyncEngine, *models: type[Base]) -> list[Sequence[Row[Any]]]:
    """Every row of each model's table, as plain rows."""
    async with engine.connect() as conn:
        return [(await conn.execute(select(m.__table__))).all() for m in models]


async def counts(engine: AsyncEngine) -> dict[str, int]:
    tables = (Agent, AgentInterface, Customer, CustomerPhone, Interaction, Disposition, Ticket)
    async with engine.connect() as conn:
        return {
            t.__name__: int(await conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in (*tables, TicketEvent)
        }


async def test_seeding_twice_changes_nothing(engine: AsyncEngine) -> None:
    first = await seed(engine)
    before = await counts(engine)

    second = await seed(engine)

    assert await counts(engine) == before
    assert second == first
    assert first.customers == before["Customer"] == 200
    assert before["Agent"] == 5
    assert before["Interaction"] > 200
    assert before["Ticket"] > 20


async def test_logins_verify_with_the_given_hasher(engine: AsyncEngine) -> None:
    summary = await seed(engine)

    logins = {login.username: login for login in summary.logins}
    assert {name: login.role for name, login in logins.items()} == {
        "agent1": "agent",
        "agent2": "agent",
        "agent3": "agent",
        "supervisor": "supervisor",
        "admin": "admin",
    }
    assert [logins[f"agent{n}"].interfaces for n in (1, 2, 3)] == [
        ["PJSIP/1001"],
        ["PJSIP/1002"],
        ["PJSIP/1003"],
    ]
    (staff,) = await rows(engine, Agent)
    agents = {a.username: a for a in staff}
    for login in summary.logins:
        assert HASHER.verify(agents[login.username].password_hash, login.password)
        assert agents[login.username].display_name == login.display_name
    assert {a.language for a in agents.values()} == {"en", "zh"}


async def test_existing_accounts_and_interfaces_are_left_alone(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        bob = (
            await conn.execute(
                insert(Agent)
                .values(username="bob", display_name="Bob", password_hash="x")
                .returning(Agent.id)
            )
        ).scalar_one()
        await conn.execute(insert(AgentInterface).values(agent_id=bob, interface="PJSIP/1001"))
        await conn.execute(
            insert(Agent).values(username="admin", display_name="Real Admin", password_hash="y")
        )

    summary = await seed(engine)

    logins = {login.username: login for login in summary.logins}
    assert logins["agent1"].interfaces == []
    async with engine.connect() as conn:
        query = select(Agent.display_name, Agent.password_hash).where(Agent.username == "admin")
        admin = (await conn.execute(query)).one()
    assert tuple(admin) == ("Real Admin", "y")


async def test_the_demo_cases_are_all_there(engine: AsyncEngine) -> None:
    await seed(engine)

    customers, phones, tickets = await rows(engine, Customer, CustomerPhone, Ticket)
    birthdays = [c.birthday for c in customers if c.birthday]
    assert (TODAY.month, TODAY.day) in [(b.month, b.day) for b in birthdays]
    assert all(b < TODAY for b in birthdays)
    assert sum(c.vip for c in customers) >= 5
    assert {c.grade for c in customers} == {"A", "B", "C"}
    assert {c.segment for c in customers} == {
        "most_valuable",
        "most_growable",
        "standard",
        "below_zero",
    }
    assert {c.language for c in customers} == {"en", "zh"}
    assert any(re.search("[\u4e00-\u9fff]", c.name) for c in customers)
    assert any(re.fullmatch("[A-Z][a-z]+ [A-Z][a-z]+", c.name) for c in customers)
    numbers = [p.e164 for p in phones]
    assert any(n.startswith("+1") for n in numbers)
    assert any(n.startswith("+86138") or n.startswith("+86139") for n in numbers)
    assert any(n.startswith("+8610") for n in numbers)  # a Beijing landline
    shared = [n for n, owners in Counter(numbers).items() if owners > 1]
    assert len(shared) >= 1

    window = NOW - timedelta(days=90)
    complaints = Counter(
        t.customer_id for t in tickets if t.kind == "complaint" and t.created_at >= window
    )
    assert max(complaints.values()) >= 2, "a churn risk: two complaints in 90 days"
    open_tickets = [t for t in tickets if t.status in OPEN_TICKET_STATUSES]
    assert len([t for t in open_tickets if t.due_at < NOW]) == 1, "exactly one overdue"
    assert any(NOW < t.due_at <= NOW + timedelta(hours=2) for t in open_tickets)
    open_complaints = [t for t in open_tickets if t.kind == "complaint"]
    fields = ("category", "responsible_party", "root_cause", "corrective_action")
    assert any(
        any(getattr(t, f) for f in fields) and not all(getattr(t, f) for f in fields)
        for t in open_complaints
    ), "an open complaint with its fields partly filled"


async def test_the_history_reads_like_a_call_centre(engine: AsyncEngine) -> None:
    await seed(engine)

    calls, dispositions, tickets, events = await rows(
        engine, Interaction, Disposition, Ticket, TicketEvent
    )
    assert all(re.fullmatch(r"pbx1:\d{10}\.\d+", c.call_id) for c in calls)
    assert {c.outcome for c in calls} == {"answered", "abandoned"}
    assert {c.disposition_code for c in calls} - {None} == CODES
    assert len({c.customer_id for c in calls}) > 100
    assert {c.agent_id for c in calls if c.outcome == "abandoned"} == {None}
    assert all(c.agent_id and c.notes for c in calls if c.outcome == "answered")
    assert all(NOW - timedelta(days=60) < c.offered_at < c.ended_at < NOW for c in calls)
    by_call = {c.call_id: c for c in calls}
    assert all(by_call[d.call_id].disposition_code == d.code for d in dispositions)
    assert all(t.call_id in by_call for t in tickets)
    assert {e.ticket_id for e in events} == {t.id for t in tickets}
    assert all(e.at < NOW for e in events)
    assert {e.kind for e in events} >= {"created", "status_changed", "assignee_id_changed"}


async def test_callers_ring_in_as_known_shared_and_unknown(engine: AsyncEngine) -> None:
    summary = await seed(engine)

    (phones,) = await rows(engine, CustomerPhone)
    owners = Counter(p.e164 for p in phones)
    matched = [normalize_caller(number, "US").e164 for number, _ in summary.callers]
    assert ("anonymous", "") in summary.callers
    assert any(owners.get(n or "", 0) > 1 for n in matched), "the shared number rings"
    assert sum(n in owners for n in matched) >= 10
    assert sum(n is not None and n not in owners for n in matched) >= 2, "strangers call too"
    raw = [number for number, _ in summary.callers]
    assert any(n.isdigit() for n in raw)
    assert any(n.startswith("+") for n in raw)


def test_the_same_seed_gives_the_same_demo() -> None:
    today = date(2026, 2, 28)
    assert make_customers(7, today) == make_customers(7, today)
    assert make_customers(7, today) != make_customers(8, today)
    people = make_customers(7, today)
    first, again = make_history(people, NOW, 7), make_history(people, NOW, 7)
    assert [c.call_id for c in first.calls] == [c.call_id for c in again.calls]
    assert [t.subject for t in first.tickets] == [t.subject for t in again.tickets]


@pytest.mark.parametrize("region", ["US", "CN", "GB"])
async def test_numbers_import_whatever_the_home_region(engine: AsyncEngine, region: str) -> None:
    """National formats are written for the home region, so they must parse with it."""
    summary = await seed_demo(
        engine, today=TODAY, now=NOW, default_region=region, hash_password=HASHER.hash
    )

    assert summary.customers == 200
