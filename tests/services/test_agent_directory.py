"""The agent directory's refresh on real databases: every kind of change made by another
writer (another node, the CLI, psql) is picked up, and a refresh when nothing changed keeps
the very same objects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from cti_bridge.services.agents import AgentDirectory
from cti_bridge.store import accounts as accounts_module
from cti_bridge.store.accounts import Accounts, AgentRef
from cti_bridge.store.db import create_engine
from cti_bridge.store.desk import DeskStore
from cti_bridge.store.models import Agent, AgentInterface, table

agents_t, phones_t = table(Agent), table(AgentInterface)
HASH = "!test"


@pytest.fixture
async def other(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A second engine on the same database: the CLI or another node writing."""
    eng = create_engine(db_url)
    yield eng
    await eng.dispose()


async def add(engine: AsyncEngine, username: str, *interfaces: str, **fields: str) -> AgentRef:
    role = fields.pop("role", "agent")
    agent, _ = await Accounts(engine).upsert_agent(
        username, password_hash=HASH, role=role, interfaces=interfaces, **fields
    )
    return agent


async def directory_of(engine: AsyncEngine) -> AgentDirectory:
    directory = AgentDirectory(Accounts(engine).all_active)
    await directory.refresh()
    return directory


def snapshot(directory: AgentDirectory) -> dict[int, AgentRef]:
    return {a.id: a for a in directory.all()}


async def test_an_unchanged_refresh_keeps_the_same_objects(
    engine: AsyncEngine, other: AsyncEngine
) -> None:
    # Several phones, none, and text beyond ASCII: the fingerprint the database computes
    # must equal the one computed from the loaded rows, or nothing would ever be kept.
    await add(engine, "ann", "PJSIP/1002", "SIP/1001", "PJSIP/1001", display_name="Ann Lee")
    await add(engine, "bob", display_name="Bob")
    await add(engine, "zhou", "PJSIP/1003", display_name="周 小明", language="zh")
    await add(engine, "sue", "Local/1004@agents", role="supervisor")
    directory = await directory_of(engine)
    before = directory.all()
    by_interface = directory.by_interface("PJSIP/1001")
    assert by_interface is not None and by_interface.interfaces == (
        "PJSIP/1001",
        "PJSIP/1002",
        "SIP/1001",
    )
    # A status change is not part of the directory: nothing is rebuilt for it.
    await DeskStore(other).set_agent(by_interface.id, status="available")
    for _ in range(3):
        await directory.refresh()
        after = directory.all()
        assert len(after) == len(before) == 4
        assert all(a is b for a, b in zip(after, before, strict=True))
        assert directory.by_interface("PJSIP/1001") is by_interface
    assert [a.username for a in directory.supervisors()] == ["sue"]


async def test_an_empty_directory_refreshes(engine: AsyncEngine) -> None:
    directory = await directory_of(engine)
    await directory.refresh()
    assert directory.all() == []
    await add(engine, "ann", "PJSIP/1001")
    await directory.refresh()
    assert [a.username for a in directory.all()] == ["ann"]


async def test_an_added_agent_is_picked_up_and_the_others_kept(
    engine: AsyncEngine, other: AsyncEngine
) -> None:
    ann = await add(engine, "ann", "PJSIP/1001")
    directory = await directory_of(engine)
    kept = directory.by_id(ann.id)
    bob = await add(other, "bob", "PJSIP/1002")
    await directory.refresh()
    found = directory.by_interface("PJSIP/1002")
    assert found is not None and found.id == bob.id
    assert directory.is_agent_interface("PJSIP/1002")
    assert directory.by_id(ann.id) is kept


async def test_a_deactivated_agent_is_dropped(engine: AsyncEngine, other: AsyncEngine) -> None:
    ann = await add(engine, "ann", "PJSIP/1001")
    bob = await add(engine, "bob", "PJSIP/1002")
    directory = await directory_of(engine)
    async with other.begin() as conn:  # by hand, as in psql: no ORM, no timestamp
        await conn.execute(update(agents_t).where(agents_t.c.id == ann.id).values(active=False))
    await directory.refresh()
    assert directory.by_id(ann.id) is None
    assert not directory.is_agent_interface("PJSIP/1001")
    assert [a.id for a in directory.all()] == [bob.id]
    # And back again.
    async with other.begin() as conn:
        await conn.execute(update(agents_t).where(agents_t.c.id == ann.id).values(active=True))
    await directory.refresh()
    back = directory.by_interface("PJSIP/1001")
    assert back is not None and back.id == ann.id


async def test_an_interface_moved_to_another_agent(engine: AsyncEngine, other: AsyncEngine) -> None:
    ann = await add(engine, "ann", "PJSIP/1001")
    bob = await add(engine, "bob", "PJSIP/1002")
    directory = await directory_of(engine)
    await add(other, "bob", "PJSIP/1002", "PJSIP/1001")  # the CLI: the desk phone moves
    await directory.refresh()
    moved = directory.by_interface("PJSIP/1001")
    assert moved is not None and moved.id == bob.id
    assert moved.interfaces == ("PJSIP/1001", "PJSIP/1002")
    left = directory.by_id(ann.id)
    assert left is not None and left.interfaces == ()


