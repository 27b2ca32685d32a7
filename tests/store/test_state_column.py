"""State columns: a StrEnum member in Python, its plain string in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import String, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.core.states import AgentStatus, Grade, Role, Segment
from cti_bridge.store.db import session_factory
from cti_bridge.store.models import Agent, Customer
from cti_bridge.store.state_column import StateColumn


async def _add_agent(engine: AsyncEngine, **fields: object) -> int:
    values = {"username": "ann", "display_name": "Ann", "password_hash": "x", **fields}
    async with engine.begin() as conn:
        result = await conn.execute(insert(Agent).values(values).returning(Agent.id))
        return int(result.scalar_one())


async def test_round_trip_gives_the_member_and_stores_the_string(engine: AsyncEngine) -> None:
    agent_id = await _add_agent(engine, role="supervisor", status=AgentStatus.AWAY)
    async with session_factory(engine)() as session:
        agent = await session.get(Agent, agent_id)
        assert agent is not None
        assert agent.role is Role.SUPERVISOR
        assert agent.status is AgentStatus.AWAY
    async with engine.connect() as conn:
        raw = (
            await conn.execute(text(f"SELECT role, status FROM agents WHERE id = {agent_id}"))
        ).one()
    assert tuple(raw) == ("supervisor", "away")
    assert type(raw[0]) is str


async def test_defaults_are_members(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session, session.begin():
        customer = Customer(name="Jane")
        session.add(customer)
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(Customer).where(Customer.name == "Jane"))
        assert stored is not None
        assert (stored.grade, stored.segment) == (Grade.C, Segment.STANDARD)
        assert stored.grade is Grade.C


async def test_an_unknown_value_is_refused_by_name(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError, match=r"'boss' is not a Role \(one of agent, supervisor"):
        await _add_agent(engine, role="boss")
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM agents"))).scalar_one() == 0


async def test_an_unknown_stored_value_is_refused_on_read(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO agents (username, display_name, role, password_hash, language,"
                " status, active, created_at) VALUES ('bob', 'Bob', 'boss', 'x', 'en',"
                " 'offline', true, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(ValueError, match=r"'boss' is not a Role"):
        async with engine.connect() as conn:
            (await conn.execute(select(Agent.role))).all()


def test_the_schema_sees_a_plain_string() -> None:
    column = StateColumn(Role, 16)
    assert isinstance(column.impl, String)
    assert column.impl.length == 16
    assert Agent.__table__.c.role.type.impl.length == 16  # type: ignore[attr-defined]
