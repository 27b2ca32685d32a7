"""Agents, interfaces and sessions on real databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.passwords import hash_password, verify_password
from cti_bridge.store.accounts import Accounts
from cti_bridge.store.models import Agent, AgentQueue, WebSession
from tests.store.helpers import NOW

HOUR = timedelta(hours=1)


async def test_upsert_agent_creates_then_updates(engine: AsyncEngine) -> None:
    accounts = Accounts(engine)
    agent, created = await accounts.upsert_agent(
        "ann",
        password_hash=hash_password("secret-one"),
        role="agent",
        interfaces=["PJSIP/1001", "SIP/1001"],
        display_name="Ann Lee",
    )
    assert created and agent.interfaces == ("PJSIP/1001", "SIP/1001")
    again, created = await accounts.upsert_agent(
        "ann",
        password_hash=hash_password("secret-two"),
        role="supervisor",
        interfaces=["PJSIP/1002"],
    )
    assert not created and again.id == agent.id
    assert (again.role, again.interfaces, again.display_name) == (
        "supervisor",
        ("PJSIP/1002",),
        "Ann Lee",
    )
    found = await accounts.find_for_login("ann")
    assert found is not None and verify_password(found[1], "secret-two")


async def test_an_interface_moves_to_its_new_agent(engine: AsyncEngine) -> None:
    accounts = Accounts(engine)
    h = hash_password("password1")
    ann, _ = await accounts.upsert_agent(
        "ann", password_hash=h, role="agent", interfaces=["PJSIP/1001"]
    )
    bob, _ = await accounts.upsert_agent(
        "bob", password_hash=h, role="agent", interfaces=["PJSIP/1001"]
    )
    assert bob.interfaces == ("PJSIP/1001",)
    reloaded = await accounts.get(ann.id)
    assert reloaded is not None and reloaded.interfaces == ()


async def test_sessions_open_resolve_expire_close(engine: AsyncEngine) -> None:
    accounts = Accounts(engine)
    agent, _ = await accounts.upsert_agent(
        "ann", password_hash=hash_password("password1"), role="agent", interfaces=[]
    )
    token = await accounts.open_session(agent.id, NOW, HOUR)
    assert (await accounts.session_agent(token, NOW + 0.5 * HOUR)) == agent
    assert await accounts.session_agent(token, NOW + 2 * HOUR) is None
    assert await accounts.session_agent("forged", NOW) is None
    await accounts.close_session(token)
    assert await accounts.session_agent(token, NOW) is None


async def test_only_a_digest_of_the_token_is_stored(engine: AsyncEngine) -> None:
    accounts = Accounts(engine)
    agent, _ = await accounts.upsert_agent(
        "ann", password_hash=hash_password("password1"), role="agent", interfaces=[]
    )
    token = await accounts.open_session(agent.id, NOW, HOUR)
    async with engine.connect() as conn:
        stored = (await conn.execute(select(WebSession.token_hash))).scalars().all()
    assert token not in stored and len(stored) == 1


async def test_expired_sessions_are_swept(engine: AsyncEngine) -> None:
    accounts = Accounts(engine)
    agent, _ = await accounts.upsert_agent(
        "ann", password_hash=hash_password("password1"), role="agent", interfaces=[]
    )
    await accounts.open_session(agent.id, NOW, HOUR)
    await accounts.open_session(agent.id, NOW + 3 * HOUR, HOUR)
    async with engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(WebSession))
    assert count == 1


async def test_the_queues_an_agent_may_log_in_to(engine: AsyncEngine) -> None:
    accounts = Accounts(engine)
    ann, _ = await accounts.upsert_agent(
        "ann", password_hash=hash_password("secret-one"), role="agent", interfaces=["PJSIP/1001"],
        queues=["sales", "billing", "sales", " "],
    )  # fmt: skip
    bob, _ = await accounts.upsert_agent(
        "bob", password_hash=hash_password("secret-one"), role="agent", interfaces=[],
        queues=["sales"],
    )  # fmt: skip
    assert await accounts.queues_of(ann.id) == ["billing", "sales"]
    # An update that names no queues leaves them; one that names some replaces them.
    await accounts.upsert_agent(
        "ann", password_hash=hash_password("secret-one"), role="agent", interfaces=["PJSIP/1001"]
    )
    assert await accounts.queues_of(ann.id) == ["billing", "sales"]
    await accounts.upsert_agent(
        "ann", password_hash=hash_password("secret-one"), role="agent", interfaces=["PJSIP/1001"],
        queues=["renewals"],
    )  # fmt: skip
    assert await accounts.queues_of(ann.id) == ["renewals"]
    assert await accounts.queues_of(bob.id) == ["sales"]
    async with engine.begin() as conn:  # the agent's queues go with the agent
        await conn.execute(delete(Agent.__table__).where(Agent.__table__.c.id == ann.id))  # type: ignore[attr-defined]
        left = await conn.scalar(select(func.count()).select_from(AgentQueue))
    assert left == 1