async def test_a_phone_row_swapped_in_place_is_seen(
    engine: AsyncEngine, other: AsyncEngine
) -> None:
    """Delete-then-insert of the newest phone row keeps the count and, on SQLite, may reuse
    the row id: only the content tells."""
    ann = await add(engine, "ann", "PJSIP/1001")
    bob = await add(engine, "bob", "PJSIP/1002")
    directory = await directory_of(engine)
    async with other.begin() as conn:
        await conn.execute(delete(phones_t).where(phones_t.c.interface == "PJSIP/1002"))
        await conn.execute(insert(phones_t).values(agent_id=ann.id, interface="PJSIP/1002"))
    await directory.refresh()
    found = directory.by_interface("PJSIP/1002")
    assert found is not None and found.id == ann.id
    assert found.interfaces == ("PJSIP/1001", "PJSIP/1002")
    kept_bob = directory.by_id(bob.id)
    assert kept_bob is not None and kept_bob.interfaces == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [("role", "supervisor"), ("display_name", "Ann B. Lee"), ("language", "zh")],
)
async def test_a_changed_field_is_picked_up_and_only_that_agent_rebuilt(
    engine: AsyncEngine, other: AsyncEngine, field: str, value: str
) -> None:
    ann = await add(engine, "ann", "PJSIP/1001", display_name="Ann Lee")
    bob = await add(engine, "bob", "PJSIP/1002")
    directory = await directory_of(engine)
    before = snapshot(directory)
    if field == "language":  # as the desk writes it: a Core update of another node
        await DeskStore(other).set_agent(ann.id, language=value)
    else:
        async with other.begin() as conn:
            await conn.execute(
                update(agents_t).where(agents_t.c.id == ann.id).values({field: value})
            )
    await directory.refresh()
    changed = directory.by_interface("PJSIP/1001")
    assert changed is not None and getattr(changed, field) == value
    assert changed is not before[ann.id] and directory.by_id(ann.id) is changed
    assert directory.by_id(bob.id) is before[bob.id]
    assert [a.id for a in directory.supervisors()] == ([ann.id] if field == "role" else [])


async def test_a_change_between_fingerprint_and_load_is_not_lost(
    engine: AsyncEngine, other: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write landing after the fingerprint query but before the rows are read: the held
    fingerprint is the loaded rows' own, so reverting the write is still noticed."""
    ann = await add(engine, "ann", "PJSIP/1001", display_name="Ann")
    directory = await directory_of(engine)
    real = accounts_module._active_fingerprint

    async def then_rename(conn: object) -> str:
        found = await real(conn)  # type: ignore[arg-type]
        async with other.begin() as write:
            await write.execute(
                update(agents_t).where(agents_t.c.id == ann.id).values(display_name="Ann 2")
            )
        return found

    async with other.begin() as conn:
        await conn.execute(update(agents_t).where(agents_t.c.id == ann.id).values(language="zh"))
    monkeypatch.setattr(accounts_module, "_active_fingerprint", then_rename)
    await directory.refresh()
    monkeypatch.setattr(accounts_module, "_active_fingerprint", real)
    loaded = directory.by_id(ann.id)
    assert loaded is not None and (loaded.display_name, loaded.language) == ("Ann 2", "zh")
    async with other.begin() as conn:  # back to what the first fingerprint described
        await conn.execute(
            update(agents_t).where(agents_t.c.id == ann.id).values(display_name="Ann")
        )
    await directory.refresh()
    again = directory.by_id(ann.id)
    assert again is not None and again.display_name == "Ann"


async def test_many_agents_are_built_in_steps(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts_module, "REFS_PER_STEP", 2)
    monkeypatch.setattr("cti_bridge.services.agents.AGENTS_PER_STEP", 2)
    made = [await add(engine, f"a{n}", f"PJSIP/{2000 + n}") for n in range(7)]
    directory = await directory_of(engine)
    assert [a.id for a in directory.all()] == [a.id for a in made]
    for agent in made:
        assert directory.by_interface(agent.interfaces[0]) == agent
    before = directory.all()
    await directory.refresh()
    assert all(a is b for a, b in zip(directory.all(), before, strict=True))


async def test_replace_then_refresh_reloads_from_the_database(engine: AsyncEngine) -> None:
    ann = await add(engine, "ann", "PJSIP/1001")
    directory = await directory_of(engine)
    directory.replace([AgentRef(99, "ghost", "Ghost", "agent", "en", ("PJSIP/9999",))])
    assert directory.is_agent_interface("PJSIP/9999")
    await directory.refresh()
    assert not directory.is_agent_interface("PJSIP/9999")
    assert [a.id for a in directory.all()] == [ann.id]
